package auth

import (
	"context"
	"fmt"
	"time"

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

// SendEmailChangeArgs asks for the code and link of an email change to be made and emailed to
// its new address (or, when an account has that address, the "already has an account" email).
// The job, not the request, looks the address up, so the request's answer never tells.
type SendEmailChangeArgs struct {
	ChangeID uuid.UUID `json:"change_id"`
}

// Kind implements river.JobArgs.
func (SendEmailChangeArgs) Kind() string { return "email_change_email" }

// InsertOpts puts the job on the email queue, with few attempts like verification emails.
func (SendEmailChangeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueEmail, MaxAttempts: 6}
}

// EmailChangedNoticeArgs asks for the notice of a confirmed email change, with its undo link, to
// be emailed to the old address.
type EmailChangedNoticeArgs struct {
	ChangeID uuid.UUID `json:"change_id"`
}

// Kind implements river.JobArgs.
func (EmailChangedNoticeArgs) Kind() string { return "email_changed_notice_email" }

// InsertOpts puts the job on the email queue; the undo link is what lets a member recover a
// taken-over account, so it is retried for long.
func (EmailChangedNoticeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueEmail, MaxAttempts: 15}
}

// Security notices (SecurityNoticeArgs.Notice): a change to how the account signs in.
const (
	NoticeTOTPEnabled          = "TOTP_ENABLED"
	NoticeTOTPDisabled         = "TOTP_DISABLED"
	NoticeRecoveryCodesRenewed = "RECOVERY_CODES_REGENERATED"
	NoticeProviderLinked       = "PROVIDER_LINKED"
	NoticeProviderUnlinked     = "PROVIDER_UNLINKED"
	NoticePasskeyAdded         = "PASSKEY_ADDED"
	NoticePasskeyRemoved       = "PASSKEY_REMOVED"
)

var noticeEmails = map[string]accountEmail{
	NoticeTOTPEnabled:          emailTOTPEnabled,
	NoticeTOTPDisabled:         emailTOTPDisabled,
	NoticeRecoveryCodesRenewed: emailRecoveryCodesNew,
	NoticeProviderLinked:       emailProviderLinked,
	NoticeProviderUnlinked:     emailProviderUnlinked,
	NoticePasskeyAdded:         emailPasskeyAdded,
	NoticePasskeyRemoved:       emailPasskeyRemoved,
}

// SecurityNoticeArgs asks for a notice of a change to how the account signs in to be emailed to
// the member. Inserted in the transaction of the change (identities inserts the provider ones).
type SecurityNoticeArgs struct {
	UserID uuid.UUID `json:"user_id"`
	// Notice is one of the Notice* constants.
	Notice string `json:"notice"`
	// Provider names the provider of PROVIDER_LINKED and PROVIDER_UNLINKED.
	Provider string `json:"provider,omitzero"`
	// Passkey is the name of the passkey of PASSKEY_ADDED and PASSKEY_REMOVED, as the member knows it.
	Passkey string `json:"passkey,omitzero"`
}

// Kind implements river.JobArgs.
func (SecurityNoticeArgs) Kind() string { return "security_notice_email" }

// InsertOpts puts the job on the email queue.
func (SecurityNoticeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueEmail, MaxAttempts: 10}
}

// Jobs registers the account email workers (old sign-in events and spent email changes are
// deleted by the retention rules, package retention).
func Jobs(s *Service, mailer Mailer) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &verificationWorker{s: s, mailer: mailer})
		river.AddWorker(w, &resetWorker{s: s, mailer: mailer})
		river.AddWorker(w, &noticeWorker{s: s, mailer: mailer})
		river.AddWorker(w, &emailChangeWorker{s: s, mailer: mailer})
		river.AddWorker(w, &emailChangedWorker{s: s, mailer: mailer})
		river.AddWorker(w, &securityNoticeWorker{s: s, mailer: mailer})
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

type emailChangeWorker struct {
	river.WorkerDefaults[SendEmailChangeArgs]
	s      *Service
	mailer Mailer
}

