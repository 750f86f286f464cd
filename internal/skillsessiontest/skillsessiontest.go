// Package skillsessiontest holds the fixtures of the skill-session, review, credit and calendar
// tests: a fresh migrated database with a River inserter, members (and As, the Actor to call
// services as one of them), a skill, a controllable clock, a recording notifier, and the
// services wired together.
package skillsessiontest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/skillswap/skillswap/credits"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/reviews"
	"github.com/skillswap/skillswap/skillsessions"
	"github.com/skillswap/skillswap/store"
)

// Clock is a settable clock for services' Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Notification is one recorded Notify call.
type Notification struct {
	UserID  uuid.UUID
	Type    string
	Payload any
}

// Notifier records notifications (it satisfies sessions.Notifier and reviews.Notifier).
type Notifier struct {
	mu   sync.Mutex
	list []Notification
}

// Notify implements the services' Notifier.
func (n *Notifier) Notify(_ context.Context, _ *store.Queries, userID uuid.UUID, typ string, payload any) error {
	n.mu.Lock()
	n.list = append(n.list, Notification{UserID: userID, Type: typ, Payload: payload})
	n.mu.Unlock()
	return nil
}

// Of returns the recorded notifications of a type.
func (n *Notifier) Of(typ string) []Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Notification
	for _, x := range n.list {
		if x.Type == typ {
			out = append(out, x)
		}
	}
	return out
}

// Env is a test environment: one fresh database and the services over it.
type Env struct {
	Store         *store.Store
	Clock         *Clock
	Notifier      *Notifier
	Credits       *credits.Service
	SkillSessions *skillsessions.Service
	Reviews       *reviews.Service
	SkillID       uuid.UUID
	users         atomic.Int64
}

// Start is the clock's initial time in every Env: a Monday, in winter.
var Start = time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)

