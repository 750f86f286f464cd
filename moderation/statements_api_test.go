package moderation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/relay"
)

// seedCases inserts n open cases about messages of subjects (in turn), each reported by every reporter
// and with one note by author, straight into the database: the test is about reading them.
func seedCases(t *testing.T, srv *apitest.Server, n int, subjects, reporters []uuid.UUID, author uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	for i := range n {
		id, subject := uuid.Must(uuid.NewV7()), subjects[i%len(subjects)]
		at := now.Add(time.Duration(i) * time.Second)
		if _, err := srv.App.Pool.Exec(ctx, `
			INSERT INTO moderation_cases (id, target_type, target_id, subject_id, reporter_count, created_at, updated_at)
			VALUES ($1, 'MESSAGE', $2, $3, $4, $5, $5)`, id, uuid.New(), subject, len(reporters), at); err != nil {
			t.Fatal(err)
		}
		for _, r := range reporters {
			if _, err := srv.App.Pool.Exec(ctx, `
				INSERT INTO moderation_reports (id, case_id, reporter_id, category, text, snapshot, created_at)
				VALUES ($1, $2, $3, 'SPAM', 'spam', '{"memberId": "x"}', $4)`, uuid.Must(uuid.NewV7()), id, r, at); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := srv.App.Pool.Exec(ctx, `
			INSERT INTO moderation_notes (id, case_id, author_id, body, created_at) VALUES ($1, $2, $3, 'looking', $4)`,
			uuid.Must(uuid.NewV7()), id, author, at); err != nil {
			t.Fatal(err)
		}
	}
}

// TestQueueStatements: a page of the moderation queue with each case's subject, assignee,
// reports (with their reporters) and notes (with their authors) runs the same number of
// statements for 1 case as for 20; so does the staff's list of members with the cases about
// each (User.moderationCases), and only MODERATOR reads them (node(id:) of a case included).
func TestQueueStatements(t *testing.T) {
	t.Parallel()
	counter := &testdb.StatementCounter{}
	cfg := apitest.ForStatementCounts(apitest.Config(t))
	srv := apitest.Start(t, cfg, app.Options{Tracer: counter})
	staff, member := signUpMember(t, srv), signUpMember(t, srv)
	srv.SetRoles(t, staff.gid, domain.RoleAdmin, domain.RoleModerator)
	var subjects, reporters []uuid.UUID
	for range 4 {
		subjects = append(subjects, signUpMember(t, srv).id)
		reporters = append(reporters, signUpMember(t, srv).id)
	}
	seedCases(t, srv, 24, subjects, reporters, staff.id)

	queue := func(n int) string {
		return fmt.Sprintf(`{ moderationCases(first: %d) { edges { node { id urgent reporterCount createdAt
			subject { id displayName } assignee { id }
			reports { category text createdAt reporter { id displayName } }
			notes { text author { displayName } } } } pageInfo { hasNextPage } } }`, n)
	}
	var page struct {
		ModerationCases struct {
			Edges []struct {
				Node struct {
					ID      string
					Reports []struct{ Reporter struct{ ID string } }
					Notes   []struct{ Text string }
				}
			}
		}
	}
	small := counter.Measure(func() { apitest.Must(t, staff.c.Do(t, queue(1), nil)) })
	large := counter.Measure(func() { apitest.Must(t, staff.c.Do(t, queue(20), nil)).Decode(t, &page) })
	t.Logf("queue statements: first 1 -> %d, first 20 -> %d", small, large)
	if n := len(page.ModerationCases.Edges); n != 20 {
		t.Fatalf("got %d cases, want 20", n)
	}
	for _, e := range page.ModerationCases.Edges {
		if len(e.Node.Reports) != len(reporters) || len(e.Node.Notes) != 1 {
			t.Fatalf("case %s: %d reports, %d notes", e.Node.ID, len(e.Node.Reports), len(e.Node.Notes))
		}
	}
	if small != large {
		t.Fatalf("moderationCases(first: 1) ran %d statements, (first: 20) ran %d: %v", small, large, counter.Last())
	}

	// The staff's view of members: each with the cases about them, newest first.
	members := func(n int) string {
		return fmt.Sprintf(`{ users(first: %d) { edges { node { id
			moderationCases(first: 3) { edges { node { id state reporterCount reports { category } } } pageInfo { hasNextPage } } } } } }`, n)
	}
	var list struct {
		Users struct {
			Edges []struct {
				Node struct {
					ID              string
					ModerationCases struct {
						Edges []struct {
							Node struct{ ID string }
						}
						PageInfo struct{ HasNextPage bool }
					}
				}
			}
		}
	}
	// Newest first: the last reporter and the last subject (2 members, one with cases) against
	// all 10 (4 with cases).
	small = counter.Measure(func() { apitest.Must(t, staff.c.Do(t, members(2), nil)) })
	large = counter.Measure(func() { apitest.Must(t, staff.c.Do(t, members(10), nil)).Decode(t, &list) })
	t.Logf("members statements: first 2 -> %d, first 10 -> %d", small, large)
	if small != large {
		t.Fatalf("users(first: 2) with moderationCases ran %d statements, users(first: 10) ran %d: %v", small, large, counter.Last())
	}
	withCases := 0
	for _, e := range list.Users.Edges {
		if n := len(e.Node.ModerationCases.Edges); n > 0 {
			withCases++
			if n != 3 || !e.Node.ModerationCases.PageInfo.HasNextPage {
				t.Fatalf("member %s: %d cases (hasNextPage %v), want 3 of 6", e.Node.ID, n, e.Node.ModerationCases.PageInfo.HasNextPage)
			}
		}
	}
	if withCases != len(subjects) {
		t.Fatalf("%d members with cases, want %d", withCases, len(subjects))
	}

	// Newest first, and paging on.
	subject := relay.GlobalID(relay.KindUser, subjects[0])
	var one struct {
		Node struct {
			ModerationCases struct {
				Edges []struct {
					Cursor string
					Node   struct {
						ID        string
						CreatedAt time.Time
					}
				}
			}
		}
	}
	caseQuery := `query($id: ID!, $after: String) { node(id: $id) { ... on User { moderationCases(first: 4, after: $after) { edges { cursor node { id createdAt } } } } } }`
	apitest.Must(t, staff.c.Do(t, caseQuery, map[string]any{"id": subject})).Decode(t, &one)
	edges := one.Node.ModerationCases.Edges
	if len(edges) != 4 || !edges[0].Node.CreatedAt.After(edges[3].Node.CreatedAt) {
		t.Fatalf("first page: %+v", edges)
	}
	apitest.Must(t, staff.c.Do(t, caseQuery, map[string]any{"id": subject, "after": edges[3].Cursor})).Decode(t, &one)
	if n := len(one.Node.ModerationCases.Edges); n != 2 {
		t.Fatalf("second page: %d cases, want 2", n)
	}

	// Authorization: the member cannot read the cases about them, nor a case through node(id:).
	if r := member.c.Do(t, caseQuery, map[string]any{"id": subject}); r.Code() != "FORBIDDEN" {
		t.Fatalf("a member reading moderationCases: %s", r.Raw)
	}
	caseID := page.ModerationCases.Edges[0].Node.ID
	nodeQuery := `query($id: ID!) { node(id: $id) { ... on ModerationCase { id reporterCount } } }`
	var got struct {
		Node *struct{ ID string }
	}
	apitest.Must(t, staff.c.Do(t, nodeQuery, map[string]any{"id": caseID})).Decode(t, &got)
	if got.Node == nil || got.Node.ID != caseID {
		t.Fatalf("a moderator's node(id:) of a case: %+v", got.Node)
	}
	got.Node = nil
	apitest.Must(t, member.c.Do(t, nodeQuery, map[string]any{"id": caseID})).Decode(t, &got)
	if got.Node != nil {
		t.Fatalf("a member's node(id:) of a case: %+v", got.Node)
	}
}