// Work emails the new address of a pending change its code and link; when another account has
// the address, that account's owner is told instead (no code); when the address is held for
// another member's undo, nothing is sent. A change confirmed, replaced or expired meanwhile gets
// nothing.
func (w *emailChangeWorker) Work(ctx context.Context, job *river.Job[SendEmailChangeArgs]) error {
	q := w.s.store.Q()
	now := w.s.now()
	ch, err := q.EmailChangeByID(ctx, job.Args.ChangeID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("email change email: %w", err)
	}
	if ch.ConfirmedAt != nil || !now.Before(ch.ExpiresAt) {
		return nil
	}
	u, err := w.s.userByID(ctx, ch.UserID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("email change email: %w", err)
	}
	if u.Status != domain.UserActive {
		return nil
	}
	owner, err := q.UserByEmail(ctx, ch.NewEmail)
	switch {
	case err == nil && owner.ID != u.ID:
		e, err := renderEmail(emailChangeInUse, owner.Locale, ch.NewEmail, emailData{
			App: w.s.cfg.AppName, Name: owner.DisplayName, Link: w.s.link("/forgot-password", ""),
		})
		if err != nil {
			return err
		}
		return w.mailer.Send(ctx, e)
	case err != nil && !domain.IsKind(err, domain.KindNotFound):
		return fmt.Errorf("email change email: %w", err)
	}
	if held, err := w.s.emailHeld(ctx, q, ch.NewEmail, u.ID); err != nil {
		return fmt.Errorf("email change email: %w", err)
	} else if held {
		return nil
	}
	token, code, err := w.s.issueAccountTokenTo(ctx, u.ID, ch.NewEmail, store.TokenChangeEmail, ch.ExpiresAt, true, false)
	if err != nil {
		return fmt.Errorf("email change email: %w", err)
	}
	e, err := renderEmail(emailChangeCode, u.Locale, ch.NewEmail, emailData{
		App: w.s.cfg.AppName, Name: u.DisplayName, Code: code, Link: w.s.link("/confirm-email-change", token),
		Hours: int(ch.ExpiresAt.Sub(ch.RequestedAt).Round(time.Hour).Hours()),
	})
	if err != nil {
		return err
	}
	return w.mailer.Send(ctx, e)
}

type emailChangedWorker struct {
	river.WorkerDefaults[EmailChangedNoticeArgs]
	s      *Service
	mailer Mailer
}

// Work makes the undo link of a confirmed change and emails it, with the notice, to the old
// address; nothing when the change was undone or its window passed meanwhile.
func (w *emailChangedWorker) Work(ctx context.Context, job *river.Job[EmailChangedNoticeArgs]) error {
	ch, err := w.s.store.Q().EmailChangeByID(ctx, job.Args.ChangeID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("email changed notice: %w", err)
	}
	now := w.s.now()
	if ch.UndoUntil == nil || ch.UndoneAt != nil || !now.Before(*ch.UndoUntil) {
		return nil
	}
	u, err := w.s.userByID(ctx, ch.UserID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("email changed notice: %w", err)
	}
	token, _, err := w.s.issueAccountTokenTo(ctx, u.ID, ch.OldEmail, store.TokenUndoEmailChange, *ch.UndoUntil, false, true)
	if err != nil {
		return fmt.Errorf("email changed notice: %w", err)
	}
	e, err := renderEmail(emailChanged, u.Locale, ch.OldEmail, emailData{
		App: w.s.cfg.AppName, Name: u.DisplayName, NewEmail: ch.NewEmail, Link: w.s.link("/undo-email-change", token),
		Hours: int(ch.UndoUntil.Sub(*ch.ConfirmedAt).Round(time.Hour).Hours()),
	})
	if err != nil {
		return err
	}
	return w.mailer.Send(ctx, e)
}

type securityNoticeWorker struct {
	river.WorkerDefaults[SecurityNoticeArgs]
	s      *Service
	mailer Mailer
}

// Work emails a security notice to the member's current address.
func (w *securityNoticeWorker) Work(ctx context.Context, job *river.Job[SecurityNoticeArgs]) error {
	kind, ok := noticeEmails[job.Args.Notice]
	if !ok {
		return river.JobCancel(fmt.Errorf("security notice: unknown notice %q", job.Args.Notice))
	}
	u, err := w.s.userByID(ctx, job.Args.UserID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("security notice: %w", err)
	}
	e, err := renderEmail(kind, u.Locale, u.Email, emailData{
		App: w.s.cfg.AppName, Name: u.DisplayName, Provider: job.Args.Provider, Passkey: job.Args.Passkey,
		Link: w.s.link("/forgot-password", ""),
	})
	if err != nil {
		return err
	}
	return w.mailer.Send(ctx, e)
}
