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
// 25 users, with their private fields and sessions' owners resolved, run the same number of SQL
// statements.
func TestStatementCountDoesNotGrowWithPageSize(t *testing.T) {
	counter := &testdb.StatementCounter{}
	srv := apitest.Start(t, apitest.Config(t), app.Options{Tracer: counter})
	staff, staffClient := srv.SignUp(t)
	srv.SetRoles(t, staff.User.ID, domain.RoleSupport)
	for range 30 {
		srv.SignUp(t)
	}
	query := func(n int) string {
		return fmt.Sprintf(`{ users(first: %d) { edges { cursor node { id displayName email roles createdAt } } pageInfo { hasNextPage } } }`, n)
	}
	var small, large int64
	small = counter.Measure(func() { apitest.Must(t, staffClient.Do(t, query(2), nil)) })
	large = counter.Measure(func() { apitest.Must(t, staffClient.Do(t, query(25), nil)) })
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
	if byID > 2 { // authenticate + one batched user load
		t.Fatalf("25 node() lookups ran %d statements, want at most 2", byID)
	}
}
