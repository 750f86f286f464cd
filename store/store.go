// Package store holds all SQL: pgx queries per aggregate, transactions and row -> domain mapping.
// It maps pgx.ErrNoRows to domain not-found errors and unique/exclusion violations to conflicts,
// so services never see driver errors.
package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/skillswap/skillswap/domain"
)

// JobInserter inserts background jobs inside a transaction; River's client implements it.
type JobInserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// PoolConfig tunes the connection pool.
type PoolConfig struct {
	// MaxConns caps open connections (0: pgxpool's default).
	MaxConns int32
	// StatementTimeout aborts any single SQL statement running longer (0: none).
	StatementTimeout time.Duration
	// Tracer observes every query (tests count statements with it); nil for none.
	Tracer pgx.QueryTracer
	// ApplicationName names the connections in pg_stat_activity (default "skillswap").
	ApplicationName string
	// Lazy skips the check that the database answers: a replica that is down at start-up must
	// not stop the server (reads go to the primary until it answers).
	Lazy bool
}

// OpenPool connects to PostgreSQL and checks the connection.
func OpenPool(ctx context.Context, databaseURL string, cfg PoolConfig) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.StatementTimeout > 0 {
		pc.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10)
	}
	pc.ConnConfig.RuntimeParams["application_name"] = cmp.Or(cfg.ApplicationName, "skillswap")
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	if cfg.Tracer != nil {
		pc.ConnConfig.Tracer = cfg.Tracer
	}
	pc.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		registerUUID(c.TypeMap())
		registerRoles(c.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	if cfg.Lazy {
		return pool, nil
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return pool, nil
}

// dbtx is what queries run on: the pool or a transaction.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Store is the entry point to the database.
type Store struct {
	pool *pgxpool.Pool
	jobs JobInserter
	log  *slog.Logger
	// replica, when set (UseReplica), serves Reader and InReadOnlySnapshot.
	replica *replica
}

// New returns a Store over pool; jobs inserts background jobs in transactions.
func New(pool *pgxpool.Pool, jobs JobInserter, log *slog.Logger) *Store {
	return &Store{pool: pool, jobs: jobs, log: log}
}

// Pool returns the underlying pool (for health checks and River).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Q returns queries that run outside any transaction, each statement on its own.
func (s *Store) Q() *Queries { return &Queries{db: s.pool, jobs: s.jobs} }

// InTx runs fn in one transaction: committed when fn returns nil, rolled back otherwise.
// Hooks registered with Queries.AfterCommit run once the commit succeeded, in order; that is
// where broker publishes go (never inside the transaction).
func (s *Store) InTx(ctx context.Context, fn func(q *Queries) error) error {
	var hooks []func(context.Context)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := &Queries{db: tx, tx: tx, jobs: s.jobs, afterCommit: &hooks}
		return fn(q)
	})
	if err != nil {
		return err
	}
	// Before the hooks: a read the member makes once told of the write must find it.
	s.markWrite(ctx)
	for _, h := range hooks {
		h(context.WithoutCancel(ctx))
	}
	return nil
}

// Queries runs the SQL of every aggregate, on the pool or inside a transaction.
type Queries struct {
	db          dbtx
	tx          pgx.Tx
	jobs        JobInserter
	afterCommit *[]func(context.Context)
}

// AfterCommit registers fn to run after the surrounding transaction commits. Outside a
// transaction fn runs at once.
func (q *Queries) AfterCommit(ctx context.Context, fn func(context.Context)) {
	if q.afterCommit == nil {
		fn(ctx)
		return
	}
	*q.afterCommit = append(*q.afterCommit, fn)
}

// EnqueueJob inserts a background job in the current transaction, so the job exists if and
// only if the transaction commits.
func (q *Queries) EnqueueJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if q.tx == nil {
		return errors.New("enqueue job: must run inside store.InTx")
	}
	if q.jobs == nil {
		return errors.New("enqueue job: no job inserter configured")
	}
	if _, err := q.jobs.InsertTx(ctx, q.tx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s job: %w", args.Kind(), err)
	}
	return nil
}

// PostgreSQL error codes the store translates.
const (
	pgUniqueViolation    = "23505"
	pgExclusionViolation = "23P01"
	pgDeadlockDetected   = "40P01"
)

// mapErr turns driver errors into domain errors: no rows -> not found (for entity), unique or
// exclusion violations -> conflict with the given message. Other errors are wrapped with what.
func mapErr(err error, what, entity, conflictMsg string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.NotFound(entity)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == pgUniqueViolation || pgErr.Code == pgExclusionViolation) {
		e := domain.Conflict("%s", conflictMsg)
		e.Err = fmt.Errorf("%s: %w", what, err)
		return e
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isUnique tells a unique violation apart from an exclusion one, for callers that give each
// its own message.
func isUnique(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgUniqueViolation
}

// ConstraintName returns the violated constraint's name when err is a PostgreSQL constraint error.
func ConstraintName(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		err = de.Err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}
