package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Passkeys (WebAuthn credentials), their members' user handles and the ceremonies in progress
// (tables passkeys, webauthn_users, webauthn_ceremonies, migration 0015).

// Passkey is a member's WebAuthn credential (table passkeys).
type Passkey struct {
	ID           uuid.UUID `db:"id"`
	UserID       uuid.UUID `db:"user_id"`
	RPID         string    `db:"rp_id"`
	CredentialID []byte    `db:"credential_id"`
	// Credential is go-webauthn's Credential record, as JSON.
	Credential     []byte     `db:"credential"`
	Name           string     `db:"name"`
	Transports     []string   `db:"transports"`
	BackupEligible bool       `db:"backup_eligible"`
	CloneWarning   bool       `db:"clone_warning"`
	CreatedAt      time.Time  `db:"created_at"`
	LastUsedAt     *time.Time `db:"last_used_at"`
}

const passkeyColumns = `id, user_id, rp_id, credential_id, credential, name, transports, backup_eligible, clone_warning, created_at, last_used_at`

// EnsureWebAuthnUserHandle returns the member's user handle, storing handle as it when they have
// none yet (their first passkey). Concurrent first registrations agree on one.
func (q *Queries) EnsureWebAuthnUserHandle(ctx context.Context, userID uuid.UUID, handle []byte, now time.Time) ([]byte, error) {
	if _, err := q.db.Exec(ctx, `
		INSERT INTO webauthn_users (user_id, user_handle, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO NOTHING`, userID, handle, now); err != nil {
		return nil, mapErr(err, "insert webauthn user", "user", "")
	}
	var out []byte
	err := q.db.QueryRow(ctx, `SELECT user_handle FROM webauthn_users WHERE user_id = $1`, userID).Scan(&out)
	return out, mapErr(err, "select webauthn user", "user", "")
}

// UserIDByWebAuthnHandle finds the member of a user handle (NOT_FOUND when none).
func (q *Queries) UserIDByWebAuthnHandle(ctx context.Context, handle []byte) (uuid.UUID, error) {
	var id uuid.UUID
	err := q.db.QueryRow(ctx, `SELECT user_id FROM webauthn_users WHERE user_handle = $1`, handle).Scan(&id)
	return id, mapErr(err, "select webauthn user", "user", "")
}

// PasskeysOfUser lists a member's passkeys of a relying party, oldest first.
func (q *Queries) PasskeysOfUser(ctx context.Context, userID uuid.UUID, rpID string) ([]Passkey, error) {
	rows, err := q.db.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = $1 AND rp_id = $2 ORDER BY created_at, id`, userID, rpID)
	if err != nil {
		return nil, mapErr(err, "list passkeys", "passkey", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Passkey])
	return out, mapErr(err, "list passkeys", "passkey", "")
}

// InsertPasskey stores a new passkey; a credential id already registered (by anyone) is CONFLICT.
func (q *Queries) InsertPasskey(ctx context.Context, p Passkey) (Passkey, error) {
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	rows, err := q.db.Query(ctx, `
		INSERT INTO passkeys (id, user_id, rp_id, credential_id, credential, name, transports, backup_eligible, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING `+passkeyColumns,
		p.ID, p.UserID, p.RPID, p.CredentialID, p.Credential, p.Name, transports, p.BackupEligible, p.CreatedAt)
	if err != nil {
		return Passkey{}, mapErr(err, "insert passkey", "passkey", "this passkey is already registered")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Passkey])
	return out, mapErr(err, "insert passkey", "passkey", "this passkey is already registered")
}

// PasskeyByCredentialID finds a passkey by its relying party and credential id, locking it so
// that two sign-ins with one credential check its signature counter one after the other.
func (q *Queries) PasskeyByCredentialID(ctx context.Context, rpID string, credentialID []byte) (Passkey, error) {
	rows, err := q.db.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE rp_id = $1 AND credential_id = $2 FOR UPDATE`, rpID, credentialID)
	if err != nil {
		return Passkey{}, mapErr(err, "select passkey", "passkey", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Passkey])
	return out, mapErr(err, "select passkey", "passkey", "")
}

