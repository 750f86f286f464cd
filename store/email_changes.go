package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// Purposes of the email change secrets (account_tokens.purpose).
const (
	// TokenChangeEmail is the code and link sent to the new address; its email is that address.
	TokenChangeEmail = "CHANGE_EMAIL"
	// TokenUndoEmailChange is the link sent to the old address; its email is the old address.
	TokenUndoEmailChange = "UNDO_EMAIL_CHANGE"
)

// EmailChange is a requested change of a member's email address (table email_changes).
type EmailChange struct {
	ID          uuid.UUID  `db:"id"`
	UserID      uuid.UUID  `db:"user_id"`
	OldEmail    string     `db:"old_email"`
	OldVerified bool       `db:"old_verified"`
	NewEmail    string     `db:"new_email"`
	RequestedAt time.Time  `db:"requested_at"`
	ExpiresAt   time.Time  `db:"expires_at"`
	ConfirmedAt *time.Time `db:"confirmed_at"`
	UndoUntil   *time.Time `db:"undo_until"`
	UndoneAt    *time.Time `db:"undone_at"`
}

const emailChangeColumns = `id, user_id, old_email::text AS old_email, old_verified, new_email::text AS new_email,
	requested_at, expires_at, confirmed_at, undo_until, undone_at`

// ReplacePendingEmailChange records c as the member's pending change, replacing any earlier one
// not confirmed yet.
func (q *Queries) ReplacePendingEmailChange(ctx context.Context, c EmailChange) error {
	if _, err := q.db.Exec(ctx, `DELETE FROM email_changes WHERE user_id = $1 AND confirmed_at IS NULL`, c.UserID); err != nil {
		return mapErr(err, "delete pending email change", "email change", "")
	}
	_, err := q.db.Exec(ctx, `
		INSERT INTO email_changes (id, user_id, old_email, old_verified, new_email, requested_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, c.UserID, c.OldEmail, c.OldVerified, c.NewEmail, c.RequestedAt, c.ExpiresAt)
	return mapErr(err, "insert email change", "email change", "an email change is already pending")
}

// PendingEmailChange returns the member's unconfirmed, unexpired email change (NOT_FOUND when none).
func (q *Queries) PendingEmailChange(ctx context.Context, userID uuid.UUID, now time.Time) (EmailChange, error) {
	rows, err := q.db.Query(ctx, `SELECT `+emailChangeColumns+` FROM email_changes
		WHERE user_id = $1 AND confirmed_at IS NULL AND expires_at > $2`, userID, now)
	if err != nil {
		return EmailChange{}, mapErr(err, "select pending email change", "email change", "")
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[EmailChange])
	return c, mapErr(err, "select pending email change", "email change", "")
}

// EmailChangeByID loads one email change (NOT_FOUND when purged).
func (q *Queries) EmailChangeByID(ctx context.Context, id uuid.UUID) (EmailChange, error) {
	rows, err := q.db.Query(ctx, `SELECT `+emailChangeColumns+` FROM email_changes WHERE id = $1`, id)
	if err != nil {
		return EmailChange{}, mapErr(err, "select email change", "email change", "")
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[EmailChange])
	return c, mapErr(err, "select email change", "email change", "")
}

// ConfirmEmailChange marks the member's pending change to newEmail confirmed, recording the
// address it replaces (the account's current one, locked until the transaction ends) and, when
// that address was verified, until when it may undo the change (undoUntil). NOT_FOUND when no
// such change is pending.
func (q *Queries) ConfirmEmailChange(ctx context.Context, userID uuid.UUID, newEmail string, now, undoUntil time.Time) (EmailChange, error) {
	rows, err := q.db.Query(ctx, `
		WITH u AS (SELECT email, email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1 FOR UPDATE)
		UPDATE email_changes c
		SET confirmed_at = $3, old_email = u.email, old_verified = u.verified,
		    undo_until = CASE WHEN u.verified THEN $4::timestamptz END
		FROM u
		WHERE c.user_id = $1 AND c.new_email = $2 AND c.confirmed_at IS NULL AND c.expires_at > $3
		  AND u.email <> c.new_email
		RETURNING c.id, c.user_id, c.old_email::text AS old_email, c.old_verified, c.new_email::text AS new_email,
		          c.requested_at, c.expires_at, c.confirmed_at, c.undo_until, c.undone_at`,
		userID, newEmail, now, undoUntil)
	if err != nil {
		return EmailChange{}, mapErr(err, "confirm email change", "email change", "")
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[EmailChange])
	return c, mapErr(err, "confirm email change", "email change", "")
}

// UndoEmailChanges marks undone the member's undoable changes away from oldEmail and every later
// change of theirs, and drops their pending one; it returns the earliest change undone (NOT_FOUND
// when none can be undone any more).
func (q *Queries) UndoEmailChanges(ctx context.Context, userID uuid.UUID, oldEmail string, now time.Time) (EmailChange, error) {
	rows, err := q.db.Query(ctx, `SELECT `+emailChangeColumns+` FROM email_changes
		WHERE user_id = $1 AND old_email = $2 AND undo_until > $3 AND undone_at IS NULL
		ORDER BY confirmed_at LIMIT 1 FOR UPDATE`, userID, oldEmail, now)
	if err != nil {
		return EmailChange{}, mapErr(err, "select undoable email change", "email change", "")
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[EmailChange])
	if err != nil {
		return EmailChange{}, mapErr(err, "select undoable email change", "email change", "")
	}
	if _, err := q.db.Exec(ctx, `
		UPDATE email_changes SET undone_at = $3
		WHERE user_id = $1 AND confirmed_at >= $2 AND undone_at IS NULL`, userID, *c.ConfirmedAt, now); err != nil {
		return EmailChange{}, mapErr(err, "undo email changes", "email change", "")
	}
	if _, err := q.db.Exec(ctx, `DELETE FROM email_changes WHERE user_id = $1 AND confirmed_at IS NULL`, userID); err != nil {
		return EmailChange{}, mapErr(err, "drop pending email change", "email change", "")
	}
	c.UndoneAt = &now
	return c, nil
}

// EmailReserved reports whether email is the old address of another member's email change that
// may still be undone: it stays theirs until then.
func (q *Queries) EmailReserved(ctx context.Context, email string, except uuid.UUID, now time.Time) (bool, error) {
	var reserved bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM email_changes
		WHERE old_email = $1 AND undo_until > $3 AND undone_at IS NULL AND user_id <> $2)`, email, except, now).Scan(&reserved)
	return reserved, mapErr(err, "email reserved", "email change", "")
}

