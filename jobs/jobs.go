// Package jobs builds the River clients: the inserter services enqueue with inside their
// transactions (store.Queries.EnqueueJob) and the worker client that runs what every capability
// registered. It knows no capability: each one exports a Jobs function returning a Register, and
// app lists them.
package jobs

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Queue names.
const (
	// QueueEmail has its own worker budget so a slow SMTP relay cannot hold up the other jobs.
	QueueEmail = "email"
	// QueuePush sends push notifications through Expo: a slow Expo holds up nothing else, and
	// the rate is paced across instances anyway.
	QueuePush = "push"
)

// How long River keeps finished jobs (and their arguments) before its cleaner deletes them: a
// day to look at what just ran, a week to investigate a job given up.
const (
	CompletedJobRetention = 24 * time.Hour
	DiscardedJobRetention = 7 * 24 * time.Hour
)

// Register is the one way a capability hands its background work to the worker client: it adds
// the capability's workers to w and returns its periodic jobs (nil when it has none). Each
// capability exports it as `func Jobs(<what its workers need>) jobs.Register`.
type Register func(w *river.Workers) []*river.PeriodicJob

// NewInserter returns an insert-only River client: services enqueue with it inside their
// transactions, while the worker client (NewWorkerClient) runs the jobs. middleware (tracing's,
// which writes the enqueuing trace into the job's metadata) wraps every insert.
func NewInserter(pool *pgxpool.Pool, log *slog.Logger, middleware ...rivertype.Middleware) (*river.Client[pgx.Tx], error) {
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log, Middleware: middleware})
	if err != nil {
		return nil, fmt.Errorf("river inserter: %w", err)
	}
	return c, nil
}

// NewWorkerClient returns a River client that works the jobs of every capability in regs and
// schedules their periodic jobs; middleware (tracing's: a span per job) wraps every job worked.
func NewWorkerClient(pool *pgxpool.Pool, regs []Register, log *slog.Logger, middleware ...rivertype.Middleware) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	var periodic []*river.PeriodicJob
	for _, register := range regs {
		periodic = append(periodic, register(workers)...)
	}
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:     log,
		Middleware: middleware,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 10},
			QueueEmail:         {MaxWorkers: 5},
			QueuePush:          {MaxWorkers: 2},
		},
		Workers:              workers,
		PeriodicJobs:         periodic,
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: 5 * time.Minute,
		// Finished jobs keep their arguments (raw Stripe event objects, the address of a
		// password-reset request) until River's cleaner deletes them: said here, not left to
		// River's defaults, because README's retention table promises these periods.
		CompletedJobRetentionPeriod: CompletedJobRetention,
		CancelledJobRetentionPeriod: CompletedJobRetention,
		DiscardedJobRetentionPeriod: DiscardedJobRetention,
	})
	if err != nil {
		return nil, fmt.Errorf("river worker client: %w", err)
	}
	return c, nil
}
