package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// Second factors (TOTP and recovery codes), MFA tickets of half-finished logins, and the time a
// login session last authenticated (recent authentication).

// AuthSessionAuthenticatedAt returns when the login session's member last proved who they are
// (log-in or reauthentication).
func (q *Queries) AuthSessionAuthenticatedAt(ctx context.Context, id uuid.UUID) (time.Time, error) {
	var at time.Time
	err := q.db.QueryRow(ctx, `SELECT authenticated_at FROM auth_sessions WHERE id = $1`, id).Scan(&at)
	return at, mapErr(err, "select session authentication", "session", "")
}

// MarkAuthSessionAuthenticated records a fresh authentication on an active login session.
func (q *Queries) MarkAuthSessionAuthenticated(ctx context.Context, id uuid.UUID, now time.Time) error {
	tag, err := q.db.Exec(ctx, `
		UPDATE auth_sessions SET authenticated_at = $2
		WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2`, id, now)
	if err != nil {
		return mapErr(err, "mark session authenticated", "session", "")
	}
	if tag.RowsAffected() == 0 {
		return domain.NotFound("session")
	}
	return nil
}

// UserTOTP is a member's TOTP authenticator; EnabledAt is nil while enrolment awaits a code.
type UserTOTP struct {
	UserID    uuid.UUID  `db:"user_id"`
	SecretEnc []byte     `db:"secret_enc"`
	CreatedAt time.Time  `db:"created_at"`
	EnabledAt *time.Time `db:"enabled_at"`
	LastStep  int64      `db:"last_step"`
}

// UserTOTPByUser loads a member's authenticator (NOT_FOUND when they have none).
func (q *Queries) UserTOTPByUser(ctx context.Context, userID uuid.UUID) (UserTOTP, error) {
	rows, err := q.db.Query(ctx, `
		SELECT user_id, secret_enc, created_at, enabled_at, last_step FROM user_totp WHERE user_id = $1`, userID)
	if err != nil {
		return UserTOTP{}, mapErr(err, "select totp", "authenticator", "")
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[UserTOTP])
	return t, mapErr(err, "select totp", "authenticator", "")
}

// AuthSessionHasSecondFactor reports whether a login session has a second factor: its member has
// an enabled authenticator (TOTP), or it was opened with a passkey.
func (q *Queries) AuthSessionHasSecondFactor(ctx context.Context, sessionID uuid.UUID) (bool, error) {
	var ok bool
	err := q.db.QueryRow(ctx, `
		SELECT s.passkey_id IS NOT NULL OR
		       EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = s.user_id AND t.enabled_at IS NOT NULL)
		FROM auth_sessions s WHERE s.id = $1`, sessionID).Scan(&ok)
	return ok, mapErr(err, "select session second factor", "session", "")
}

// UserHasTOTP reports whether a member has an enabled authenticator.
func (q *Queries) UserHasTOTP(ctx context.Context, userID uuid.UUID) (bool, error) {
	var ok bool
	err := q.db.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL)`, userID).Scan(&ok)
	return ok, mapErr(err, "select totp", "authenticator", "")
}

// StartUserTOTP stores a pending enrolment, replacing a previous pending one; CONFLICT when an
// enabled authenticator exists.
func (q *Queries) StartUserTOTP(ctx context.Context, userID uuid.UUID, secretEnc []byte, now time.Time) error {
	tag, err := q.db.Exec(ctx, `
		INSERT INTO user_totp (user_id, secret_enc, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET secret_enc = EXCLUDED.secret_enc, created_at = EXCLUDED.created_at,
			last_step = 0
		WHERE user_totp.enabled_at IS NULL`, userID, secretEnc, now)
	if err != nil {
		return mapErr(err, "start totp", "authenticator", "")
	}
	if tag.RowsAffected() == 0 {
		return domain.Conflict("two-factor sign-in is already enabled; disable it first")
	}
	return nil
}

// UseTOTPStep records that a code of time step was accepted, enabling a pending authenticator;
// false when a code of this step or a later one was already accepted (a replay).
func (q *Queries) UseTOTPStep(ctx context.Context, userID uuid.UUID, step int64, now time.Time) (bool, error) {
	tag, err := q.db.Exec(ctx, `
		UPDATE user_totp SET last_step = $2, enabled_at = COALESCE(enabled_at, $3)
		WHERE user_id = $1 AND last_step < $2`, userID, step, now)
	if err != nil {
		return false, mapErr(err, "use totp step", "authenticator", "")
	}
	return tag.RowsAffected() == 1, nil
}

// DeleteUserTOTP removes a member's authenticator and recovery codes; it reports whether one existed.
func (q *Queries) DeleteUserTOTP(ctx context.Context, userID uuid.UUID) (bool, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM user_totp WHERE user_id = $1`, userID)
	if err != nil {
		return false, mapErr(err, "delete totp", "authenticator", "")
	}
	if _, err := q.db.Exec(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return false, mapErr(err, "delete recovery codes", "recovery code", "")
	}
	return tag.RowsAffected() == 1, nil
}

