package store_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/store"
)

// openPool opens a pool of maxConns connections to a fresh test database, as the server opens
// its own (the codecs it registers included), closed when the test ends.
func openPool(t *testing.T, maxConns int32) *pgxpool.Pool {
	t.Helper()
	pool, err := store.OpenPool(context.Background(), testdb.New(t), store.PoolConfig{MaxConns: maxConns, StatementTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func newStore(t *testing.T) *store.Store {
	t.Helper()
	pool := openPool(t, 5)
	inserter, err := jobs.NewInserter(pool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return store.New(pool, inserter, slog.New(slog.DiscardHandler))
}

func newUser(t *testing.T, q *store.Queries, email string) domain.User {
	t.Helper()
	u, err := q.CreateUser(context.Background(), domain.User{
		ID: uuid.Must(uuid.NewV7()), Email: email, PasswordHash: "$argon2id$x", DisplayName: "U",
		Roles: []domain.Role{domain.RoleMember}, Status: domain.UserActive, CreatedAt: time.Now().UTC(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	applied, err := store.Migrate(context.Background(), st.Pool(), slog.New(slog.DiscardHandler))
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migration run applied %v (%v)", applied, err)
	}
}

func TestInTxCommitsAndRollsBack(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	var hooks []string
	boom := errors.New("boom")

	err := st.InTx(ctx, func(q *store.Queries) error {
		u := newUser(t, q, "rolled-back@example.com")
		if err := q.EnqueueJob(ctx, notifications.WelcomeEmailArgs{UserID: u.ID}, nil); err != nil {
			return err
		}
		q.AfterCommit(ctx, func(context.Context) { hooks = append(hooks, "rolled back") })
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v", err)
	}
	if _, err := st.Q().UserByEmail(ctx, "rolled-back@example.com"); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("rolled-back user exists: %v", err)
	}

	err = st.InTx(ctx, func(q *store.Queries) error {
		u := newUser(t, q, "committed@example.com")
		q.AfterCommit(ctx, func(context.Context) { hooks = append(hooks, "committed") })
		if len(hooks) != 0 {
			t.Error("after-commit hook ran inside the transaction")
		}
		return q.EnqueueJob(ctx, notifications.WelcomeEmailArgs{UserID: u.ID}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 1 || hooks[0] != "committed" {
		t.Fatalf("hooks = %v", hooks)
	}
	var jobsQueued int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job`).Scan(&jobsQueued); err != nil || jobsQueued != 1 {
		t.Fatalf("jobs queued = %d (%v), want 1", jobsQueued, err)
	}
	if err := st.Q().EnqueueJob(ctx, notifications.WelcomeEmailArgs{}, nil); err == nil {
		t.Fatal("EnqueueJob outside a transaction must fail")
	}
}

func TestStoreMapsConstraintErrors(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	newUser(t, st.Q(), "same@example.com")
	_, err := st.Q().CreateUser(ctx, domain.User{
		ID: uuid.Must(uuid.NewV7()), Email: "SAME@example.com", PasswordHash: "x", DisplayName: "U",
		Roles: []domain.Role{domain.RoleMember}, Status: domain.UserActive, CreatedAt: time.Now(),
	})
	if !domain.IsKind(err, domain.KindConflict) {
		t.Fatalf("duplicate email (other case): %v", err)
	}
	// The database itself refuses what Go should never send.
	_, err = st.Q().CreateUser(ctx, domain.User{
		ID: uuid.Must(uuid.NewV7()), Email: "r@example.com", PasswordHash: "x", DisplayName: "U",
		Roles: []domain.Role{"ROOT"}, Status: domain.UserActive, CreatedAt: time.Now(),
	})
	if err == nil || store.ConstraintName(err) != "users_roles_known" {
		t.Fatalf("unknown role: %v", err)
	}
	if _, err := st.Q().AuthSessionByID(ctx, uuid.New()); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("missing auth session: %v", err)
	}
}

func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	pool, err := store.OpenPool(context.Background(), testdb.New(t), store.PoolConfig{StatementTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	_, err = pool.Exec(context.Background(), "SELECT pg_sleep(1)")
	// Cancelled by statement_timeout (SQLSTATE 57014, query_canceled), not any other failure.
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("a 1 s statement under a 100 ms statement_timeout: %v, want SQLSTATE 57014", err)
	}
}
