package matching_test

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/testdb"
)

// These tests go through GraphQL: the rules themselves are covered by the service tests
// (matching_test.go, rules_test.go); here the API must expose them faithfully and efficiently.

var memberSeq atomic.Int64

type apiWorld struct {
	t   *testing.T
	srv *apitest.Server
}

func (w apiWorld) skill(slug string) string {
	var out struct{ Skill struct{ ID string } }
	w.srv.Client().Do(w.t, `query($s: String!) { skill(slug: $s) { id } }`, map[string]any{"s": slug}).Decode(w.t, &out)
	if out.Skill.ID == "" {
		w.t.Fatalf("no skill %s in the taxonomy", slug)
	}
	return out.Skill.ID
}

// member signs up a member with a profile and skills: offers and wants map skill ids to levels.
func (w apiWorld) member(name string, profile map[string]any, offers, wants map[string]string) (apitest.Tokens, *apitest.Client) {
	w.t.Helper()
	tok, c := w.srv.SignUpAs(w.t, fmt.Sprintf("match-%d@example.com", memberSeq.Add(1)), name)
	if profile == nil {
		profile = map[string]any{}
	}
	if _, ok := profile["timeZone"]; !ok {
		profile["timeZone"] = "Europe/Paris"
	}
	apitest.Must(w.t, c.Do(w.t, `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { id } } }`, map[string]any{"in": profile}))
	add := func(kind string, skills map[string]string) {
		for id, level := range skills {
			apitest.Must(w.t, c.Do(w.t, `mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { user { id } } }`,
				map[string]any{"in": map[string]any{"skillId": id, "kind": kind, "level": level}}))
		}
	}
	add("OFFER", offers)
	add("WANT", wants)
	return tok, c
}

const matchesQuery = `query($first: Int, $after: String, $filter: MatchFilter) {
	matches(first: $first, after: $after, filter: $filter) {
		edges { cursor node {
			user { id displayName }
			score mutual overlapMinutesPerWeek distanceKm
			reasons { code text weight skill { slug } }
			theyTeach { slug } youTeach { slug }
		} }
		pageInfo { hasNextPage endCursor }
	} }`

