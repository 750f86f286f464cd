package payments

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
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

// RegisterWorkers adds the payment workers to a River worker set (jobs.Deps.Register).
func RegisterWorkers(workers *river.Workers, svc *Service) {
	river.AddWorker(workers, &StepWorker{Service: svc})
	river.AddWorker(workers, &EventWorker{Service: svc})
}