// New builds an Env on a fresh database.
func New(t testing.TB) *Env {
	t.Helper()
	ctx := context.Background()
	pool, err := store.OpenPool(ctx, testdb.New(t), store.PoolConfig{MaxConns: 20, StatementTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	st := store.New(pool, inserter, log)
	// Every test over an Env ends with the ledger check, whatever it did with credits or money
	// (cleanups run last-in first-out: this one before the pool closes).
	t.Cleanup(func() { LedgerCheck(t, st) })
	e := &Env{Store: st, Clock: NewClock(Start), Notifier: &Notifier{}}
	e.Credits = credits.NewService(st, credits.Config{StarterMinutes: 120, Now: e.Clock.Now}, log)
	e.SkillSessions = skillsessions.NewService(st, e.Credits, e.Notifier, skillsessions.Config{Now: e.Clock.Now}, log)
	e.Reviews = reviews.NewService(st, e.Notifier, reviews.Config{Now: e.Clock.Now}, log)
	if err := pool.QueryRow(ctx, `SELECT id FROM skills WHERE status = 'APPROVED' ORDER BY slug LIMIT 1`).Scan(&e.SkillID); err != nil {
		t.Fatal(err)
	}
	return e
}

// User creates an active member with a credit account (as sign-up does) and returns them.
func (e *Env) User(t testing.TB, name string) domain.User {
	t.Helper()
	ctx := context.Background()
	n := e.users.Add(1)
	var u domain.User
	err := e.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		u, err = q.CreateUser(ctx, domain.User{
			ID: uuid.Must(uuid.NewV7()), Email: fmt.Sprintf("member%d@example.com", n), PasswordHash: "$argon2id$x",
			DisplayName: name, Roles: []domain.Role{domain.RoleMember}, Status: domain.UserActive, CreatedAt: e.Clock.Now(),
			EmailVerifiedAt: new(e.Clock.Now()), // members of these tests have verified their email
		})
		if err != nil {
			return err
		}
		return e.Credits.OpenAccount(ctx, q, u.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// As returns u as the Actor of a call, signed in with a fresh login session (services take
// the actor as an argument; pass domain.Actor{} for a signed-out caller).
func As(u domain.User) domain.Actor {
	return domain.Actor{User: u, SessionID: uuid.New()}
}

// Online is a valid online meeting for proposals.
const Online = "https://meet.example.com/skillswap"

// Propose has learner propose a one-hour online session with teacher at start.
func (e *Env) Propose(t testing.TB, teacher, learner domain.User, start time.Time, minutes int) domain.SkillSession {
	t.Helper()
	res, err := e.SkillSessions.Propose(context.Background(), As(learner), skillsessions.ProposeInput{
		SkillID: e.SkillID, TeacherID: teacher.ID, LearnerID: learner.ID, StartsAt: start,
		DurationMinutes: minutes, Mode: domain.ModeOnline, Link: Online,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Session
}

// Confirmed proposes and accepts a session.
func (e *Env) Confirmed(t testing.TB, teacher, learner domain.User, start time.Time, minutes int) domain.SkillSession {
	t.Helper()
	s := e.Propose(t, teacher, learner, start, minutes)
	s, err := e.SkillSessions.Accept(context.Background(), As(teacher), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Completed runs a session to completion: proposed, accepted, both sides confirm after its
// end. The clock ends after the session's end.
func (e *Env) Completed(t testing.TB, teacher, learner domain.User, start time.Time, minutes int) domain.SkillSession {
	t.Helper()
	s := e.Confirmed(t, teacher, learner, start, minutes)
	if e.Clock.Now().Before(s.EndsAt) {
		e.Clock.Set(s.EndsAt.Add(time.Minute))
	}
	if _, err := e.SkillSessions.ConfirmCompleted(context.Background(), As(teacher), s.ID); err != nil {
		t.Fatal(err)
	}
	s, err := e.SkillSessions.ConfirmCompleted(context.Background(), As(learner), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != domain.SessionCompleted {
		t.Fatalf("session %s after both confirmations", s.State)
	}
	return s
}

// QueuedJob is a River job as stored.
type QueuedJob struct {
	ID          int64
	Kind        string
	Args        json.RawMessage
	ScheduledAt time.Time
}

// Jobs lists the queued jobs of the given kind, oldest first.
func (e *Env) Jobs(t testing.TB, kind string) []QueuedJob {
	t.Helper()
	rows, err := e.Store.Pool().Query(context.Background(),
		`SELECT id, kind, args, scheduled_at FROM river_job WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (QueuedJob, error) {
		var j QueuedJob
		err := r.Scan(&j.ID, &j.Kind, &j.Args, &j.ScheduledAt)
		return j, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// LedgerCheck verifies the ledger's invariants (see the package-level LedgerCheck). New
// registers it as a cleanup of every test, so tests call it only to check mid-way.
func (e *Env) LedgerCheck(t testing.TB) {
	t.Helper()
	LedgerCheck(t, e.Store)
}

// LedgerCheck verifies the time-credit ledger's invariants in st: all entries sum to zero, each
// transaction sums to zero, each account's balance equals the sum of its entries, each entry's
// balance_after is its account's running sum, no member's balance is negative (the tests'
// floor is 0 and they make no staff corrections), and no session priced in money moved credits.
func LedgerCheck(t testing.TB, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	var total int64
	var badTx, badAcct, badRunning, negative, paidInCredits int
	err := st.Pool().QueryRow(ctx, `
		SELECT (SELECT coalesce(sum(amount), 0) FROM credit_entries),
			(SELECT count(*) FROM (SELECT transaction_id FROM credit_entries GROUP BY transaction_id HAVING sum(amount) <> 0) x),
			(SELECT count(*) FROM credit_accounts a
				WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM credit_entries e WHERE e.account_id = a.id)),
			(SELECT count(*) FROM (SELECT balance_after, sum(amount) OVER (PARTITION BY account_id ORDER BY id) AS running
				FROM credit_entries) r WHERE r.balance_after <> r.running),
			(SELECT count(*) FROM credit_accounts WHERE user_id IS NOT NULL AND balance < 0),
			(SELECT count(*) FROM credit_transactions t JOIN skill_sessions s ON s.id = t.session_id
				WHERE s.price_amount IS NOT NULL)`).
		Scan(&total, &badTx, &badAcct, &badRunning, &negative, &paidInCredits)
	if err != nil {
		t.Fatalf("ledger check: %v", err)
	}
	if total != 0 || badTx != 0 || badAcct != 0 || badRunning != 0 || negative != 0 || paidInCredits != 0 {
		t.Fatalf("ledger: total %d, unbalanced transactions %d, accounts off their entries %d, entries off the running balance %d, "+
			"negative member balances %d, paid sessions that moved credits %d", total, badTx, badAcct, badRunning, negative, paidInCredits)
	}
}

// Paged parses GraphQL page arguments as the resolvers do (relay.ParsePage with the list's
// cursor kind) and calls list with the page, so tests page through a service with the cursors
// clients hold.
func Paged[K, T any](kind string, first *int, after *string, list func(relay.Page[K]) (relay.Connection[T], error)) (relay.Connection[T], error) {
	p, err := relay.ParsePage[K](kind, first, after)
	if err != nil {
		return relay.Connection[T]{}, err
	}
	return list(p)
}
