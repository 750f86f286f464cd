package skillsessions

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
)

// ReminderArgs asks for a reminder of a confirmed session, MinutesBefore its start. BookingSeq
// is the session's booking sequence when it was scheduled: a cancelled or rescheduled session
// has moved on, and the reminder then does nothing.
type ReminderArgs struct {
	SessionID     uuid.UUID `json:"session_id"`
	BookingSeq    int       `json:"booking_seq"`
	MinutesBefore int       `json:"minutes_before"`
}

// Kind implements river.JobArgs.
func (ReminderArgs) Kind() string { return "skill_session_reminder" }

// InsertOpts: a reminder that fails for long is useless, so few attempts.
func (ReminderArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// ReminderWorker sends session reminders.
type ReminderWorker struct {
	river.WorkerDefaults[ReminderArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *ReminderWorker) Work(ctx context.Context, job *river.Job[ReminderArgs]) error {
	_, err := w.Service.SendReminder(ctx, job.Args.SessionID, job.Args.BookingSeq, job.Args.MinutesBefore)
	return err
}

// AutoCompleteArgs asks to complete a confirmed session once the auto-completion delay after
// its end has passed (unless a problem was reported or it was cancelled or rescheduled since:
// BookingSeq as in ReminderArgs).
type AutoCompleteArgs struct {
	SessionID  uuid.UUID `json:"session_id"`
	BookingSeq int       `json:"booking_seq"`
}

// Kind implements river.JobArgs.
func (AutoCompleteArgs) Kind() string { return "skill_session_auto_complete" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (AutoCompleteArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// AutoCompleteWorker completes sessions nobody confirmed.
type AutoCompleteWorker struct {
	river.WorkerDefaults[AutoCompleteArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *AutoCompleteWorker) Work(ctx context.Context, job *river.Job[AutoCompleteArgs]) error {
	_, err := w.Service.AutoComplete(ctx, job.Args.SessionID, job.Args.BookingSeq)
	return err
}

// Timeout keeps a stuck completion from holding its row locks for River's default job timeout.
func (w *AutoCompleteWorker) Timeout(*river.Job[AutoCompleteArgs]) time.Duration {
	return 30 * time.Second
}

// Jobs registers the session workers (reminders, auto-completion).
func Jobs(svc *Service) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &ReminderWorker{Service: svc})
		river.AddWorker(w, &AutoCompleteWorker{Service: svc})
		return nil
	}
}
