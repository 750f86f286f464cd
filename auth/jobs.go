package auth

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/mail"
	"github.com/skillswap/skillswap/store"
)

// Mailer sends emails (mail.SMTPMailer and mail.LogMailer implement it). Account emails are sent
// by auth's own workers because they make the secrets they carry (see recovery.go).
type Mailer interface {
	Send(ctx context.Context, e mail.Email) error
}

// SendVerificationEmailArgs asks for a verification code and link to be made and emailed to a
// member; inserted by signUp and resendVerificationEmail.
type SendVerificationEmailArgs struct {
	UserID uuid.UUID `json:"user_id"`
}

// Kind implements river.JobArgs.
func (SendVerificationEmailArgs) Kind() string { return "verification_email" }

// InsertOpts puts the job on the email queue; a code that comes hours late is useless, so few
// attempts (each one makes a new code).
func (SendVerificationEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueEmail, MaxAttempts: 6}
}

// SendPasswordResetArgs asks for a reset link to be emailed to the account of an address, if
// there is one. The job, not the request, looks the address up (see RequestPasswordReset).
type SendPasswordResetArgs struct {
	Email string `json:"email"`
}

// Kind implements river.JobArgs.
func (SendPasswordResetArgs) Kind() string { return "password_reset_email" }

// InsertOpts puts the job on the email queue; the link expires within minutes, so few attempts.
func (SendPasswordResetArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueEmail, MaxAttempts: 4}
}

// PasswordNoticeArgs asks for the notice that an account's password was changed or reset.
type PasswordNoticeArgs struct {
	UserID uuid.UUID `json:"user_id"`
	// Reset is true for a reset by email link, false for a change by the signed-in member.
	Reset bool `json:"reset,omitzero"`
}

// Kind implements river.JobArgs.
func (PasswordNoticeArgs) Kind() string { return "password_notice_email" }

// InsertOpts puts the job on the email queue.
func (PasswordNoticeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueEmail, MaxAttempts: 10}
}

// PasskeyNoticeArgs asks for the notice that a passkey was added to or removed from an account
// (inserted by the passkeys package in the transaction that makes the change).
type PasskeyNoticeArgs struct {
	UserID uuid.UUID `json:"user_id"`
	// Name is the passkey's name, as the member knows it.
	Name string `json:"name"`
	// Removed is true for a removal, false for an addition.
	Removed bool `json:"removed,omitzero"`
}

// Kind implements river.JobArgs.
func (PasskeyNoticeArgs) Kind() string { return "passkey_notice_email" }

// InsertOpts puts the job on the email queue.
func (PasskeyNoticeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueEmail, MaxAttempts: 10}
}

// Jobs registers the account email workers.
func Jobs(s *Service, mailer Mailer) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &verificationWorker{s: s, mailer: mailer})
		river.AddWorker(w, &resetWorker{s: s, mailer: mailer})
		river.AddWorker(w, &noticeWorker{s: s, mailer: mailer})
		river.AddWorker(w, &passkeyNoticeWorker{s: s, mailer: mailer})
		return nil
	}
}

type verificationWorker struct {
	river.WorkerDefaults[SendVerificationEmailArgs]
	s      *Service
	mailer Mailer
}

// Work makes a code and a link and emails them; a verified, suspended or erased account gets
// nothing. SMTP errors are returned so River retries (with new secrets).
func (w *verificationWorker) Work(ctx context.Context, job *river.Job[SendVerificationEmailArgs]) error {
	u, err := w.s.userByID(ctx, job.Args.UserID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("verification email: %w", err)
	}
	if u.EmailVerified() || u.Status != domain.UserActive {
		return nil
	}
	ttl := w.s.cfg.VerificationTTL
	token, code, err := w.s.issueAccountToken(ctx, u, store.TokenVerifyEmail, ttl, true)
	if err != nil {
		return fmt.Errorf("verification email: %w", err)
	}
	e, err := renderEmail(emailVerify, u.Locale, u.Email, emailData{
		App: w.s.cfg.AppName, Name: u.DisplayName, Code: code, Link: w.s.link("/verify-email", token),
		Hours: int(ttl.Hours()),
	})
	if err != nil {
		return err
	}
	return w.mailer.Send(ctx, e)
}

type resetWorker struct {
	river.WorkerDefaults[SendPasswordResetArgs]
	s      *Service
	mailer Mailer
}

// Work emails a reset link when the address has an active account, and does nothing otherwise.
func (w *resetWorker) Work(ctx context.Context, job *river.Job[SendPasswordResetArgs]) error {
	u, err := w.s.store.Q().UserByEmail(ctx, job.Args.Email)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("password reset email: %w", err)
	}
	if u.Status != domain.UserActive {
		return nil
	}
	ttl := w.s.cfg.ResetTokenTTL
	token, _, err := w.s.issueAccountToken(ctx, u, store.TokenResetPassword, ttl, false)
	if err != nil {
		return fmt.Errorf("password reset email: %w", err)
	}
	e, err := renderEmail(emailReset, u.Locale, u.Email, emailData{
		App: w.s.cfg.AppName, Name: u.DisplayName, Link: w.s.link("/reset-password", token),
		Minutes: int(ttl.Minutes()),
	})
	if err != nil {
		return err
	}
	return w.mailer.Send(ctx, e)
}

type noticeWorker struct {
	river.WorkerDefaults[PasswordNoticeArgs]
	s      *Service
	mailer Mailer
}

// Work emails the notice of a password change or reset.
func (w *noticeWorker) Work(ctx context.Context, job *river.Job[PasswordNoticeArgs]) error {
	u, err := w.s.userByID(ctx, job.Args.UserID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("password notice: %w", err)
	}
	kind := emailPasswordChanged
	if job.Args.Reset {
		kind = emailPasswordReset
	}
	e, err := renderEmail(kind, u.Locale, u.Email, emailData{
		App: w.s.cfg.AppName, Name: u.DisplayName, Link: w.s.link("/forgot-password", ""),
	})
	if err != nil {
		return err
	}
	return w.mailer.Send(ctx, e)
}

type passkeyNoticeWorker struct {
	river.WorkerDefaults[PasskeyNoticeArgs]
	s      *Service
	mailer Mailer
}

// Work emails the notice of a passkey added or removed.
func (w *passkeyNoticeWorker) Work(ctx context.Context, job *river.Job[PasskeyNoticeArgs]) error {
	u, err := w.s.userByID(ctx, job.Args.UserID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("passkey notice: %w", err)
	}
	kind := emailPasskeyAdded
	if job.Args.Removed {
		kind = emailPasskeyRemoved
	}
	e, err := renderEmail(kind, u.Locale, u.Email, emailData{
		App: w.s.cfg.AppName, Name: u.DisplayName, Link: w.s.link("/forgot-password", ""), Passkey: job.Args.Name,
	})
	if err != nil {
		return err
	}
	return w.mailer.Send(ctx, e)
}
