package seed_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/seed"
)

func TestSeedIsIdempotentAndLogsIn(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	hasher, err := auth.NewHasher(auth.Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	n, err := seed.Run(ctx, srv.App.Store, hasher, srv.App.Auth.LegalVersions(), log)
	if err != nil || n != 12 {
		t.Fatalf("first run created %d (%v), want 12", n, err)
	}
	if n, err := seed.Run(ctx, srv.App.Store, hasher, srv.App.Auth.LegalVersions(), log); err != nil || n != 0 {
		t.Fatalf("second run created %d (%v), want 0", n, err)
	}
	var out struct {
		LogIn struct {
			AccessToken string
			User        struct {
				Roles         []string
				OfferedSkills []struct{ Skill struct{ Slug string } }
				Profile       struct{ TimeZone string }
			}
		}
	}
	srv.Client().Do(t, `mutation { logIn(input: {email: "camille@demo.skillswap.local", password: "`+seed.DemoPassword+`"}) {
		accessToken user { roles offeredSkills { skill { slug } } profile { timeZone } } } }`, nil).Decode(t, &out)
	u := out.LogIn.User
	if len(u.Roles) != 2 || len(u.OfferedSkills) != 2 || u.Profile.TimeZone != "Europe/Paris" {
		t.Fatalf("demo member = %+v", u)
	}

	// Demo members accepted the current terms and privacy policy: nothing gates them.
	var v struct {
		Viewer struct{ ConsentRequired []string }
	}
	srv.Client().WithToken(out.LogIn.AccessToken).Do(t, `{ viewer { consentRequired } }`, nil).Decode(t, &v)
	if v.Viewer.ConsentRequired == nil || len(v.Viewer.ConsentRequired) != 0 {
		t.Fatalf("demo member consentRequired = %v, want []", v.Viewer.ConsentRequired)
	}

	// A sign-in history to look at: the demo ones, then this log-in on top.
	var h struct {
		Viewer struct {
			Security struct {
				RecentSignIns []struct {
					Method    string
					Succeeded bool
					IPAddress *string
				}
			}
		}
	}
	apitest.Must(t, srv.Client().WithToken(out.LogIn.AccessToken).Do(t,
		`{ viewer { security { recentSignIns(first: 10) { method succeeded ipAddress } } } }`, nil)).Decode(t, &h)
	if got := h.Viewer.Security.RecentSignIns; len(got) != 4 || !got[0].Succeeded || got[2].Succeeded ||
		got[2].IPAddress == nil || *got[2].IPAddress != "198.51.100.0/24" {
		t.Fatalf("demo sign-in history = %+v", got)
	}

	// The README's first steps promise Camille a mutual match with Kenji.
	var m struct {
		Matches struct {
			Edges []struct {
				Node struct {
					Mutual bool
					User   struct{ DisplayName string }
				}
			}
		}
	}
	srv.Client().WithToken(out.LogIn.AccessToken).Do(t, `{ matches { edges { node { mutual user { displayName } } } } }`, nil).Decode(t, &m)
	if len(m.Matches.Edges) == 0 || !m.Matches.Edges[0].Node.Mutual || m.Matches.Edges[0].Node.User.DisplayName != "Kenji Sato" {
		t.Fatalf("Camille's matches: %+v, want Kenji Sato first and mutual", m.Matches.Edges)
	}

	// And the demo conversation, written twice: the second run changes nothing.
	for range 2 {
		if err := seed.Chat(ctx, srv.App.Store, srv.App.Chat); err != nil {
			t.Fatal(err)
		}
	}
	var convs struct {
		Conversations struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	srv.Client().WithToken(out.LogIn.AccessToken).Do(t, `{ conversations { edges { node { id } } } }`, nil).Decode(t, &convs)
	if len(convs.Conversations.Edges) != 1 {
		t.Fatalf("Camille's conversations: %+v, want the demo one", convs)
	}
	var msgs struct {
		Messages struct {
			Edges []struct{ Node struct{ Body string } }
		}
	}
	srv.Client().WithToken(out.LogIn.AccessToken).Do(t, `query($c: ID!) { messages(conversationId: $c) { edges { node { body } } } }`,
		map[string]any{"c": convs.Conversations.Edges[0].Node.ID}).Decode(t, &msgs)
	if len(msgs.Messages.Edges) != 3 {
		t.Fatalf("demo conversation has %d messages, want 3", len(msgs.Messages.Edges))
	}

	// And the demo reports, filed twice: the moderator sees two cases, the SAFETY one first and
	// the other with its two reporters.
	for range 2 {
		if err := seed.Reports(ctx, srv.App.Store, srv.App.Moderation); err != nil {
			t.Fatal(err)
		}
	}
	var mod struct {
		LogIn struct{ AccessToken string }
	}
	apitest.Must(t, srv.Client().Do(t, `mutation { logIn(input: {email: "moderator@demo.skillswap.local", password: "`+seed.DemoPassword+`"}) { accessToken } }`, nil)).Decode(t, &mod)
	var q struct {
		ModerationCases struct {
			Edges []struct {
				Node struct {
					ReporterCount int
					Reports       []struct{ Category string }
				}
			}
		}
	}
	apitest.Must(t, srv.Client().WithToken(mod.LogIn.AccessToken).Do(t,
		`{ moderationCases(first: 10) { edges { node { reporterCount reports { category } } } } }`, nil)).Decode(t, &q)
	if e := q.ModerationCases.Edges; len(e) != 2 || e[0].Node.Reports[0].Category != "SAFETY" || e[1].Node.ReporterCount != 2 {
		t.Fatalf("demo moderation queue = %+v", e)
	}

	// And the demo NPS answers, written twice: the admin's KPIs of this week show six answers.
	for range 2 {
		if err := seed.NPS(ctx, srv.App.Store, srv.App.KPIs); err != nil {
			t.Fatal(err)
		}
	}
	var adm struct {
		LogIn struct{ AccessToken string }
	}
	apitest.Must(t, srv.Client().Do(t, `mutation { logIn(input: {email: "admin@demo.skillswap.local", password: "`+seed.DemoPassword+`"}) { accessToken } }`, nil)).Decode(t, &adm)
	var k struct {
		ProductKpis struct {
			ComputedAt *string
			Nps        struct {
				Responses int
				Score     *float64
			}
			Cohorts []struct{ Members, Activated int }
		}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	apitest.Must(t, srv.Client().WithToken(adm.LogIn.AccessToken).Do(t, `query($w: DateTime!) { productKpis(firstWeek: $w, lastWeek: $w) {
		computedAt nps { responses score } cohorts { members activated } } }`, map[string]any{"w": now})).Decode(t, &k)
	if p := k.ProductKpis; p.ComputedAt == nil || p.Nps.Responses != 6 || p.Nps.Score == nil || int(*p.Nps.Score) != 33 ||
		len(p.Cohorts) != 1 || p.Cohorts[0].Members == 0 || p.Cohorts[0].Activated < 2 {
		t.Fatalf("demo KPIs = %+v", p)
	}
	// The demo warning and its appeal, seeded twice: one of each.
	for range 2 {
		if err := seed.Sanctions(ctx, srv.App.Store, srv.App.Moderation); err != nil {
			t.Fatal(err)
		}
	}
	var appeals struct {
		ModerationAppeals struct {
			Edges []struct {
				Node struct {
					Text     string
					Sanction struct {
						Kind   string
						Member struct{ DisplayName string }
					}
				}
			}
		}
	}
	apitest.Must(t, srv.Client().WithToken(mod.LogIn.AccessToken).Do(t,
		`{ moderationAppeals { edges { node { text sanction { kind member { displayName } } } } } }`, nil)).Decode(t, &appeals)
	if e := appeals.ModerationAppeals.Edges; len(e) != 1 || e[0].Node.Sanction.Kind != "WARNING" || e[0].Node.Text == "" {
		t.Fatalf("demo appeals = %+v", e)
	}
}
