// Package jobs holds the River background-job workers and their registration. Jobs are inserted
// with store.Queries.EnqueueJob inside the transaction of the change that causes them.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/mail"
	"github.com/skillswap/skillswap/search"
	"github.com/skillswap/skillswap/store"
)

// Queue names.
const (
	QueueEmail = "email"
)

// NewInserter returns an insert-only River client: services enqueue with it inside their
// transactions, while the worker client (NewWorkerClient) runs the jobs.
func NewInserter(pool *pgxpool.Pool, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("river inserter: %w", err)
	}
	return c, nil
}

// UserLoader loads accounts for workers.
type UserLoader interface {
	UsersByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.User, error)
}

// Mailer sends emails.
type Mailer interface {
	Send(ctx context.Context, e mail.Email) error
}

// Deps are what the workers need.
type Deps struct {
	Users  UserLoader
	Mailer Mailer
	// AppName signs emails.
	AppName string
	// Store and Search keep the search index in step (search.ReindexMemberWorker and
	// search.ReindexSkillWorker); the workers are registered only when Search is set.
	Store  *store.Store
	Search search.Backend
	// Register adds the workers of other capabilities (sessions, chat, ...).
	Register []func(*river.Workers)
}

// NewWorkerClient returns a River client that works every job kind of this package.
func NewWorkerClient(pool *pgxpool.Pool, deps Deps, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &WelcomeEmailWorker{deps: deps})
	if deps.Search != nil {
		river.AddWorker(workers, &search.ReindexMemberWorker{Store: deps.Store, Backend: deps.Search})
		river.AddWorker(workers, &search.ReindexSkillWorker{Backend: deps.Search})
	}
	for _, register := range deps.Register {
		register(workers)
	}
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger: log,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 10},
			QueueEmail:         {MaxWorkers: 5},
		},
		Workers:              workers,
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: 5 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("river worker client: %w", err)
	}
	return c, nil
}

// WelcomeEmailArgs asks for the welcome email of a new account.
type WelcomeEmailArgs struct {
	UserID uuid.UUID `json:"user_id"`
}

// Kind implements river.JobArgs.
func (WelcomeEmailArgs) Kind() string { return "welcome_email" }

// InsertOpts routes welcome emails to the email queue.
func (WelcomeEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEmail, MaxAttempts: 10}
}

// WelcomeEmailWorker sends the welcome email.
type WelcomeEmailWorker struct {
	river.WorkerDefaults[WelcomeEmailArgs]
	deps Deps
}

// Work implements river.Worker.
func (w *WelcomeEmailWorker) Work(ctx context.Context, job *river.Job[WelcomeEmailArgs]) error {
	users, err := w.deps.Users.UsersByIDs(ctx, []uuid.UUID{job.Args.UserID})
	if err != nil {
		return fmt.Errorf("welcome email: load user: %w", err)
	}
	u, ok := users[job.Args.UserID]
	if !ok {
		// The account was erased before the email went out: nothing to do.
		return nil
	}
	return w.deps.Mailer.Send(ctx, mail.Email{
		To:      u.Email,
		Subject: "Welcome to " + w.deps.AppName,
		Body: fmt.Sprintf("Hello %s,\n\nWelcome to %s! Add the skills you offer and the ones you want "+
			"to learn, and we will find you partners.\n\nThe %s team\n", u.DisplayName, w.deps.AppName, w.deps.AppName),
	})
}
