package auth_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/relay"
)

const recentSignInsQuery = `query($n: Int) { viewer { security { recentSignIns(first: $n) {
	at method succeeded failureReason ipAddress userAgent } } } }`

type signInEvent struct {
	At            time.Time
	Method        string
	Succeeded     bool
	FailureReason *string
	IPAddress     *string
	UserAgent     *string
}

func recentSignIns(t *testing.T, c *apitest.Client, n int) []signInEvent {
	t.Helper()
	var v struct {
		Viewer struct {
			Security struct{ RecentSignIns []signInEvent }
		}
	}
	apitest.Must(t, c.Do(t, recentSignInsQuery, map[string]any{"n": n})).Decode(t, &v)
	return v.Viewer.Security.RecentSignIns
}

// describe is an event as "METHOD ok" or "METHOD REASON", newest first.
func describe(events []signInEvent) string {
	var b []string
	for _, e := range events {
		if e.Succeeded {
			b = append(b, e.Method+" ok")
		} else {
			b = append(b, e.Method+" "+*e.FailureReason)
		}
	}
	return strings.Join(b, ", ")
}

func TestSignInHistory(t *testing.T) {
	t.Parallel()
	var box *apitest.Mailbox
	e := startMFA(t, func(c *config.Config) {
		box = apitest.WithMail(t, c)
		c.RateMFACodesUser = config.Rate{Tokens: 3, Interval: 15 * time.Minute}
	})
	srv := e.srv
	email := uniqueEmail("history")
	tok, c := srv.SignUpAs(t, email, "History Member")
	client := func() *apitest.Client {
		cl := srv.Client()
		cl.Header.Set("User-Agent", "HistoryTest/1.0 "+strings.Repeat("x", 300))
		return cl
	}
	logInAs := func(password string) *apitest.Response {
		return client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": email, "password": password}})
	}
	if r := logInAs("wrong password entirely"); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("wrong password: %s", r.Raw)
	}
	apitest.Must(t, logInAs(apitest.StrongPassword))
	// An unknown email records nothing anywhere.
	client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": uniqueEmail("nobody"), "password": "whatever it is"}})

	// With two-factor sign-in: the second step is what is recorded.
	secret, recovery := e.enrol(t, c)
	box.Next(t, email, "two-factor sign-in was turned on")
	begin := func() string {
		var b struct{ BeginLogIn struct{ MfaTicket *string } }
		apitest.Must(t, client().Do(t, beginLogInMutation, map[string]any{"in": map[string]any{"email": email, "password": apitest.StrongPassword}})).Decode(t, &b)
		return *b.BeginLogIn.MfaTicket
	}
	ticket := begin()
	expectInvalid(t, client().Do(t, completeMfaMutation, map[string]any{"in": map[string]any{"ticket": ticket, "code": wrongCode(t, e.clock, secret)}}), "input.code")
	apitest.Must(t, client().Do(t, completeMfaMutation, map[string]any{"in": map[string]any{"ticket": ticket, "code": e.clock.next(t, secret)}}))
	apitest.Must(t, client().Do(t, completeMfaMutation, map[string]any{"in": map[string]any{"ticket": begin(), "recoveryCode": recovery[0]}}))
	// Past the budget of wrong codes the sign-in is refused: LOCKED.
	ticket = begin()
	want := ""
	for i := 0; ; i++ {
		r := client().Do(t, completeMfaMutation, map[string]any{"in": map[string]any{"ticket": ticket, "code": wrongCode(t, e.clock, secret)}})
		if r.Code() == "RATE_LIMITED" {
			want = "PASSWORD_TOTP LOCKED, " + want
			break
		}
		expectInvalid(t, r, "input.code")
		want = "PASSWORD_TOTP WRONG_CODE, " + want
		if i == 5 {
			t.Fatal("wrong codes were never throttled")
		}
	}

	events := recentSignIns(t, c, 50)
	want += "RECOVERY_CODE ok, PASSWORD_TOTP ok, PASSWORD_TOTP WRONG_CODE, PASSWORD ok, PASSWORD WRONG_PASSWORD"
	if got := describe(events); got != want {
		t.Fatalf("history:\n got %s\nwant %s", got, want)
	}
	for i, ev := range events {
		if ev.IPAddress == nil || *ev.IPAddress != "127.0.0.0/24" {
			t.Errorf("event %d: network %v, want 127.0.0.0/24", i, ev.IPAddress)
		}
		if ev.UserAgent == nil || !strings.HasPrefix(*ev.UserAgent, "HistoryTest/1.0 ") || len(*ev.UserAgent) != 256 {
			t.Errorf("event %d: user agent %v", i, ev.UserAgent)
		}
		if i > 0 && ev.At.After(events[i-1].At) {
			t.Errorf("event %d is newer than event %d", i, i-1)
		}
	}
	if got := recentSignIns(t, c, 2); len(got) != 2 {
		t.Fatalf("first: 2 returned %d", len(got))
	}
	// The default is 10; the bound is 50.
	var def struct {
		Viewer struct {
			Security struct{ RecentSignIns []signInEvent }
		}
	}
	apitest.Must(t, c.Do(t, `{ viewer { security { recentSignIns { method } } } }`, nil)).Decode(t, &def)
	if len(def.Viewer.Security.RecentSignIns) != min(len(events), 10) {
		t.Fatalf("default page: %d events", len(def.Viewer.Security.RecentSignIns))
	}
	for _, n := range []int{0, 51} {
		if r := c.Do(t, recentSignInsQuery, map[string]any{"n": n}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("first: %d: %s", n, r.Raw)
		}
	}
	// Only the member reads it.
	_, other := srv.SignUp(t)
	if r := other.Do(t, `query($id: ID!) { node(id: $id) { ... on User { security { recentSignIns { at } } } } }`,
		map[string]any{"id": tok.User.ID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("another member's history: %s", r.Raw)
	}
	var total int
	if err := srv.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sign_in_events WHERE user_id <> $1`,
		mustUserID(t, tok.User.ID)).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if total != 0 {
		t.Fatalf("%d events recorded for other accounts (unknown emails must record nothing)", total)
	}
}

func mustUserID(t *testing.T, gid string) uuid.UUID {
	t.Helper()
	id, err := relay.ParseID(relay.KindUser, gid, "id")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The history stays small: 50 events per member, none older than 90 days.
func TestSignInHistoryIsBounded(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, c := srv.SignUp(t)
	id := mustUserID(t, tok.User.ID)
	ctx := context.Background()
	for range 60 {
		srv.App.Auth.RecordSignIn(ctx, id, domain.SignInPasskey, "", auth.Client{})
	}
	count := func() int {
		var n int
		if err := srv.App.Pool.QueryRow(ctx, `SELECT count(*) FROM sign_in_events WHERE user_id = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 50 {
		t.Fatalf("%d events kept, want 50", n)
	}
	if got := recentSignIns(t, c, 50); len(got) != 50 || got[0].Method != "PASSKEY" || got[0].IPAddress != nil {
		t.Fatalf("history: %d events, first %+v", len(got), got[0])
	}
	if _, err := srv.App.Pool.Exec(ctx, `UPDATE sign_in_events SET at = now() - interval '91 days'
		WHERE id IN (SELECT id FROM sign_in_events WHERE user_id = $1 ORDER BY at LIMIT 20)`, id); err != nil {
		t.Fatal(err)
	}
	done, err := srv.App.Retention.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events := done["old sign-in history"]
	if events != 20 || count() != 30 {
		t.Fatalf("purged %d, %d left; want 20 and 30", events, count())
	}
}

