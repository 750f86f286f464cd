package passkeys

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
)

// PurgeArgs asks to forget ceremonies that expired unfinished.
type PurgeArgs struct{}

// Kind implements river.JobArgs.
func (PurgeArgs) Kind() string { return "webauthn_ceremonies_purge" }

// PurgeWorker purges expired webauthn_ceremonies.
type PurgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *PurgeWorker) Work(ctx context.Context, _ *river.Job[PurgeArgs]) error {
	_, err := w.Service.PurgeCeremonies(ctx)
	return err
}

// Jobs registers the hourly purge of expired ceremonies (finished ones are deleted when
// finished; only abandoned ones remain, a few minutes' worth of starts).
func Jobs(svc *Service) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &PurgeWorker{Service: svc})
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeArgs{}, nil }, nil)}
	}
}
