package exports

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/mail"
)

// Mailer sends emails (mail.SMTPMailer and mail.LogMailer implement it).
type Mailer interface {
	Send(ctx context.Context, e mail.Email) error
}

// BuildArgs asks for an export's archive to be built; inserted by requestDataExport.
type BuildArgs struct {
	ExportID uuid.UUID `json:"export_id"`
}

// Kind implements river.JobArgs.
func (BuildArgs) Kind() string { return "data_export_build" }

// buildAttempts is how many times a build is tried before the export is marked FAILED.
const buildAttempts = 5

// InsertOpts: a few attempts, then FAILED (the member may ask again).
func (BuildArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: buildAttempts} }

// EmailArgs asks for the email with a READY export's link. The link is not in the arguments:
// the worker signs it again (it is derived, not stored).
type EmailArgs struct {
	ExportID uuid.UUID `json:"export_id"`
}

// Kind implements river.JobArgs.
func (EmailArgs) Kind() string { return "data_export_email" }

// InsertOpts puts the job on the email queue.
func (EmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueEmail, MaxAttempts: 10}
}

// ExpireArgs asks to delete the archives whose link expired.
type ExpireArgs struct{}

// Kind implements river.JobArgs.
func (ExpireArgs) Kind() string { return "data_export_expire" }

// Jobs registers the build and email workers and the hourly deletion of expired archives.
func Jobs(s *Service, mailer Mailer) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &buildWorker{s: s})
		river.AddWorker(w, &emailWorker{s: s, mailer: mailer})
		river.AddWorker(w, &expireWorker{s: s})
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return ExpireArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})}
	}
}

type buildWorker struct {
	river.WorkerDefaults[BuildArgs]
	s *Service
}

// Timeout: a heavy member's archive takes seconds (bench/README.md); minutes leave room on a busy machine.
func (w *buildWorker) Timeout(*river.Job[BuildArgs]) time.Duration { return 5 * time.Minute }

// Work builds the archive; on the last failed attempt the export becomes FAILED.
func (w *buildWorker) Work(ctx context.Context, job *river.Job[BuildArgs]) error {
	err := w.s.Build(ctx, job.Args.ExportID)
	if err != nil && job.Attempt >= job.MaxAttempts {
		if ferr := w.s.Fail(context.WithoutCancel(ctx), job.Args.ExportID); ferr != nil {
			w.s.log.ErrorContext(ctx, "mark data export failed", "export_id", job.Args.ExportID, "err", ferr)
		}
	}
	return err
}

type emailWorker struct {
	river.WorkerDefaults[EmailArgs]
	s      *Service
	mailer Mailer
}

// Work emails the link.
func (w *emailWorker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	return w.s.sendEmail(ctx, w.mailer, job.Args.ExportID)
}

type expireWorker struct {
	river.WorkerDefaults[ExpireArgs]
	s *Service
}

// Work deletes expired archives.
func (w *expireWorker) Work(ctx context.Context, _ *river.Job[ExpireArgs]) error {
	_, err := w.s.Expire(ctx)
	return err
}
