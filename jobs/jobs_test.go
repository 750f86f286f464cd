package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/jobs"
)

type pingArgs struct {
	From string `json:"from"`
}

func (pingArgs) Kind() string { return "jobs_test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	done chan<- string
}

func (w *pingWorker) Work(_ context.Context, job *river.Job[pingArgs]) error {
	w.done <- job.Args.From
	return nil
}

type pongArgs struct{}

func (pongArgs) Kind() string { return "jobs_test_pong" }

type pongWorker struct {
	river.WorkerDefaults[pongArgs]
	done chan<- string
}

func (w *pongWorker) Work(context.Context, *river.Job[pongArgs]) error {
	w.done <- "pong"
	return nil
}

// Two capabilities registered the one way: the worker client works the jobs of both and
// schedules the periodic jobs each returns.
func TestWorkerClientRunsEveryRegistration(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	log := slog.New(slog.DiscardHandler)

	done := make(chan string, 4)
	periodic := jobs.Register(func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &pingWorker{done: done})
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return pingArgs{From: "periodic"}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})}
	})
	plain := jobs.Register(func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &pongWorker{done: done})
		return nil
	})
	client, err := jobs.NewWorkerClient(pool, []jobs.Register{periodic, plain}, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Stop(context.Background()) })

	inserter, err := jobs.NewInserter(pool, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inserter.Insert(ctx, pongArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case from := <-done:
			got[from] = true
		case <-ctx.Done():
			t.Fatalf("worked %v, want the periodic ping and the inserted pong", got)
		}
	}
}