// SetUserEmail moves an account to email, verified at now; an address taken by another account
// is CONFLICT.
func (q *Queries) SetUserEmail(ctx context.Context, id uuid.UUID, email string, now time.Time) error {
	tag, err := q.db.Exec(ctx, `UPDATE users SET email = $2, email_verified_at = $3, updated_at = $3 WHERE id = $1`, id, email, now)
	if err != nil {
		if isUnique(err) {
			e := domain.Conflict("this address is already used by another account")
			e.Err = err
			return e
		}
		return mapErr(err, "set email", "user", "")
	}
	if tag.RowsAffected() == 0 {
		return domain.NotFound("user")
	}
	// A new address gets notification emails again, whatever the old one refused.
	return q.ClearEmailSuppression(ctx, id)
}

// DeleteAccountTokens drops the member's unspent secrets of the given purposes (those sent to an
// address the account no longer uses).
func (q *Queries) DeleteAccountTokens(ctx context.Context, userID uuid.UUID, purposes ...string) error {
	_, err := q.db.Exec(ctx, `DELETE FROM account_tokens WHERE user_id = $1 AND purpose = ANY($2)`, userID, purposes)
	return mapErr(err, "delete account tokens", "token", "")
}

// ReplaceAccountTokenOfEmail stores t and deletes the user's other tokens of its purpose sent to
// the same address only (each old address of a chain of email changes keeps its undo link).
func (q *Queries) ReplaceAccountTokenOfEmail(ctx context.Context, t AccountToken) error {
	if _, err := q.db.Exec(ctx, `DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND email = $3`,
		t.UserID, t.Purpose, t.Email); err != nil {
		return mapErr(err, "delete account tokens", "token", "")
	}
	_, err := q.db.Exec(ctx, `
		INSERT INTO account_tokens (token_hash, user_id, purpose, code_hash, email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.TokenHash, t.UserID, t.Purpose, t.CodeHash, t.Email, t.CreatedAt, t.ExpiresAt)
	return mapErr(err, "insert account token", "token", "token already exists")
}
