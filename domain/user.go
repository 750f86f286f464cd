package domain

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/globalid"
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

// Staff reports whether r is a staff role (SUPPORT, MODERATOR, ADMIN): the roles that need a
// second factor when STAFF_REQUIRE_MFA is on.
func (r Role) Staff() bool { return r == RoleSupport || r == RoleModerator || r == RoleAdmin }

// roleGrants is the one statement of role inheritance: what holding each role grants, itself
// included. Every role grants MEMBER and ADMIN grants every role; MENTOR, SUPPORT and MODERATOR
// grant nothing else: moderators moderate content but do not decide who gets paid (no-show
// disputes are SUPPORT's), and support agents do not moderate. schema.graphqls (`enum Role`)
// documents the same table, and TestRoleInheritance pins it.
var roleGrants = map[Role][]Role{
	RoleMember:    {RoleMember},
	RoleMentor:    {RoleMentor, RoleMember},
	RoleSupport:   {RoleSupport, RoleMember},
	RoleModerator: {RoleModerator, RoleMember},
	RoleAdmin:     AllRoles,
}

// Grants reports whether holding r grants role (r itself, or a role below it).
func (r Role) Grants(role Role) bool { return slices.Contains(roleGrants[r], role) }

// RolesGrant reports whether holding the roles held grants role: every role check (HasRole,
// IsStaff, the @hasRole directive) goes through it.
func RolesGrant(held []Role, role Role) bool {
	return slices.ContainsFunc(held, func(r Role) bool { return r.Grants(role) })
}

// UserStatus is an account's lifecycle state.
type UserStatus string

// Account states.
const (
	UserActive    UserStatus = "ACTIVE"
	UserSuspended UserStatus = "SUSPENDED"
	// UserErased: the account was erased (package erasure); the row stays as a pseudonym.
	UserErased UserStatus = "ERASED"
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
	// EmailVerifiedAt is when Email was proved to reach the member; nil until then.
	EmailVerifiedAt *time.Time `db:"email_verified_at"`
	// Locale is the member's language (LocaleEN or LocaleFR, as package i18n matched it): of
	// their emails, their pushes on devices that report none, and the API's messages to them.
	Locale string `db:"locale"`
	// TermsVersion and PrivacyVersion are the versions of the terms and of the privacy policy the
	// member accepted last (nil: never); the gate of member actions compares them with the
	// current ones (LegalVersions).
	TermsVersion   *string `db:"terms_version"`
	PrivacyVersion *string `db:"privacy_version"`
	// MarketingConsent: the member agreed to marketing emails.
	MarketingConsent bool `db:"marketing_consent"`
}

// GlobalID is the account's API id (the GraphQL User.id).
func (u *User) GlobalID() string { return globalid.Format(globalid.User, u.ID) }

// EmailVerified reports whether the member proved their email address reaches them.
func (u User) EmailVerified() bool { return u.EmailVerifiedAt != nil }

// Languages of account emails.
const (
	LocaleEN = "en"
	LocaleFR = "fr"
)

// HasRole reports whether the user holds role, themselves or through a role that grants it
// (see RolesGrant: ADMIN holds every role).
func (u User) HasRole(role Role) bool { return RolesGrant(u.Roles, role) }

// IsStaff reports whether the user is staff: holds SUPPORT or MODERATOR (ADMIN grants both).
// Staff read what members keep private from each other (email, roles, sessions, payments).
func (u User) IsStaff() bool { return u.HasRole(RoleSupport) || u.HasRole(RoleModerator) }

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
