package store

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// Login sessions (table auth_sessions) and their refresh tokens. Every name here says AuthSession
// so that it is never taken for a skill session (skill_sessions.go), which shares the word.

const authSessionColumns = `id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent`

// NewAuthSession describes a login session to create.
type NewAuthSession struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
	UserAgent string
	IP        netip.Addr
	// PasskeyID is the passkey the member signed in with, if any: the session then counts as
	// having a second factor.
	PasskeyID *uuid.UUID
}

// CreateAuthSession inserts a login session.
func (q *Queries) CreateAuthSession(ctx context.Context, s NewAuthSession) (domain.AuthSession, error) {
	var ip *netip.Addr
	if s.IP.IsValid() {
		ip = &s.IP
	}
	var ua *string
	if s.UserAgent != "" {
		ua = &s.UserAgent
	}
	rows, err := q.db.Query(ctx, `
		INSERT INTO auth_sessions (id, user_id, created_at, last_used_at, authenticated_at, expires_at, user_agent, ip, passkey_id)
		VALUES ($1, $2, $3, $3, $3, $4, $5, $6, $7)
		RETURNING `+authSessionColumns, s.ID, s.UserID, s.CreatedAt, s.ExpiresAt, ua, ip, s.PasskeyID)
	if err != nil {
		return domain.AuthSession{}, mapErr(err, "insert session", "session", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.AuthSession])
	return out, mapErr(err, "insert session", "session", "")
}

// AuthSessionByID loads a login session, active or not.
func (q *Queries) AuthSessionByID(ctx context.Context, id uuid.UUID) (domain.AuthSession, error) {
	rows, err := q.db.Query(ctx, `SELECT `+authSessionColumns+` FROM auth_sessions WHERE id = $1`, id)
	if err != nil {
		return domain.AuthSession{}, mapErr(err, "select session", "session", "")
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.AuthSession])
	return s, mapErr(err, "select session", "session", "")
}

// ActiveAuthSessionUser returns the account of an unrevoked, unexpired session of an active account,
// in one statement: it runs on every authenticated request.
func (q *Queries) ActiveAuthSessionUser(ctx context.Context, sessionID uuid.UUID, now time.Time) (domain.User, error) {
	rows, err := q.db.Query(ctx, `
		SELECT u.id, u.email::text AS email, u.password_hash, u.display_name, u.roles, u.status,
		       u.created_at, u.updated_at, u.email_verified_at, u.locale,
		       u.terms_version, u.privacy_version, u.marketing_consent
		FROM auth_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.status = 'ACTIVE'`,
		sessionID, now)
	if err != nil {
		return domain.User{}, mapErr(err, "select session user", "session", "")
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.User])
	return u, mapErr(err, "select session user", "session", "")
}

// ListAuthSessions returns up to limit login sessions of a user, newest first, strictly older than after.
func (q *Queries) ListAuthSessions(ctx context.Context, userID uuid.UUID, includeRevoked bool, after *uuid.UUID, limit int, now time.Time) ([]domain.AuthSession, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+authSessionColumns+` FROM auth_sessions
		WHERE user_id = $1
		  AND ($2 OR (revoked_at IS NULL AND expires_at > $5))
		  AND ($3::uuid IS NULL OR id < $3)
		ORDER BY id DESC
		LIMIT $4`, userID, includeRevoked, after, limit, now)
	if err != nil {
		return nil, mapErr(err, "list sessions", "session", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.AuthSession])
	return out, mapErr(err, "list sessions", "session", "")
}

// RevokeAuthSession revokes one login session with a reason; it reports whether it was still active.
func (q *Queries) RevokeAuthSession(ctx context.Context, id uuid.UUID, reason string, now time.Time) (bool, error) {
	tag, err := q.db.Exec(ctx, `
		UPDATE auth_sessions SET revoked_at = $2, revoke_reason = $3
		WHERE id = $1 AND revoked_at IS NULL`, id, now, reason)
	if err != nil {
		return false, mapErr(err, "revoke session", "session", "")
	}
	return tag.RowsAffected() == 1, nil
}

// RevokeUserAuthSessions revokes every active login session of a user except keep (when not nil) and
// returns the ids it revoked.
func (q *Queries) RevokeUserAuthSessions(ctx context.Context, userID uuid.UUID, keep *uuid.UUID, reason string, now time.Time) ([]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE auth_sessions SET revoked_at = $3, revoke_reason = $4
		WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2)
		RETURNING id`, userID, keep, now, reason)
	if err != nil {
		return nil, mapErr(err, "revoke user sessions", "session", "")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return ids, mapErr(err, "revoke user sessions", "session", "")
}

// TouchAuthSession records that the login session refreshed its tokens.
func (q *Queries) TouchAuthSession(ctx context.Context, id uuid.UUID, now time.Time) error {
	_, err := q.db.Exec(ctx, `UPDATE auth_sessions SET last_used_at = $2 WHERE id = $1`, id, now)
	return mapErr(err, "touch session", "session", "")
}

// RefreshToken is a stored (hashed) refresh token.
type RefreshToken struct {
	TokenHash []byte     `db:"token_hash"`
	SessionID uuid.UUID  `db:"session_id"`
	IssuedAt  time.Time  `db:"issued_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	UsedAt    *time.Time `db:"used_at"`
}

// InsertRefreshToken stores a new refresh token of a session.
func (q *Queries) InsertRefreshToken(ctx context.Context, t RefreshToken) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at)
		VALUES ($1, $2, $3, $4)`, t.TokenHash, t.SessionID, t.IssuedAt, t.ExpiresAt)
	return mapErr(err, "insert refresh token", "refresh token", "refresh token collision")
}

// ClaimRefreshToken marks an unused token as used and returns it. When the token exists but was
// already used, it returns the token with UsedAt set and claimed=false; a concurrent claim of the
// same token waits on the row lock and then sees it used, so exactly one claim wins.
func (q *Queries) ClaimRefreshToken(ctx context.Context, hash []byte, now time.Time) (tok RefreshToken, claimed bool, err error) {
	rows, err := q.db.Query(ctx, `
		UPDATE refresh_tokens SET used_at = $2
		WHERE token_hash = $1 AND used_at IS NULL
		RETURNING token_hash, session_id, issued_at, expires_at, used_at`, hash, now)
	if err != nil {
		return tok, false, mapErr(err, "claim refresh token", "refresh token", "")
	}
	tok, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[RefreshToken])
	if err == nil {
		return tok, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return tok, false, mapErr(err, "claim refresh token", "refresh token", "")
	}
	rows, err = q.db.Query(ctx, `
		SELECT token_hash, session_id, issued_at, expires_at, used_at
		FROM refresh_tokens WHERE token_hash = $1`, hash)
	if err != nil {
		return tok, false, mapErr(err, "select refresh token", "refresh token", "")
	}
	tok, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[RefreshToken])
	return tok, false, mapErr(err, "select refresh token", "refresh token", "")
}

// SignedInFromNetwork reports whether the user has a login session opened from an address in
// network and used since since: log-in throttling lets the networks an account really uses
// through while strangers hammering its email are refused.
func (q *Queries) SignedInFromNetwork(ctx context.Context, userID uuid.UUID, network netip.Prefix, since time.Time) (bool, error) {
	var known bool
	err := q.db.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM auth_sessions
			WHERE user_id = $1 AND ip <<= $2::inet AND last_used_at > $3)`,
		userID, network.Masked(), since).Scan(&known)
	return known, mapErr(err, "select session networks", "session", "")
}
