package reviews

import (
	"context"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
)

// RevealArgs asks to reveal a session's reviews when its review window closes (scheduled by the
// first review; a no-op when the second review already revealed them).
type RevealArgs struct {
	SessionID uuid.UUID `json:"session_id"`
}

// Kind implements river.JobArgs.
func (RevealArgs) Kind() string { return "session_reviews_reveal" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (RevealArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 20} }

// RevealWorker reveals reviews whose window closed.
type RevealWorker struct {
	river.WorkerDefaults[RevealArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *RevealWorker) Work(ctx context.Context, job *river.Job[RevealArgs]) error {
	return w.Service.Reveal(ctx, job.Args.SessionID)
}

// Jobs registers the review worker (reveal when the window closes).
func Jobs(svc *Service) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &RevealWorker{Service: svc})
		return nil
	}
}
