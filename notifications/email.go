package notifications

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/mail"
	"github.com/skillswap/skillswap/store"
)

// EmailArgs is the River job that emails one notification, inserted by Notify in the
// transaction that creates it (so an email goes out if and only if the event committed).
type EmailArgs struct {
	UserID uuid.UUID `json:"user_id"`
	// NotificationID is the in-app notification, when the member keeps them in the app.
	NotificationID uuid.UUID               `json:"notification_id,omitzero"`
	Type           domain.NotificationType `json:"type"`
	Payload        json.RawMessage         `json:"payload"`
	// HeldUntil is the end of the quiet hours the email waited for (zero: sent at once); a held
	// email whose notification the member read meanwhile is dropped (quiet.go).
	HeldUntil time.Time `json:"held_until,omitzero"`
}

// Kind implements river.JobArgs.
func (EmailArgs) Kind() string { return "notification_email" }

// InsertOpts puts the job on the email queue, which has its own worker budget.
func (EmailArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueEmail} }

// UserLoader loads accounts (store.Queries implements it).
type UserLoader interface {
	UsersByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.User, error)
}

// Mailer sends emails (mail.SMTPMailer and mail.LogMailer implement it). Notification and
// welcome emails are sent by workers of this package; account emails (verification, recovery),
// whose workers make the secrets they carry, by auth's (auth.Mailer).
type Mailer interface {
	Send(ctx context.Context, e mail.Email) error
}

// EmailWorker sends EmailArgs jobs.
type EmailWorker struct {
	river.WorkerDefaults[EmailArgs]
	Users   UserLoader
	Mailer  Mailer
	AppName string
	// Reads says which notifications were read, to drop held emails already seen (nil: never
	// dropped).
	Reads ReadChecker
	// Links makes the one-click unsubscribe links of non-critical types (nil: no link).
	Links *UnsubscribeLinks
	// Suppressions records addresses that refuse email for good and skips them (nil: every
	// email is tried).
	Suppressions Suppressions
	// Log notes suppressed addresses (nil: slog.Default()).
	Log *slog.Logger
	// Now is the clock of suppressions (nil: time.Now).
	Now func() time.Time
}

// EmailConfig is what the notification email worker needs beyond its mailer.
type EmailConfig struct {
	// Links signs the one-click unsubscribe links (nil: emails carry none).
	Links *UnsubscribeLinks
	// Suppressions stores addresses that refused email for good (store.Queries).
	Suppressions Suppressions
	// Log notes the addresses suppressed (by member id).
	Log *slog.Logger
}

// Jobs registers the email workers (notification and welcome emails); appName signs the emails.
func Jobs(users UserLoader, mailer Mailer, appName string, email EmailConfig) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &EmailWorker{Users: users, Mailer: mailer, AppName: appName, Reads: readCheckerOf(users),
			Links: email.Links, Suppressions: email.Suppressions, Log: email.Log})
		river.AddWorker(w, &WelcomeEmailWorker{Users: users, Mailer: mailer, AppName: appName})
		return nil
	}
}

// Work implements river.Worker. A member who is gone or suspended gets nothing, nor does an
// address that refused an email for good (see Suppressions); the email is in the member's
// language with an HTML and a text part, and, for a type they may turn off, the one-click
// unsubscribe headers of RFC 8058. A permanent refusal of the address suppresses it and ends the
// job; other SMTP errors are returned so River retries.
func (w *EmailWorker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	users, err := w.Users.UsersByIDs(ctx, []uuid.UUID{job.Args.UserID})
	if err != nil {
		return fmt.Errorf("notification email: load user: %w", err)
	}
	u, ok := users[job.Args.UserID]
	if !ok || u.Status != domain.UserActive {
		return nil
	}
	if seen, err := readWhileHeld(ctx, w.Reads, job.Args); err != nil || seen {
		return err
	}
	if w.Suppressions != nil {
		sup, err := w.Suppressions.EmailSuppressionOf(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("notification email: suppression: %w", err)
		}
		if sup != nil {
			return nil
		}
	}
	var link string
	var headers map[string]string
	if w.Links != nil && Unsubscribable(job.Args.Type) {
		link = w.Links.URL(u.ID, job.Args.Type)
		headers = map[string]string{
			"List-Unsubscribe":      "<" + link + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		}
	}
	m, err := RenderEmail(u.Locale, w.AppName, u.DisplayName, job.Args.Type, link)
	if err != nil {
		return fmt.Errorf("notification email: %w", err)
	}
	err = w.Mailer.Send(ctx, m.asMail(u.Email, headers))
	var rejected *mail.RejectedError
	if errors.As(err, &rejected) && w.Suppressions != nil {
		return w.suppress(ctx, u, rejected)
	}
	if err != nil {
		return fmt.Errorf("notification email: send: %w", err)
	}
	return nil
}

// WelcomeEmailArgs asks for the welcome email of a new account; auth inserts it in the sign-up
// transaction, so a refused sign-up sends nothing.
type WelcomeEmailArgs struct {
	UserID uuid.UUID `json:"user_id"`
}

// Kind implements river.JobArgs.
func (WelcomeEmailArgs) Kind() string { return "welcome_email" }

// InsertOpts puts the job on the email queue and gives up after 10 attempts (about four hours of
// River's backoff, against days for its default 25): a welcome that arrives days late is not worth
// sending.
func (WelcomeEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueEmail, MaxAttempts: 10}
}

// WelcomeEmailWorker sends WelcomeEmailArgs jobs.
type WelcomeEmailWorker struct {
	river.WorkerDefaults[WelcomeEmailArgs]
	Users   UserLoader
	Mailer  Mailer
	AppName string
}

// Work implements river.Worker: the email is in the member's language (their profile locale,
// which sign-up took from the request); SMTP errors are returned so River retries.
func (w *WelcomeEmailWorker) Work(ctx context.Context, job *river.Job[WelcomeEmailArgs]) error {
	users, err := w.Users.UsersByIDs(ctx, []uuid.UUID{job.Args.UserID})
	if err != nil {
		return fmt.Errorf("welcome email: load user: %w", err)
	}
	u, ok := users[job.Args.UserID]
	if !ok {
		// The account was erased before the email went out: nothing to do.
		return nil
	}
	m, err := RenderWelcome(u.Locale, w.AppName, u.DisplayName)
	if err != nil {
		return err
	}
	return w.Mailer.Send(ctx, m.asMail(u.Email, nil))
}

// The welcome email's own words (its greeting and signature are every email's).
var (
	msgWelcomeSubject = i18n.Key("email.welcome.subject")
	msgWelcomeBody    = i18n.Key("email.welcome.body")
)

// ByName adapts the service to notifiers that name types with plain strings, such as
// skillsessions.Notifier: skillsessions.NewService(..., notifications.ByName{Service: notes}, ...).
type ByName struct{ *Service }

// Notify implements sessions.Notifier; an unknown type is an error (it fails the caller's
// transaction, so a new type cannot silently go nowhere).
func (b ByName) Notify(ctx context.Context, q *store.Queries, userID uuid.UUID, typ string, payload any) error {
	_, err := b.Service.Notify(ctx, q, userID, domain.NotificationType(typ), payload)
	return err
}
