package kpis

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
)

// RefreshArgs asks for a recomputation of kpi_cohorts.
type RefreshArgs struct{}

// Kind implements river.JobArgs.
func (RefreshArgs) Kind() string { return "kpi_refresh" }

// RefreshWorker recomputes the cohorts.
type RefreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *RefreshWorker) Work(ctx context.Context, _ *river.Job[RefreshArgs]) error {
	_, err := w.Service.Refresh(ctx)
	return err
}

// Timeout: one statement over every member's messages, proposals and sessions (seconds on
// 100,000 members, bench/README.md); River's default minute is too tight for a larger platform.
func (w *RefreshWorker) Timeout(*river.Job[RefreshArgs]) time.Duration { return 10 * time.Minute }

// Jobs registers the periodic refresh (every Config.RefreshInterval, and once at start so a
// fresh deployment has figures at once).
func Jobs(s *Service) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &RefreshWorker{Service: s})
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(s.interval),
			func() (river.JobArgs, *river.InsertOpts) { return RefreshArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})}
	}
}
