package notifications

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/mail"
	"github.com/skillswap/skillswap/store"
)

// Suppressions stores the addresses that refused a notification email for good (an SMTP 5xx
// answer to RCPT TO): the email worker sends nothing more to such an address, until the member's
// address is another one (the email change flow forgets the suppression; a suppression names the
// address it is about, so it also stops applying when the address changes any other way).
// store.Queries implements it.
//
// Only notification emails (this package's worker) are suppressed. Account and security emails
// (package auth) and moderation's notices are still tried: they are rare, most answer something
// the member just did (a reset link, a verification code sent to a new address), and a sanction's
// statement of reasons must be attempted whatever happened before.
type Suppressions interface {
	EmailSuppressionOf(ctx context.Context, userID uuid.UUID) (*store.EmailSuppression, error)
	SuppressEmail(ctx context.Context, userID uuid.UUID, s store.EmailSuppression) error
}

// suppress records that u's address refused an email permanently; the job ends there: RFC 5321
// says a permanent failure is not retried.
func (w *EmailWorker) suppress(ctx context.Context, u domain.User, rejected *mail.RejectedError) error {
	now := time.Now().UTC()
	if w.Now != nil {
		now = w.Now()
	}
	err := w.Suppressions.SuppressEmail(ctx, u.ID, store.EmailSuppression{
		Address: u.Email, SMTPCode: rejected.Code, EnhancedCode: truncate(rejected.EnhancedCode, 16), SuppressedAt: now,
	})
	if err != nil {
		return fmt.Errorf("notification email: suppress: %w", err)
	}
	log := w.Log
	if log == nil {
		log = slog.Default()
	}
	// The member's id, not the address: logs hold no contact data.
	log.WarnContext(ctx, "notification email: address refused for good, emails suspended",
		"user_id", u.ID, "smtp_code", rejected.Code, "enhanced_code", rejected.EnhancedCode)
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// The store is what app wires as Suppressions.
var _ Suppressions = (*store.Queries)(nil)