type matchesResult struct {
	Matches struct {
		Edges []struct {
			Cursor string
			Node   struct {
				User                  struct{ ID, DisplayName string }
				Score                 float64
				Mutual                bool
				OverlapMinutesPerWeek int
				DistanceKm            *float64
				Reasons               []struct {
					Code, Text string
					Weight     float64
					Skill      *struct{ Slug string }
				}
				TheyTeach, YouTeach []struct{ Slug string }
			}
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
	}
}

func (r matchesResult) names() []string {
	var out []string
	for _, e := range r.Matches.Edges {
		out = append(out, e.Node.User.DisplayName)
	}
	return out
}

func TestMatchesAPI(t *testing.T) {
	t.Parallel()
	w := apiWorld{t: t, srv: apitest.Start(t, apitest.Config(t))}
	guitar, spanish := w.skill("guitar"), w.skill("spanish")
	weekday := []map[string]any{{"weekday": 2, "start": "18:00", "end": "21:00"}}
	fr := map[string]any{"languages": []string{"fr"}, "availability": weekday}

	_, viewer := w.member("Vera", map[string]any{"languages": []string{"fr"}, "availability": weekday},
		map[string]string{guitar: "EXPERT"}, map[string]string{spanish: "INTERMEDIATE"})
	w.member("Mutual Mia", fr, map[string]string{spanish: "ADVANCED"}, map[string]string{guitar: "BEGINNER"})
	w.member("Teacher Tom", fr, map[string]string{spanish: "ADVANCED"}, nil)
	w.member("Learner Lea", fr, nil, map[string]string{guitar: "BEGINNER"})
	blocked, _ := w.member("Blocked Bob", fr, map[string]string{spanish: "EXPERT"}, map[string]string{guitar: "BEGINNER"})
	w.member("Unrelated Ugo", fr, map[string]string{w.skill("chess"): "EXPERT"}, map[string]string{w.skill("pottery"): "BEGINNER"})
	apitest.Must(t, viewer.Do(t, `mutation($id: ID!) { blockMember(input: {memberId: $id}) { member { id } } }`, map[string]any{"id": blocked.User.ID}))

	var got matchesResult
	viewer.Do(t, matchesQuery, nil).Decode(t, &got)
	names := got.names()
	if len(names) != 3 || names[0] != "Mutual Mia" || !slices.Contains(names, "Teacher Tom") || !slices.Contains(names, "Learner Lea") {
		t.Fatalf("matches %v: want Mutual Mia first, then Teacher Tom and Learner Lea; Bob (blocked) and Ugo (unrelated) out", names)
	}
	mia := got.Matches.Edges[0].Node
	if !mia.Mutual || mia.Score < 50 || got.Matches.Edges[1].Node.Mutual || got.Matches.Edges[1].Node.Score >= 50 {
		t.Fatalf("mutual flags/scores wrong: %+v", got.Matches.Edges)
	}
	if len(mia.TheyTeach) != 1 || mia.TheyTeach[0].Slug != "spanish" || len(mia.YouTeach) != 1 || mia.YouTeach[0].Slug != "guitar" {
		t.Fatalf("theyTeach %v youTeach %v", mia.TheyTeach, mia.YouTeach)
	}
	if mia.OverlapMinutesPerWeek != 180 {
		t.Fatalf("overlap %d minutes, want 180 (Tuesday 18:00-21:00 both)", mia.OverlapMinutesPerWeek)
	}
	codes := map[string]bool{}
	for _, r := range mia.Reasons {
		codes[r.Code] = true
		if r.Text == "" {
			t.Fatalf("reason %s without text", r.Code)
		}
		if (r.Code == "THEY_TEACH_WHAT_YOU_WANT" && (r.Skill == nil || r.Skill.Slug != "spanish")) ||
			(r.Code == "YOU_TEACH_WHAT_THEY_WANT" && (r.Skill == nil || r.Skill.Slug != "guitar")) {
			t.Fatalf("reason %s about %v", r.Code, r.Skill)
		}
	}
	for _, want := range []string{"MUTUAL", "THEY_TEACH_WHAT_YOU_WANT", "YOU_TEACH_WHAT_THEY_WANT", "SHARED_LANGUAGE", "AVAILABILITY_OVERLAP"} {
		if !codes[want] {
			t.Errorf("Mia's reasons lack %s: %v", want, codes)
		}
	}

	t.Run("pages", func(t *testing.T) {
		var paged []string
		var after any
		for range 5 {
			var p matchesResult
			viewer.Do(t, matchesQuery, map[string]any{"first": 1, "after": after}).Decode(t, &p)
			paged = append(paged, p.names()...)
			if !p.Matches.PageInfo.HasNextPage {
				break
			}
			after = *p.Matches.PageInfo.EndCursor
		}
		if !slices.Equal(paged, names) {
			t.Fatalf("one by one %v, at once %v", paged, names)
		}
	})

	t.Run("filters", func(t *testing.T) {
		var p matchesResult
		viewer.Do(t, matchesQuery, map[string]any{"filter": map[string]any{"mutualOnly": true}}).Decode(t, &p)
		if n := p.names(); !slices.Equal(n, []string{"Mutual Mia"}) {
			t.Fatalf("mutualOnly: %v", n)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			vars  map[string]any
			field string
		}{
			{map[string]any{"first": 0}, "first"},
			{map[string]any{"first": 101}, "first"},
			{map[string]any{"after": "not-a-cursor"}, "after"},
			{map[string]any{"filter": map[string]any{"language": "zz"}}, "filter.language"},
			{map[string]any{"filter": map[string]any{"maxDistanceKm": 10}}, "filter.maxDistanceKm"}, // no location set
			{map[string]any{"filter": map[string]any{"skillId": "usr_x"}}, "filter.skillId"},
		} {
			r := viewer.Do(t, `query($first: Int, $after: String, $filter: MatchFilter) {
				matches(first: $first, after: $after, filter: $filter) { edges { cursor } } }`, tc.vars)
			if r.Code() != "BAD_USER_INPUT" || r.Field() != tc.field {
				t.Errorf("%v: got %s on %q, want BAD_USER_INPUT on %s: %s", tc.vars, r.Code(), r.Field(), tc.field, r.Raw)
			}
		}
	})

	t.Run("signed out", func(t *testing.T) {
		if r := w.srv.Client().Do(t, matchesQuery, nil); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("anonymous matches: %s", r.Raw)
		}
	})
}

