package store

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const userColumns = `id, email::text AS email, password_hash, display_name, roles, status, created_at, updated_at,
	email_verified_at, locale, terms_version, privacy_version, marketing_consent`

// CreateUser inserts a new account; a taken email is a conflict.
func (q *Queries) CreateUser(ctx context.Context, u domain.User) (domain.User, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO users (id, email, password_hash, display_name, roles, status, created_at, updated_at,
		                   email_verified_at, locale)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, COALESCE(NULLIF($9, ''), 'en'))
		RETURNING `+userColumns,
		u.ID, u.Email, u.PasswordHash, u.DisplayName, u.Roles, u.Status, u.CreatedAt, u.EmailVerifiedAt, u.Locale)
	if err != nil {
		return domain.User{}, mapErr(err, "insert user", "user", "")
	}
	created, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.User])
	if err != nil {
		if ConstraintName(err) == "users_email_key" || isUnique(err) {
			e := domain.Conflict("an account with this email already exists")
			e.Field = "email"
			e.Err = err
			return domain.User{}, e
		}
		return domain.User{}, mapErr(err, "insert user", "user", "user already exists")
	}
	return created, nil
}

// UserByEmail finds an account by email, case-insensitively.
func (q *Queries) UserByEmail(ctx context.Context, email string) (domain.User, error) {
	rows, err := q.db.Query(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email)
	if err != nil {
		return domain.User{}, mapErr(err, "select user by email", "user", "")
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.User])
	return u, mapErr(err, "select user by email", "user", "")
}

// UsersByIDs loads the accounts with the given ids; missing ids are simply absent from the map.
func (q *Queries) UsersByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.User, error) {
	return keyedRows(ctx, q.db, "select users by id", "user",
		func(u domain.User) uuid.UUID { return u.ID },
		`SELECT `+userColumns+` FROM users WHERE id = ANY($1)`, ids)
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	// Role keeps only users holding it, when set.
	Role *domain.Role
	// Email keeps the user with exactly this address, compared case-insensitively (citext), when set.
	Email *string
	// NamePrefix keeps users whose display name starts with it, case-insensitively, when set
	// (served by users_display_name_prefix_idx).
	NamePrefix *string
	// ID keeps only this user, when set.
	ID *uuid.UUID
}

// ListUsers returns up to limit users, newest first, strictly older than after when set.
func (q *Queries) ListUsers(ctx context.Context, f UserFilter, after *uuid.UUID, limit int) ([]domain.User, error) {
	var role, prefix *string
	if f.Role != nil {
		s := string(*f.Role)
		role = &s
	}
	if f.NamePrefix != nil {
		// A LIKE pattern: the prefix's own wildcards and escapes are literal.
		p := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(*f.NamePrefix)) + "%"
		prefix = &p
	}
	rows, err := q.db.Query(ctx, `
		SELECT `+userColumns+` FROM users
		WHERE ($1::uuid IS NULL OR id < $1)
		  AND ($2::text IS NULL OR roles @> ARRAY[$2::text])
		  AND ($3::citext IS NULL OR email = $3::citext)
		  AND ($4::text IS NULL OR lower(display_name) LIKE $4)
		  AND ($5::uuid IS NULL OR id = $5)
		ORDER BY id DESC
		LIMIT $6`, after, role, f.Email, prefix, f.ID, limit)
	if err != nil {
		return nil, mapErr(err, "list users", "user", "")
	}
	users, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.User])
	return users, mapErr(err, "list users", "user", "")
}

// SetUserRoles replaces a user's roles and returns the updated user.
func (q *Queries) SetUserRoles(ctx context.Context, id uuid.UUID, roles []domain.Role) (domain.User, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE users SET roles = $2, updated_at = now() WHERE id = $1
		RETURNING `+userColumns, id, roles)
	if err != nil {
		return domain.User{}, mapErr(err, "update user roles", "user", "")
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.User])
	return u, mapErr(err, "update user roles", "user", "")
}

// LockUser reads a user and locks the row until the transaction ends (a staff change reads the
// state it replaces, for the audit log, without racing another change).
func (q *Queries) LockUser(ctx context.Context, id uuid.UUID) (domain.User, error) {
	rows, err := q.db.Query(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return domain.User{}, mapErr(err, "lock user", "user", "")
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.User])
	return u, mapErr(err, "lock user", "user", "")
}
