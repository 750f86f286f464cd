package domain

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// Role is what a member may do.
type Role string

// The roles, from the least to the most privileged staff role.
const (
	RoleMember    Role = "MEMBER"
	RoleMentor    Role = "MENTOR"
	RoleSupport   Role = "SUPPORT"
	RoleModerator Role = "MODERATOR"
	RoleAdmin     Role = "ADMIN"
)

// AllRoles lists every role.
var AllRoles = []Role{RoleMember, RoleMentor, RoleSupport, RoleModerator, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(AllRoles, r) }

// UserStatus is an account's lifecycle state.
type UserStatus string

// Account states.
const (
	UserActive    UserStatus = "ACTIVE"
	UserSuspended UserStatus = "SUSPENDED"
)

// User is a SkillSwap account.
type User struct {
	ID           uuid.UUID  `db:"id"`
	Email        string     `db:"email"`
	PasswordHash string     `db:"password_hash"`
	DisplayName  string     `db:"display_name"`
	Roles        []Role     `db:"roles"`
	Status       UserStatus `db:"status"`
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
}

// HasRole reports whether the user holds role; ADMIN holds every role.
func (u User) HasRole(role Role) bool {
	return slices.Contains(u.Roles, role) || slices.Contains(u.Roles, RoleAdmin)
}

// IsStaff reports whether the user holds a staff role (SUPPORT, MODERATOR or ADMIN).
func (u User) IsStaff() bool {
	return slices.ContainsFunc(u.Roles, func(r Role) bool {
		return r == RoleSupport || r == RoleModerator || r == RoleAdmin
	})
}

// CanSeePrivateDataOf reports whether u may read the private fields (email, roles) of other.
func (u User) CanSeePrivateDataOf(other uuid.UUID) bool {
	return u.ID == other || u.IsStaff()
}

// NormalizeRoles returns roles sorted in privilege order, de-duplicated, always with MEMBER.
func NormalizeRoles(roles []Role) []Role {
	out := []Role{RoleMember}
	for _, r := range AllRoles[1:] {
		if slices.Contains(roles, r) {
			out = append(out, r)
		}
	}
	return out
}

// AuthSession is one signed-in device: a refresh-token family.
type AuthSession struct {
	ID         uuid.UUID  `db:"id"`
	UserID     uuid.UUID  `db:"user_id"`
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt time.Time  `db:"last_used_at"`
	ExpiresAt  time.Time  `db:"expires_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
	UserAgent  *string    `db:"user_agent"`
}

// Active reports whether the session can still be used at now.
func (s AuthSession) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}