func TestSecurityNotices(t *testing.T) {
	t.Parallel()
	var box *apitest.Mailbox
	e := startMFA(t, func(c *config.Config) { box = apitest.WithMail(t, c) })
	email := uniqueEmail("notices")
	c := e.srv.Client()
	c.Header.Set("Accept-Language", "fr")
	var su struct{ SignUp apitest.Tokens }
	apitest.Must(t, c.Do(t, signUpMutation, signUpVars(email, apitest.StrongPassword, "Noé Notices"))).Decode(t, &su)
	member := e.srv.Client().WithToken(su.SignUp.AccessToken)
	e.enrol(t, member)
	on := box.Next(t, email, "la connexion en deux étapes a été activée")
	if on.Language != "fr" || !strings.Contains(on.Text, "Bonjour Noé Notices") || !strings.Contains(on.HTML, "<p>Bonjour Noé Notices,</p>") {
		t.Fatalf("French notice expected:\n%s\n%s", on.Text, on.HTML)
	}
	apitest.Must(t, member.Do(t, regenerateCodes, nil))
	box.Next(t, email, "de nouveaux codes de secours ont été générés")
	apitest.Must(t, member.Do(t, disableTotpQuery, nil))
	box.Next(t, email, "la connexion en deux étapes a été désactivée")
}

// A locked account hammered from one network records one LOCKED event per lock window, so the
// member's real sign-ins stay in their 50 events; another network gets its own.
func TestRepeatedLockedRefusalsRecordedOnce(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, _ := srv.SignUp(t)
	id := mustUserID(t, tok.User.ID)
	ctx := context.Background()
	script := auth.Client{IP: netip.MustParseAddr("198.51.100.7"), UserAgent: "script"}
	for range 30 {
		srv.App.Auth.RecordSignIn(ctx, id, domain.SignInPassword, domain.SignInLocked, script)
	}
	srv.App.Auth.RecordSignIn(ctx, id, domain.SignInPassword, domain.SignInLocked, auth.Client{IP: netip.MustParseAddr("203.0.113.9")})
	srv.App.Auth.RecordSignIn(ctx, id, domain.SignInPassword, domain.SignInWrongPassword, script)
	srv.App.Auth.RecordSignIn(ctx, id, domain.SignInPassword, domain.SignInWrongPassword, script)
	var locked, wrong int
	if err := srv.App.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE failure_reason = 'LOCKED'),
		count(*) FILTER (WHERE failure_reason = 'WRONG_PASSWORD') FROM sign_in_events WHERE user_id = $1`, id).Scan(&locked, &wrong); err != nil {
		t.Fatal(err)
	}
	if locked != 2 || wrong != 2 {
		t.Fatalf("LOCKED events %d (want one per network), WRONG_PASSWORD %d (want each)", locked, wrong)
	}
	// Once the window has passed, the next refusal is recorded again.
	if _, err := srv.App.Pool.Exec(ctx, `UPDATE sign_in_events SET at = at - interval '16 minutes' WHERE user_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	srv.App.Auth.RecordSignIn(ctx, id, domain.SignInPassword, domain.SignInLocked, script)
	if err := srv.App.Pool.QueryRow(ctx, `SELECT count(*) FROM sign_in_events WHERE user_id = $1 AND failure_reason = 'LOCKED'`, id).Scan(&locked); err != nil || locked != 3 {
		t.Fatalf("after the window: %d LOCKED events (%v), want 3", locked, err)
	}
}
