package identities

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
)

// PurgeArgs asks to forget the uses of expired ID tokens.
type PurgeArgs struct{}

// Kind implements river.JobArgs.
func (PurgeArgs) Kind() string { return "oidc_token_uses_purge" }

// PurgeWorker purges oidc_token_uses of expired tokens.
type PurgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *PurgeWorker) Work(ctx context.Context, _ *river.Job[PurgeArgs]) error {
	_, err := w.Service.PurgeTokenUses(ctx)
	return err
}

// Jobs registers the hourly purge of expired ID token uses (tokens live an hour at most at the
// big providers, so the table holds about an hour or two of sign-ins).
func Jobs(svc *Service) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &PurgeWorker{Service: svc})
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeArgs{}, nil }, nil)}
	}
}
