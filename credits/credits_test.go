package credits_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/credits"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/skillsessions"
	"github.com/skillswap/skillswap/store"
)

func TestOpenAccountGrantsOnce(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	ctx := context.Background()
	u := e.User(t, "New member") // opens the account (as sign-up does)
	// Opening again, even concurrently, grants nothing more.
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.Store.InTx(ctx, func(q *store.Queries) error { return e.Credits.OpenAccount(ctx, q, u.ID) }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	b, err := e.Credits.Balance(context.Background(), skillsessiontest.As(u))
	if err != nil || b.Balance != 120 || b.Available != 120 || b.Floor != 0 {
		t.Fatalf("balance %+v %v", b, err)
	}
	page, err := e.Credits.Transactions(context.Background(), skillsessiontest.As(u), relay.Page[domain.CreditPosition]{First: 20})
	if err != nil || len(page.Edges) != 1 || page.Edges[0].Node.Kind != domain.CreditStarterGrant ||
		page.Edges[0].Node.Amount != 120 || page.Edges[0].Node.BalanceAfter != 120 {
		t.Fatalf("statement %+v %v", page, err)
	}
	if _, err := e.Credits.Balance(context.Background(), domain.Actor{}); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("anonymous balance: %v", err)
	}
	e.LedgerCheck(t)
}

