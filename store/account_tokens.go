package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Purposes of account tokens (account_tokens.purpose).
const (
	TokenVerifyEmail   = "VERIFY_EMAIL"
	TokenResetPassword = "RESET_PASSWORD"
)

// AccountToken is a one-time secret sent by email, as stored: digests only.
type AccountToken struct {
	TokenHash []byte     `db:"token_hash"`
	UserID    uuid.UUID  `db:"user_id"`
	Purpose   string     `db:"purpose"`
	CodeHash  []byte     `db:"code_hash"`
	Email     string     `db:"email"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	UsedAt    *time.Time `db:"used_at"`
}

const accountTokenColumns = `token_hash, user_id, purpose, code_hash, email::text AS email, created_at, expires_at, used_at`

// ReplaceAccountToken stores t and deletes the user's other tokens of its purpose: only the
// latest email sent works.
func (q *Queries) ReplaceAccountToken(ctx context.Context, t AccountToken) error {
	if _, err := q.db.Exec(ctx, `DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2`, t.UserID, t.Purpose); err != nil {
		return mapErr(err, "delete account tokens", "token", "")
	}
	_, err := q.db.Exec(ctx, `
		INSERT INTO account_tokens (token_hash, user_id, purpose, code_hash, email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.TokenHash, t.UserID, t.Purpose, t.CodeHash, t.Email, t.CreatedAt, t.ExpiresAt)
	return mapErr(err, "insert account token", "token", "token already exists")
}

// AccountTokenByHash returns an unused, unexpired token of purpose without spending it
// (NOT_FOUND otherwise).
func (q *Queries) AccountTokenByHash(ctx context.Context, purpose string, hash []byte, now time.Time) (AccountToken, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+accountTokenColumns+` FROM account_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`, hash, purpose, now)
	if err != nil {
		return AccountToken{}, mapErr(err, "select account token", "token", "")
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[AccountToken])
	return t, mapErr(err, "select account token", "token", "")
}

// ClaimAccountToken spends an unused, unexpired token of purpose, found by the digest of its
// link token or, for userID, of its code (NOT_FOUND when none matches): of two concurrent claims
// exactly one gets it.
func (q *Queries) ClaimAccountToken(ctx context.Context, purpose string, tokenHash []byte, userID uuid.UUID, codeHash []byte, now time.Time) (AccountToken, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE account_tokens SET used_at = $5
		WHERE purpose = $1 AND used_at IS NULL AND expires_at > $5
		  AND (token_hash = $2 OR (user_id = $3 AND code_hash = $4))
		RETURNING `+accountTokenColumns, purpose, tokenHash, userID, codeHash, now)
	if err != nil {
		return AccountToken{}, mapErr(err, "claim account token", "token", "")
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[AccountToken])
	return t, mapErr(err, "claim account token", "token", "")
}

// MarkEmailVerified records that email reaches user id, if it is still the account's address;
// it reports whether the account's address is now verified.
func (q *Queries) MarkEmailVerified(ctx context.Context, id uuid.UUID, email string, now time.Time) (bool, error) {
	tag, err := q.db.Exec(ctx, `
		UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3), updated_at = $3
		WHERE id = $1 AND email = $2`, id, email, now)
	if err != nil {
		return false, mapErr(err, "mark email verified", "user", "")
	}
	return tag.RowsAffected() == 1, nil
}

// SetUserPassword replaces an account's password hash.
func (q *Queries) SetUserPassword(ctx context.Context, id uuid.UUID, hash string, now time.Time) error {
	tag, err := q.db.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1`, id, hash, now)
	if err != nil {
		return mapErr(err, "set password", "user", "")
	}
	if tag.RowsAffected() == 0 {
		return mapErr(pgx.ErrNoRows, "set password", "user", "")
	}
	return nil
}
