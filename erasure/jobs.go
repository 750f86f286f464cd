package erasure

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/store"
)

// EraseAccountArgs asks for a member's account to be erased when its deletion is due. The job is
// scheduled at the end of the grace period; it does nothing when the deletion was cancelled.
type EraseAccountArgs struct {
	UserID uuid.UUID `json:"user_id"`
}

// Kind implements river.JobArgs.
func (EraseAccountArgs) Kind() string { return store.EraseAccountJobKind }

// EraseStripeAccountArgs asks Stripe to delete an erased mentor's connected account.
type EraseStripeAccountArgs struct {
	AccountID string `json:"account_id"`
}

// Kind implements river.JobArgs.
func (EraseStripeAccountArgs) Kind() string { return store.EraseStripeJobKind }

// InsertOpts makes the job unique per account: erasing twice asks Stripe once.
func (EraseStripeAccountArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// StripeAccounts deletes connected accounts at Stripe (payments.Stripe implements it).
type StripeAccounts interface {
	DeleteAccount(ctx context.Context, accountID string) error
}

// Jobs registers the erasure workers; stripe may be nil when payments are not configured.
func Jobs(s *Service, stripe StripeAccounts) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &eraseWorker{s: s})
		river.AddWorker(w, &stripeWorker{stripe: stripe})
		river.AddWorker(w, &sweepWorker{s: s})
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return EraseDueArgs{}, nil }, nil)}
	}
}

type eraseWorker struct {
	river.WorkerDefaults[EraseAccountArgs]
	s *Service
}

// Work erases the account if its deletion is (still) due.
func (w *eraseWorker) Work(ctx context.Context, job *river.Job[EraseAccountArgs]) error {
	_, err := w.s.EraseIfDue(ctx, job.Args.UserID)
	return err
}

// Timeout leaves room for a heavy member (the benchmark's erases in well under this).
func (w *eraseWorker) Timeout(*river.Job[EraseAccountArgs]) time.Duration { return 5 * time.Minute }

type stripeWorker struct {
	river.WorkerDefaults[EraseStripeAccountArgs]
	stripe StripeAccounts
}

// Work deletes the connected account; one already gone is done.
func (w *stripeWorker) Work(ctx context.Context, job *river.Job[EraseStripeAccountArgs]) error {
	if w.stripe == nil {
		return river.JobCancel(fmt.Errorf("stripe is not configured: close connected account %s by hand", job.Args.AccountID))
	}
	return w.stripe.DeleteAccount(ctx, job.Args.AccountID)
}

// EraseDueArgs asks for every due erasure to run (hourly, behind the job scheduled for each).
type EraseDueArgs struct{}

// Kind implements river.JobArgs.
func (EraseDueArgs) Kind() string { return "erase_due_accounts" }

type sweepWorker struct {
	river.WorkerDefaults[EraseDueArgs]
	s *Service
}

// Work runs the due erasures.
func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[EraseDueArgs]) error {
	_, err := w.s.EraseDue(ctx)
	return err
}

// Timeout leaves room for a batch of erasures.
func (w *sweepWorker) Timeout(*river.Job[EraseDueArgs]) time.Duration { return 30 * time.Minute }