// ReplaceRecoveryCodes replaces every recovery code of a member with hashes.
func (q *Queries) ReplaceRecoveryCodes(ctx context.Context, userID uuid.UUID, hashes [][]byte, now time.Time) error {
	if _, err := q.db.Exec(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return mapErr(err, "delete recovery codes", "recovery code", "")
	}
	_, err := q.db.Exec(ctx, `
		INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at)
		SELECT $1, h, $3 FROM unnest($2::bytea[]) AS h`, userID, hashes, now)
	return mapErr(err, "insert recovery codes", "recovery code", "recovery code collision")
}

// UseRecoveryCode spends an unused recovery code; false when there is no such unused code.
func (q *Queries) UseRecoveryCode(ctx context.Context, userID uuid.UUID, hash []byte, now time.Time) (bool, error) {
	tag, err := q.db.Exec(ctx, `
		UPDATE mfa_recovery_codes SET used_at = $3
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hash, now)
	if err != nil {
		return false, mapErr(err, "use recovery code", "recovery code", "")
	}
	return tag.RowsAffected() == 1, nil
}

// RecoveryCodesLeft counts a member's unused recovery codes.
func (q *Queries) RecoveryCodesLeft(ctx context.Context, userID uuid.UUID) (int, error) {
	var n int
	err := q.db.QueryRow(ctx, `
		SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, mapErr(err, "count recovery codes", "recovery code", "")
}

// MFATicket is a half-finished login awaiting its second factor.
type MFATicket struct {
	TicketHash []byte     `db:"ticket_hash"`
	UserID     uuid.UUID  `db:"user_id"`
	CreatedAt  time.Time  `db:"created_at"`
	ExpiresAt  time.Time  `db:"expires_at"`
	UsedAt     *time.Time `db:"used_at"`
}

// InsertMFATicket stores a new ticket.
func (q *Queries) InsertMFATicket(ctx context.Context, t MFATicket) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO mfa_tickets (ticket_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		t.TicketHash, t.UserID, t.CreatedAt, t.ExpiresAt)
	return mapErr(err, "insert mfa ticket", "ticket", "ticket collision")
}

// LiveMFATicket loads an unused, unexpired ticket and locks it for the transaction (NOT_FOUND
// otherwise), so two attempts with one ticket run one after the other.
func (q *Queries) LiveMFATicket(ctx context.Context, hash []byte, now time.Time) (MFATicket, error) {
	rows, err := q.db.Query(ctx, `
		SELECT ticket_hash, user_id, created_at, expires_at, used_at FROM mfa_tickets
		WHERE ticket_hash = $1 AND used_at IS NULL AND expires_at > $2
		FOR UPDATE`, hash, now)
	if err != nil {
		return MFATicket{}, mapErr(err, "select mfa ticket", "ticket", "")
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[MFATicket])
	return t, mapErr(err, "select mfa ticket", "ticket", "")
}

// SpendMFATicket marks a ticket used (after success, or to end a login locked out).
func (q *Queries) SpendMFATicket(ctx context.Context, hash []byte, now time.Time) error {
	_, err := q.db.Exec(ctx, `UPDATE mfa_tickets SET used_at = $2 WHERE ticket_hash = $1 AND used_at IS NULL`, hash, now)
	return mapErr(err, "spend mfa ticket", "ticket", "")
}

// SpendUserMFATickets ends every half-finished login of a member (a code-guessing lockout).
func (q *Queries) SpendUserMFATickets(ctx context.Context, userID uuid.UUID, now time.Time) error {
	_, err := q.db.Exec(ctx, `UPDATE mfa_tickets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`, userID, now)
	return mapErr(err, "spend mfa tickets", "ticket", "")
}

// ActiveAuthSessionUserMFA is ActiveAuthSessionUser plus whether the session has a second
// factor (the member has an enabled authenticator, or signed in with a passkey), in one
// statement (it runs on every authenticated request the cache misses).
func (q *Queries) ActiveAuthSessionUserMFA(ctx context.Context, sessionID uuid.UUID, now time.Time) (domain.User, bool, error) {
	type row struct {
		domain.User
		HasTOTP bool `db:"has_totp"`
	}
	rows, err := q.db.Query(ctx, `
		SELECT u.id, u.email::text AS email, u.password_hash, u.display_name, u.roles, u.status,
		       u.created_at, u.updated_at, u.email_verified_at, u.locale,
		       u.terms_version, u.privacy_version, u.marketing_consent,
		       (s.passkey_id IS NOT NULL OR
		        EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL)) AS has_totp
		FROM auth_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.status = 'ACTIVE'`,
		sessionID, now)
	if err != nil {
		return domain.User{}, false, mapErr(err, "select session user", "session", "")
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[row])
	return r.User, r.HasTOTP, mapErr(err, "select session user", "session", "")
}
