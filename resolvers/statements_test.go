package resolvers_test

import (
	"fmt"
	"testing"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/testdb"
)

// TestStatementCountDoesNotGrowWithPageSize guards against N+1 queries: a page of 2 and a page of
// 25 members, with their profiles, availability, skills, categories and related skills, run the
// same number of SQL statements.
func TestStatementCountDoesNotGrowWithPageSize(t *testing.T) {
	t.Parallel()
	counter := &testdb.StatementCounter{}
	cfg := apitest.Config(t)
	cfg = apitest.ForStatementCounts(cfg)
	srv := apitest.Start(t, cfg, app.Options{Tracer: counter})
	staff, staffClient := srv.SignUp(t)
	srv.SetRoles(t, staff.User.ID, domain.RoleSupport)
	cat := srv.Category(t, "t-stmt", "Statements", "Requêtes")
	skill := srv.Skill(t, cat, "t-stmt-skill", "Counting", "Compter")
	for range 30 {
		_, c := srv.SignUp(t)
		apitest.Must(t, c.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: OFFER, level: EXPERT}) { user { id } } }`, map[string]any{"id": skill}))
		apitest.Must(t, c.Do(t, `mutation { updateProfile(input: {timeZone: "Europe/Paris", availability: [{weekday: 1, start: "18:00", end: "20:00"}]}) { user { id } } }`, nil))
	}
	query := func(n int) string {
		return fmt.Sprintf(`{ users(first: %d) { edges { cursor node { id displayName email roles createdAt
			profile { timeZone availability { weekday start end } }
			offeredSkills { level skill { slug name category { slug name } relatedSkills { slug } } }
			wantedSkills { level } } } pageInfo { hasNextPage } } }`, n)
	}
	var small, large int64
	// The first request after the fixtures changed the taxonomy reloads the server's copy
	// (package taxonomy): the counts compare the steady state.
	apitest.Must(t, staffClient.Do(t, query(2), nil))
	small = counter.Measure(func() { apitest.Must(t, staffClient.Do(t, query(2), nil)) })
	large = counter.Measure(func() { apitest.Must(t, staffClient.Do(t, query(25), nil)) })
	t.Logf("statements: first 2 -> %d, first 25 -> %d", small, large)
	if small != large {
		t.Fatalf("users(first: 2) ran %d statements, users(first: 25) ran %d", small, large)
	}
	// Each node fetched again by id goes through the user loader: one batch for all of them.
	ids := ""
	var page struct {
		Users struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	staffClient.Do(t, query(25), nil).Decode(t, &page)
	for i, e := range page.Users.Edges {
		ids += fmt.Sprintf(` n%d: node(id: %q) { ... on User { displayName } }`, i, e.Node.ID)
	}
	byID := counter.Measure(func() { apitest.Must(t, staffClient.Do(t, "{"+ids+" }", nil)) })
	if byID > 2 { // at most: authenticate + one batched user load
		t.Fatalf("25 node() lookups ran %d statements, want at most 2", byID)
	}
}

// TestMembersAndTheirSkillsInFewRoundTrips: what a page of members and the viewer show beyond
// the list itself (profiles, offers, wants, and the taxonomy's version for the skills' names and
// categories) is read in one round trip to PostgreSQL (dataloaders.PrefetchMembers).
func TestMembersAndTheirSkillsInFewRoundTrips(t *testing.T) {
	t.Parallel()
	counter := &testdb.StatementCounter{}
	srv := apitest.Start(t, apitest.ForStatementCounts(apitest.Config(t)), app.Options{Tracer: counter})
	staff, staffClient := srv.SignUp(t)
	srv.SetRoles(t, staff.User.ID, domain.RoleSupport)
	cat := srv.Category(t, "t-trips", "Trips", "Trajets")
	skill := srv.Skill(t, cat, "t-trips-skill", "Travelling", "Voyager")
	for range 3 {
		_, c := srv.SignUp(t)
		apitest.Must(t, c.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: OFFER, level: EXPERT}) { user { id } } }`, map[string]any{"id": skill}))
	}
	apitest.Must(t, staffClient.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: WANT, level: BEGINNER}) { user { id } } }`, map[string]any{"id": skill}))

	roundTrips := func(query string) int64 {
		counter.Measure(func() { apitest.Must(t, staffClient.Do(t, query, nil)) })
		return counter.LastRoundTrips()
	}
	// The same request's own round trips (authentication, with the session cache off).
	base := roundTrips(`{ __typename }`)
	for _, tc := range []struct {
		name, query string
		beyond      int64 // round trips beyond base
	}{
		{"a page of members with their offers", `{ users(first: 4) { edges { node { id offeredSkills { level skill { name category { name } } } } } } }`, 2},
		{"the viewer with profile, offers and wants", `{ viewer { profile { timeZone } offeredSkills { skill { name } } wantedSkills { skill { name category { name } } } } }`, 1},
	} {
		roundTrips(tc.query) // the first request after the fixtures reloads the server's taxonomy
		if got := roundTrips(tc.query) - base; got != tc.beyond {
			t.Errorf("%s: %d round trips beyond the request's own %d, want %d: %q", tc.name, got, base, tc.beyond, counter.Last())
		}
	}
}