func TestSwapCirclesAPI(t *testing.T) {
	t.Parallel()
	w := apiWorld{t: t, srv: apitest.Start(t, apitest.Config(t))}
	pottery, chess, knitting := w.skill("pottery"), w.skill("chess"), w.skill("knitting")
	// X teaches pottery to Y, Y teaches chess to Z, Z teaches knitting to X; nobody has a direct
	// mutual match, so each of them is offered the circle.
	xTok, x := w.member("Xavier", nil, map[string]string{pottery: "EXPERT"}, map[string]string{knitting: "BEGINNER"})
	yTok, _ := w.member("Yvonne", nil, map[string]string{chess: "EXPERT"}, map[string]string{pottery: "BEGINNER"})
	zTok, _ := w.member("Zacharie", nil, map[string]string{knitting: "EXPERT"}, map[string]string{chess: "BEGINNER"})

	const q = `{ swapCircles { score members { id } edges { teacher { id } learner { id } skill { slug } } } }`
	var got struct {
		SwapCircles []struct {
			Score   float64
			Members []struct{ ID string }
			Edges   []struct {
				Teacher, Learner struct{ ID string }
				Skill            struct{ Slug string }
			}
		}
	}
	x.Do(t, q, nil).Decode(t, &got)
	if len(got.SwapCircles) != 1 {
		t.Fatalf("circles: %+v", got.SwapCircles)
	}
	c := got.SwapCircles[0]
	ids := []string{c.Members[0].ID, c.Members[1].ID, c.Members[2].ID}
	if !slices.Equal(ids, []string{xTok.User.ID, yTok.User.ID, zTok.User.ID}) {
		t.Fatalf("members %v, want X, Y, Z", ids)
	}
	want := [][3]string{{xTok.User.ID, yTok.User.ID, "pottery"}, {yTok.User.ID, zTok.User.ID, "chess"}, {zTok.User.ID, xTok.User.ID, "knitting"}}
	for i, e := range c.Edges {
		if e.Teacher.ID != want[i][0] || e.Learner.ID != want[i][1] || e.Skill.Slug != want[i][2] {
			t.Fatalf("edge %d: %+v, want %v", i, e, want[i])
		}
	}
	if c.Score <= 0 || c.Score > 100 {
		t.Fatalf("score %v", c.Score)
	}
	if r := x.Do(t, `{ swapCircles(first: 0) { score } }`, nil); r.Code() != "BAD_USER_INPUT" || r.Field() != "first" {
		t.Fatalf("first: 0 -> %s", r.Raw)
	}
}

// TestMatchesStatementCount: a page of matches with each partner's profile, availability and
// skills runs the same number of SQL statements for 5 partners as for 50.
func TestMatchesStatementCount(t *testing.T) {
	t.Parallel()
	counter := &testdb.StatementCounter{}
	cfg := apitest.Config(t)
	cfg = apitest.ForStatementCounts(cfg)
	w := apiWorld{t: t, srv: apitest.Start(t, cfg, app.Options{Tracer: counter})}
	guitar, spanish := w.skill("guitar"), w.skill("spanish")
	slots := []map[string]any{{"weekday": 3, "start": "09:00", "end": "12:00"}}
	_, viewer := w.member("Vera", map[string]any{"languages": []string{"fr"}, "availability": slots},
		map[string]string{guitar: "EXPERT"}, map[string]string{spanish: "BEGINNER"})
	for i := range 55 {
		p := map[string]any{"languages": []string{"fr", "es"}, "availability": slots, "bio": fmt.Sprintf("partner %d", i)}
		w.member(fmt.Sprintf("Partner %02d", i), p, map[string]string{spanish: "ADVANCED"}, map[string]string{guitar: "INTERMEDIATE"})
	}
	query := func(n int) string {
		return fmt.Sprintf(`{ matches(first: %d) { edges { cursor node {
			score mutual reasons { code text skill { slug } } theyTeach { slug } youTeach { slug }
			user { id displayName profile { bio timeZone languages availability { weekday start end } }
				offeredSkills { level skill { slug name category { slug } } } wantedSkills { level skill { slug } } }
		} } pageInfo { hasNextPage } } }`, n)
	}
	var small, large int64
	var page struct {
		Matches struct{ Edges []struct{ Cursor string } }
	}
	// The first request after the fixtures changed the taxonomy reloads the server's copy
	// (package taxonomy): the counts compare the steady state.
	apitest.Must(t, viewer.Do(t, query(5), nil))
	small = counter.Measure(func() { apitest.Must(t, viewer.Do(t, query(5), nil)) })
	large = counter.Measure(func() { viewer.Do(t, query(50), nil).Decode(t, &page) })
	t.Logf("statements: first 5 -> %d, first 50 -> %d", small, large)
	if len(page.Matches.Edges) != 50 {
		t.Fatalf("got %d matches, want 50", len(page.Matches.Edges))
	}
	if small != large {
		t.Fatalf("matches(first: 5) ran %d statements, matches(first: 50) ran %d", small, large)
	}
}