// The database itself refuses an unbalanced transaction at commit and any change to entries.
func TestLedgerConstraints(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	ctx := context.Background()
	u := e.User(t, "M")
	accts, err := e.Store.Q().CreditAccountsByUserIDs(ctx, []uuid.UUID{u.ID})
	if err != nil {
		t.Fatal(err)
	}
	acct := accts[u.ID].ID

	// Go refuses unbalanced postings before any SQL.
	err = e.Store.InTx(ctx, func(q *store.Queries) error {
		_, err := q.PostCreditTransaction(ctx, store.CreditTransaction{
			ID: uuid.Must(uuid.NewV7()), Kind: domain.CreditAdjustment, CreatedAt: time.Now(),
			Postings: []domain.CreditPosting{{AccountID: acct, Amount: 1000}, {AccountID: domain.CreditAccountAdjustment, Amount: -1}},
		})
		return err
	})
	if err == nil {
		t.Fatal("unbalanced postings accepted")
	}

	// Raw SQL bypassing Go: the deferred constraint trigger fails the commit.
	err = pgx.BeginFunc(ctx, e.Store.Pool(), func(tx pgx.Tx) error {
		id := uuid.Must(uuid.NewV7())
		if _, err := tx.Exec(ctx, `INSERT INTO credit_transactions (id, kind) VALUES ($1, 'ADJUSTMENT')`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO credit_entries (transaction_id, account_id, amount) VALUES ($1, $2, 1000)`, id, acct)
		return err
	})
	if err == nil || store.ConstraintName(err) != "credit_entries_balanced" {
		t.Fatalf("unbalanced transaction committed: %v", err)
	}
	if _, err := e.Store.Pool().Exec(ctx, `UPDATE credit_entries SET amount = amount * 2`); err == nil {
		t.Fatal("entries updated")
	}
	if _, err := e.Store.Pool().Exec(ctx, `DELETE FROM credit_entries`); err == nil {
		t.Fatal("entries deleted")
	}
	b, _ := e.Credits.BalanceOf(ctx, u.ID)
	if b.Balance != 120 {
		t.Fatalf("balance %d", b.Balance)
	}
	e.LedgerCheck(t)
}

func TestTransactionsPaging(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	ctx := context.Background()
	teacher, learner := e.User(t, "T"), e.User(t, "L")
	for i := range 3 {
		e.Completed(t, teacher, learner, e.Clock.Now().Add(48*time.Hour+time.Duration(i)*time.Hour), 10)
	}
	var got []domain.CreditEntry
	var after *string
	for {
		first := 2
		page, err := skillsessiontest.Paged(credits.TransactionsCursor, &first, after, func(p relay.Page[domain.CreditPosition]) (relay.Connection[domain.CreditEntry], error) {
			return e.Credits.Transactions(ctx, skillsessiontest.As(teacher), p)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, edge := range page.Edges {
			got = append(got, edge.Node)
		}
		if !page.PageInfo.HasNextPage {
			break
		}
		after = page.PageInfo.EndCursor
	}
	// A cursor names the public transaction, not the ledger's sequential entry id; one made
	// before that (a bare entry id) still positions the page at the same line.
	first := 1
	page, err := skillsessiontest.Paged(credits.TransactionsCursor, &first, nil, func(p relay.Page[domain.CreditPosition]) (relay.Connection[domain.CreditEntry], error) {
		return e.Credits.Transactions(ctx, skillsessiontest.As(teacher), p)
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(*page.PageInfo.EndCursor)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`{"k":%q,"v":%q}`, credits.TransactionsCursor, got[0].TransactionID); string(raw) != want {
		t.Fatalf("cursor %s, want %s", raw, want)
	}
	legacy := relay.Cursor(credits.TransactionsCursor, got[0].ID)
	for _, after := range []*string{page.PageInfo.EndCursor, &legacy} {
		next, err := skillsessiontest.Paged(credits.TransactionsCursor, &first, after, func(p relay.Page[domain.CreditPosition]) (relay.Connection[domain.CreditEntry], error) {
			return e.Credits.Transactions(ctx, skillsessiontest.As(teacher), p)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(next.Edges) != 1 || next.Edges[0].Node.TransactionID != got[1].TransactionID {
			t.Fatalf("page after %s: %+v, want the line of %s", *after, next.Edges, got[1].TransactionID)
		}
	}
	if len(got) != 4 || got[0].Kind != domain.CreditSessionPayment || got[0].Amount != 10 || got[0].BalanceAfter != 150 ||
		got[3].Kind != domain.CreditStarterGrant || got[0].SessionID == nil {
		t.Fatalf("statement %+v", got)
	}
	b, _ := e.Credits.BalanceOf(ctx, learner.ID)
	if b.Balance != 90 {
		t.Fatalf("learner %+v", b)
	}
	e.LedgerCheck(t)
}

// Many simultaneous proposals from one learner never commit more minutes than their balance
// (the lock of their account in EnsureCanCommit serialises the checks), and none is refused
// that would have fitted: each refused proposal exceeds the balance on top of what was committed.
func TestConcurrentProposalsNeverOvercommit(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	ctx := context.Background()
	learner := e.User(t, "Learner") // 120 starter minutes
	teachers := []domain.User{e.User(t, "T1"), e.User(t, "T2"), e.User(t, "T3")}
	durations := []int{60, 45, 30, 30, 30, 15, 15, 60, 45, 30, 15, 60, 30, 45, 15, 30}
	errs := make([]error, len(durations))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, minutes := range durations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = e.SkillSessions.Propose(ctx, skillsessiontest.As(learner), skillsessions.ProposeInput{
				SkillID: e.SkillID, TeacherID: teachers[i%len(teachers)].ID, LearnerID: learner.ID,
				StartsAt: skillsessiontest.Start.Add(48*time.Hour + time.Duration(i)*2*time.Hour), DurationMinutes: minutes,
				Mode: domain.ModeOnline, Link: skillsessiontest.Online,
			})
		}()
	}
	close(start)
	wg.Wait()
	var committed int64
	var refused []int
	for i, err := range errs {
		var de *domain.Error
		switch {
		case err == nil:
			committed += int64(durations[i])
		case errors.As(err, &de) && de.Kind == domain.KindConflict && de.Details["reason"] == "INSUFFICIENT_CREDITS":
			refused = append(refused, durations[i])
		default:
			t.Errorf("proposal %d (%d min): %v", i, durations[i], err)
		}
	}
	b, err := e.Credits.BalanceOf(ctx, learner.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Balance != 120 || b.Committed != committed || committed > b.Balance || b.Available < 0 {
		t.Fatalf("balance %+v after proposals committing %d minutes", b, committed)
	}
	if len(refused) == 0 {
		t.Fatalf("all %d proposals (%d minutes) accepted on 120 minutes", len(durations), committed)
	}
	for _, d := range refused {
		if committed+int64(d) <= b.Balance {
			t.Errorf("a %d-minute proposal was refused though %d of %d minutes were committed", d, committed, b.Balance)
		}
	}
}
