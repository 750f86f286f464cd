package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// EmailSuppression is a member's address that refused a notification email permanently.
type EmailSuppression struct {
	Address      string    `db:"address"`
	SMTPCode     int       `db:"smtp_code"`
	EnhancedCode string    `db:"enhanced_code"`
	SuppressedAt time.Time `db:"suppressed_at"`
}

// SuppressEmail records that address, the member's, refused an email permanently; a later
// refusal replaces the earlier one.
func (q *Queries) SuppressEmail(ctx context.Context, userID uuid.UUID, s EmailSuppression) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO email_suppressions (user_id, address, smtp_code, enhanced_code, suppressed_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id) DO UPDATE SET address = EXCLUDED.address, smtp_code = EXCLUDED.smtp_code,
			enhanced_code = EXCLUDED.enhanced_code, suppressed_at = EXCLUDED.suppressed_at`,
		userID, s.Address, s.SMTPCode, s.EnhancedCode, s.SuppressedAt)
	return mapErr(err, "suppress email", "user", "")
}

// EmailSuppressionOf returns the suppression of the member's current address, or nil when
// emails to it are not suppressed (none recorded, or recorded for an address the account no
// longer has).
func (q *Queries) EmailSuppressionOf(ctx context.Context, userID uuid.UUID) (*EmailSuppression, error) {
	rows, err := q.db.Query(ctx, `
		SELECT s.address::text AS address, s.smtp_code, s.enhanced_code, s.suppressed_at
		FROM email_suppressions s JOIN users u ON u.id = s.user_id AND u.email = s.address
		WHERE s.user_id = $1`, userID)
	if err != nil {
		return nil, mapErr(err, "email suppression", "user", "")
	}
	s, err := pgx.CollectRows(rows, pgx.RowToStructByName[EmailSuppression])
	if err != nil || len(s) == 0 {
		return nil, mapErr(err, "email suppression", "user", "")
	}
	return &s[0], nil
}

// ClearEmailSuppression forgets the member's suppression (their address changed).
func (q *Queries) ClearEmailSuppression(ctx context.Context, userID uuid.UUID) error {
	_, err := q.db.Exec(ctx, `DELETE FROM email_suppressions WHERE user_id = $1`, userID)
	return mapErr(err, "clear email suppression", "user", "")
}

// DisableNotificationEmail turns the member's email channel of one notification type off (the
// one-click unsubscribe link), keeping their other channels: a member who never chose gets
// inApp, the type's default, and push as it was (NULL: the default).
func (q *Queries) DisableNotificationEmail(ctx context.Context, userID uuid.UUID, typ string, defaultInApp bool, now time.Time) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO notification_preferences (user_id, type, in_app, email, push, updated_at)
		VALUES ($1, $2, $3, false, NULL, $4)
		ON CONFLICT (user_id, type) DO UPDATE SET email = false, updated_at = EXCLUDED.updated_at`,
		userID, typ, defaultInApp, now)
	return mapErr(err, "disable notification email", "user", "")
}

// DisableDigestEmails turns off the email of every type userID reads in their digest (the
// digest's one-click unsubscribe): the digest run then has nothing of theirs to send. The types
// stay in digest mode, so turning one's email back on brings its digest back. It returns how
// many types it turned off.
func (q *Queries) DisableDigestEmails(ctx context.Context, userID uuid.UUID, now time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, `UPDATE notification_preferences SET email = false, updated_at = $2
		WHERE user_id = $1 AND email AND email_digest`, userID, now)
	if err != nil {
		return 0, mapErr(err, "disable digest emails", "user", "")
	}
	return tag.RowsAffected(), nil
}
