package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// AuthIdentity is an OpenID Connect provider's account linked to a member (table auth_identities).
type AuthIdentity struct {
	ID            uuid.UUID `db:"id"`
	UserID        uuid.UUID `db:"user_id"`
	Provider      string    `db:"provider"`
	Issuer        string    `db:"issuer"`
	Subject       string    `db:"subject"`
	Email         *string   `db:"email"`
	EmailVerified bool      `db:"email_verified"`
	CreatedAt     time.Time `db:"created_at"`
	LastUsedAt    time.Time `db:"last_used_at"`
}

const identityColumns = `id, user_id, provider, issuer, subject, email::text AS email, email_verified, created_at, last_used_at`

// IdentityBySubject finds the identity of a provider account (issuer + subject).
func (q *Queries) IdentityBySubject(ctx context.Context, issuer, subject string) (AuthIdentity, error) {
	rows, err := q.db.Query(ctx, `SELECT `+identityColumns+` FROM auth_identities WHERE issuer = $1 AND subject = $2`, issuer, subject)
	if err != nil {
		return AuthIdentity{}, mapErr(err, "select identity", "identity", "")
	}
	id, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[AuthIdentity])
	return id, mapErr(err, "select identity", "identity", "")
}

// InsertIdentity links a provider account to a member. The same provider account linked
// elsewhere, or a second identity of one provider for the member, is a conflict.
func (q *Queries) InsertIdentity(ctx context.Context, in AuthIdentity) (AuthIdentity, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO auth_identities (id, user_id, provider, issuer, subject, email, email_verified, created_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
		RETURNING `+identityColumns,
		in.ID, in.UserID, in.Provider, in.Issuer, in.Subject, in.Email, in.EmailVerified, in.CreatedAt)
	if err != nil {
		return AuthIdentity{}, mapErr(err, "insert identity", "identity", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[AuthIdentity])
	if err != nil && isUnique(err) {
		e := domain.Conflict("this provider account is already linked to a member")
		if ConstraintName(err) == "auth_identities_user_provider_key" {
			e = domain.Conflict("an account of this provider is already linked; unlink it first")
		}
		e.Field = "provider"
		e.Err = err
		return AuthIdentity{}, e
	}
	return out, mapErr(err, "insert identity", "identity", "")
}

// TouchIdentity records a sign-in with an identity; a non-nil email replaces the stored one
// (a nil one keeps it: Apple sends the email only the first time).
func (q *Queries) TouchIdentity(ctx context.Context, id uuid.UUID, email *string, emailVerified bool, now time.Time) error {
	_, err := q.db.Exec(ctx, `
		UPDATE auth_identities
		SET last_used_at = $2,
		    email = COALESCE($3, email),
		    email_verified = CASE WHEN $3::text IS NULL THEN email_verified ELSE $4 END
		WHERE id = $1`, id, now, email, emailVerified)
	return mapErr(err, "touch identity", "identity", "")
}

// IdentitiesOfUser lists a member's linked identities, oldest first.
func (q *Queries) IdentitiesOfUser(ctx context.Context, userID uuid.UUID) ([]AuthIdentity, error) {
	rows, err := q.db.Query(ctx, `SELECT `+identityColumns+` FROM auth_identities WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, mapErr(err, "list identities", "identity", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[AuthIdentity])
	return out, mapErr(err, "list identities", "identity", "")
}

// DeleteIdentity unlinks a member's identity of a provider; it reports whether one was linked.
func (q *Queries) DeleteIdentity(ctx context.Context, userID uuid.UUID, provider string) (bool, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM auth_identities WHERE user_id = $1 AND provider = $2`, userID, provider)
	if err != nil {
		return false, mapErr(err, "delete identity", "identity", "")
	}
	return tag.RowsAffected() == 1, nil
}

// SignInMethods counts the ways a member can sign in on their own (a second factor such as TOTP
// is not one).
type SignInMethods struct {
	// Password: the member has one (an empty password_hash means none: accounts created by a
	// provider).
	Password bool
	// Providers is how many provider identities are linked.
	Providers int
	// Passkeys is how many passkeys are registered.
	Passkeys int
}

// Total is how many ways to sign in the member has.
func (m SignInMethods) Total() int {
	n := m.Providers + m.Passkeys
	if m.Password {
		n++
	}
	return n
}

// LockUserSignInMethods locks a member's row and counts their ways to sign in, so that concurrent
// removals (unlinking a provider, removing a passkey) cannot each see another method left and
// together remove the last one: every removal of a sign-in method calls it first in its
// transaction (see auth.RequireAnotherSignInMethod).
func (q *Queries) LockUserSignInMethods(ctx context.Context, userID uuid.UUID) (SignInMethods, error) {
	var m SignInMethods
	err := q.db.QueryRow(ctx, `SELECT password_hash <> '' FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&m.Password)
	if err != nil {
		return m, mapErr(err, "lock user", "user", "")
	}
	err = q.db.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM auth_identities WHERE user_id = $1),
		       (SELECT count(*) FROM passkeys WHERE user_id = $1)`, userID).Scan(&m.Providers, &m.Passkeys)
	return m, mapErr(err, "count sign-in methods", "user", "")
}

// UserEmailVerified reports whether a member's current email is verified.
func (q *Queries) UserEmailVerified(ctx context.Context, userID uuid.UUID) (bool, error) {
	var verified bool
	err := q.db.QueryRow(ctx, `SELECT email_verified_at IS NOT NULL FROM users WHERE id = $1`, userID).Scan(&verified)
	return verified, mapErr(err, "select email verified", "user", "")
}

// UserByID loads one account.
func (q *Queries) UserByID(ctx context.Context, id uuid.UUID) (domain.User, error) {
	rows, err := q.db.Query(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
	if err != nil {
		return domain.User{}, mapErr(err, "select user", "user", "")
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.User])
	return u, mapErr(err, "select user", "user", "")
}

// ClaimIDToken records the use of an ID token (by the SHA-256 of it) until it expires; it
// reports false when the token was already used.
func (q *Queries) ClaimIDToken(ctx context.Context, tokenHash []byte, expiresAt time.Time) (bool, error) {
	tag, err := q.db.Exec(ctx, `
		INSERT INTO oidc_token_uses (token_hash, expires_at) VALUES ($1, $2)
		ON CONFLICT (token_hash) DO NOTHING`, tokenHash, expiresAt)
	if err != nil {
		return false, mapErr(err, "claim id token", "id token", "")
	}
	return tag.RowsAffected() == 1, nil
}
