package payments

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
)

// StepArgs asks to run one saga step of a payment (see Service.RunStep).
type StepArgs struct {
	PaymentID uuid.UUID `json:"payment_id"`
	Step      string    `json:"step"`
}

// Kind implements river.JobArgs.
func (StepArgs) Kind() string { return "payment_step" }

// InsertOpts: money must move eventually, so many attempts; one queued job per payment step.
func (StepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// StepWorker runs payment saga steps.
type StepWorker struct {
	river.WorkerDefaults[StepArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *StepWorker) Work(ctx context.Context, job *river.Job[StepArgs]) error {
	return w.Service.RunStep(ctx, job.Args.PaymentID, job.Args.Step)
}

// Timeout bounds a step (a Stripe call and two short transactions).
func (w *StepWorker) Timeout(*river.Job[StepArgs]) time.Duration { return time.Minute }

// EventArgs asks to apply a verified Stripe webhook event (see Service.ApplyEvent).
type EventArgs struct {
	EventID string `json:"event_id"`
	Type    string `json:"type"`
	// Created is the event's creation time (Unix seconds).
	Created int64 `json:"created"`
	// Object is the event's data.object, as Stripe sent it.
	Object []byte `json:"object"`
}

// Kind implements river.JobArgs.
func (EventArgs) Kind() string { return "stripe_event" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (EventArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 25} }

// EventWorker applies Stripe webhook events.
type EventWorker struct {
	river.WorkerDefaults[EventArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *EventWorker) Work(ctx context.Context, job *river.Job[EventArgs]) error {
	return w.Service.ApplyEvent(ctx, job.Args)
}

// NoShowDeadlineArgs asks to uphold a paid session's no-show dispute that nobody contested,
// at the end of its contest window (see Service.ApplyNoShowDeadline).
type NoShowDeadlineArgs struct {
	SessionID uuid.UUID `json:"session_id"`
}

// Kind implements river.JobArgs.
func (NoShowDeadlineArgs) Kind() string { return "payment_no_show_deadline" }

// InsertOpts: the decision moves money, so many attempts; one job per session.
func (NoShowDeadlineArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// NoShowDeadlineWorker decides uncontested no-show disputes.
type NoShowDeadlineWorker struct {
	river.WorkerDefaults[NoShowDeadlineArgs]
	Service *Service
}

// Work implements river.Worker; it snoozes when the service's clock says the window is still
// open.
func (w *NoShowDeadlineWorker) Work(ctx context.Context, job *river.Job[NoShowDeadlineArgs]) error {
	wait, err := w.Service.ApplyNoShowDeadline(ctx, job.Args.SessionID)
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return nil
}

// Timeout bounds one short transaction.
func (w *NoShowDeadlineWorker) Timeout(*river.Job[NoShowDeadlineArgs]) time.Duration {
	return 30 * time.Second
}

// CaptureDeadlineArgs asks to capture an authorised payment before its authorisation expires,
// if its session has ended (see Service.ApplyCaptureDeadline).
type CaptureDeadlineArgs struct {
	PaymentID uuid.UUID `json:"payment_id"`
}

// Kind implements river.JobArgs.
func (CaptureDeadlineArgs) Kind() string { return "payment_capture_deadline" }

// InsertOpts: the authorisation expires half a day after the job is due, so many quick
// attempts; one job per payment.
func (CaptureDeadlineArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 20, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// CaptureDeadlineWorker captures payments of ended sessions before authorisations expire.
type CaptureDeadlineWorker struct {
	river.WorkerDefaults[CaptureDeadlineArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *CaptureDeadlineWorker) Work(ctx context.Context, job *river.Job[CaptureDeadlineArgs]) error {
	return w.Service.ApplyCaptureDeadline(ctx, job.Args.PaymentID)
}

// Timeout bounds a capture (a Stripe call and short transactions).
func (w *CaptureDeadlineWorker) Timeout(*river.Job[CaptureDeadlineArgs]) time.Duration {
	return time.Minute
}

// Jobs registers the payment workers (saga steps, Stripe events, no-show and capture deadlines).
func Jobs(svc *Service) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &StepWorker{Service: svc})
		river.AddWorker(w, &EventWorker{Service: svc})
		river.AddWorker(w, &NoShowDeadlineWorker{Service: svc})
		river.AddWorker(w, &CaptureDeadlineWorker{Service: svc})
		return nil
	}
}