// RecordPasskeyUse stores a passkey's credential record after a sign-in (its signature counter
// and flags) and when it was used.
func (q *Queries) RecordPasskeyUse(ctx context.Context, id uuid.UUID, credential []byte, now time.Time) error {
	_, err := q.db.Exec(ctx, `UPDATE passkeys SET credential = $2, last_used_at = $3 WHERE id = $1`, id, credential, now)
	return mapErr(err, "record passkey use", "passkey", "")
}

// MarkPasskeyCloneWarning records that a passkey's signature counter went backwards.
func (q *Queries) MarkPasskeyCloneWarning(ctx context.Context, id uuid.UUID) error {
	_, err := q.db.Exec(ctx, `UPDATE passkeys SET clone_warning = true WHERE id = $1`, id)
	return mapErr(err, "mark passkey clone warning", "passkey", "")
}

// RenamePasskey renames a member's passkey (NOT_FOUND when it is not theirs).
func (q *Queries) RenamePasskey(ctx context.Context, userID, id uuid.UUID, name string) (Passkey, error) {
	rows, err := q.db.Query(ctx, `UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2 RETURNING `+passkeyColumns, id, userID, name)
	if err != nil {
		return Passkey{}, mapErr(err, "rename passkey", "passkey", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Passkey])
	return out, mapErr(err, "rename passkey", "passkey", "")
}

// DeletePasskey removes a member's passkey and returns it (NOT_FOUND when it is not theirs).
// Sessions opened with it no longer count as having a second factor (passkey_id is cleared).
func (q *Queries) DeletePasskey(ctx context.Context, userID, id uuid.UUID) (Passkey, error) {
	rows, err := q.db.Query(ctx, `DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING `+passkeyColumns, id, userID)
	if err != nil {
		return Passkey{}, mapErr(err, "delete passkey", "passkey", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Passkey])
	return out, mapErr(err, "delete passkey", "passkey", "")
}

// UserHasPasskeys reports whether a member has at least one passkey (of any relying party).
func (q *Queries) UserHasPasskeys(ctx context.Context, userID uuid.UUID) (bool, error) {
	var ok bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1)`, userID).Scan(&ok)
	return ok, mapErr(err, "select passkeys", "passkey", "")
}

// WebAuthn ceremony kinds (webauthn_ceremonies.kind).
const (
	CeremonyRegister = "REGISTER"
	CeremonySignIn   = "SIGN_IN"
)

// WebAuthnCeremony is a registration or sign-in between its start and its finish.
type WebAuthnCeremony struct {
	ID     uuid.UUID  `db:"id"`
	Kind   string     `db:"kind"`
	UserID *uuid.UUID `db:"user_id"`
	// Session is go-webauthn's SessionData, as JSON.
	Session   []byte    `db:"session"`
	CreatedAt time.Time `db:"created_at"`
	ExpiresAt time.Time `db:"expires_at"`
}

// InsertWebAuthnCeremony stores a ceremony in progress.
func (q *Queries) InsertWebAuthnCeremony(ctx context.Context, c WebAuthnCeremony) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO webauthn_ceremonies (id, kind, user_id, session, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.Kind, c.UserID, c.Session, c.CreatedAt, c.ExpiresAt)
	return mapErr(err, "insert webauthn ceremony", "ceremony", "")
}

// DeleteUserWebAuthnCeremonies drops a member's ceremonies of a kind (a new registration
// replaces a pending one).
func (q *Queries) DeleteUserWebAuthnCeremonies(ctx context.Context, userID uuid.UUID, kind string) error {
	_, err := q.db.Exec(ctx, `DELETE FROM webauthn_ceremonies WHERE user_id = $1 AND kind = $2`, userID, kind)
	return mapErr(err, "delete webauthn ceremonies", "ceremony", "")
}

// ClaimWebAuthnCeremony takes a ceremony of a kind out of the table, expired or not (the caller
// tells them apart), so it can be finished once only: NOT_FOUND when there is none.
func (q *Queries) ClaimWebAuthnCeremony(ctx context.Context, id uuid.UUID, kind string) (WebAuthnCeremony, error) {
	rows, err := q.db.Query(ctx, `
		DELETE FROM webauthn_ceremonies WHERE id = $1 AND kind = $2
		RETURNING id, kind, user_id, session, created_at, expires_at`, id, kind)
	if err != nil {
		return WebAuthnCeremony{}, mapErr(err, "claim webauthn ceremony", "ceremony", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[WebAuthnCeremony])
	return out, mapErr(err, "claim webauthn ceremony", "ceremony", "")
}
