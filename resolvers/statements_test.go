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