// TestMatchIDs: a Match has a stable Node id for the pair of members: the same on every load,
// distinct among a viewer's matches, fetchable with node(id:) by either member (each reading
// their own side) and null for anyone else; the cursor is a keyset position, so the next page
// starts right after the last match seen.
func TestMatchIDs(t *testing.T) {
	t.Parallel()
	w := apiWorld{t: t, srv: apitest.Start(t, apitest.Config(t))}
	guitar, spanish := w.skill("guitar"), w.skill("spanish")
	fr := map[string]any{"languages": []string{"fr"}}
	vera, viewer := w.member("Vera", map[string]any{"languages": []string{"fr"}},
		map[string]string{guitar: "EXPERT"}, map[string]string{spanish: "INTERMEDIATE"})
	mia, asMia := w.member("Mutual Mia", fr, map[string]string{spanish: "ADVANCED"}, map[string]string{guitar: "BEGINNER"})
	w.member("Teacher Tom", fr, map[string]string{spanish: "ADVANCED"}, nil)
	w.member("Learner Lea", fr, nil, map[string]string{guitar: "BEGINNER"})
	_, stranger := w.member("Unrelated Ugo", fr, map[string]string{w.skill("chess"): "EXPERT"}, nil)

	const q = `query($first: Int, $after: String) { matches(first: $first, after: $after) {
		edges { cursor node { id user { id } } } pageInfo { hasNextPage endCursor } } }`
	type page struct {
		Matches struct {
			Edges []struct {
				Cursor string
				Node   struct {
					ID   string
					User struct{ ID string }
				}
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
		}
	}
	load := func(c *apitest.Client, vars map[string]any) page {
		var p page
		apitest.Must(t, c.Do(t, q, vars)).Decode(t, &p)
		return p
	}
	all := load(viewer, nil)
	if len(all.Matches.Edges) != 3 {
		t.Fatalf("want 3 matches, got %+v", all.Matches.Edges)
	}
	ids := map[string]string{}
	for _, e := range all.Matches.Edges {
		if !strings.HasPrefix(e.Node.ID, "mch_") || ids[e.Node.ID] != "" {
			t.Fatalf("match id %q (duplicate or malformed) in %+v", e.Node.ID, all.Matches.Edges)
		}
		ids[e.Node.ID] = e.Node.User.ID
	}
	// Stable across loads, and pages of one continue exactly after the previous page's last.
	var paged []string
	var after any
	for range 4 {
		p := load(viewer, map[string]any{"first": 1, "after": after})
		for _, e := range p.Matches.Edges {
			paged = append(paged, e.Node.ID)
		}
		if !p.Matches.PageInfo.HasNextPage {
			break
		}
		after = p.Matches.PageInfo.EndCursor
	}
	var whole []string
	for _, e := range all.Matches.Edges {
		whole = append(whole, e.Node.ID)
	}
	if !slices.Equal(paged, whole) {
		t.Fatalf("paged ids %v, all at once %v", paged, whole)
	}

	const node = `query($id: ID!) { node(id: $id) { id ... on Match { user { id } score } } }`
	var miaMatch string
	for id, user := range ids {
		if user == mia.User.ID {
			miaMatch = id
		}
		var n struct {
			Node *struct {
				ID   string
				User struct{ ID string }
			}
		}
		apitest.Must(t, viewer.Do(t, node, map[string]any{"id": id})).Decode(t, &n)
		if n.Node == nil || n.Node.ID != id || n.Node.User.ID != user {
			t.Fatalf("node(%s) for the viewer: %+v, want the match with %s", id, n.Node, user)
		}
		apitest.Must(t, stranger.Do(t, node, map[string]any{"id": id})).Decode(t, &n)
		if n.Node != nil {
			t.Fatalf("node(%s) for a stranger: %+v", id, n.Node)
		}
	}
	// Mia (a mutual match) reads the same pair from her side: same id, Vera as the partner.
	var fromMia struct {
		Node *struct {
			ID   string
			User struct{ ID string }
		}
	}
	apitest.Must(t, asMia.Do(t, node, map[string]any{"id": miaMatch})).Decode(t, &fromMia)
	if fromMia.Node == nil || fromMia.Node.ID != miaMatch || fromMia.Node.User.ID != vera.User.ID {
		t.Fatalf("node(%s) for Mia: %+v", miaMatch, fromMia.Node)
	}
}
