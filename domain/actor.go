package domain

import "github.com/google/uuid"

// Actor is who performs an operation: the signed-in member a request acts for, as authenticated
// for that request (their account and roles, and the login session that proved it).
//
// Every service method that acts for someone takes the Actor as an explicit argument, right
// after the context; none reads it from the context. The signature then says which operations
// act for a member and which act for the system (jobs, webhooks), a job or a test calls a service
// without faking a request, and a role check reads the roles the caller was authenticated with.
// The transport keeps the viewer in the context (auth.Viewer); resolvers turn it into an Actor
// (auth.RequireActor) and hand it over. The zero Actor is a signed-out caller, for the few reads
// that serve them too.
type Actor struct {
	User User
	// SessionID is the login session (AuthSession) the caller authenticated with.
	SessionID uuid.UUID
	// WithheldRoles are staff roles the member holds but that do not count yet: auth moves them
	// out of User.Roles when staff must have a second factor (STAFF_REQUIRE_MFA) and the member
	// has none. Every role check (HasRole, User.IsStaff, @hasRole) then sees a plain member, and
	// RequireRole says why. Actors built outside a request leave it empty.
	WithheldRoles []Role
}

// ID is the acting member's id; uuid.Nil when signed out.
func (a Actor) ID() uuid.UUID { return a.User.ID }

// SignedIn reports whether a member is acting (false for the zero Actor).
func (a Actor) SignedIn() bool { return a.User.ID != uuid.Nil }

// RequireSignedIn is UNAUTHENTICATED for the zero Actor. Resolvers stop such a caller first with
// auth.RequireActor, whose error also says why (an expired token, say); services check again
// because a job, a tool or a test may call them directly. A new error each time: the error
// presenter may annotate it.
func (a Actor) RequireSignedIn() error {
	if !a.SignedIn() {
		return ErrAuthenticationRequired()
	}
	return nil
}

// HasRole reports whether the actor holds role, themselves or through a role that grants it
// (User.HasRole).
func (a Actor) HasRole(role Role) bool { return a.SignedIn() && a.User.HasRole(role) }

// ReasonSecondFactorRequired is extensions.reason of the FORBIDDEN answered to staff who must
// enable a second factor before their staff operations work.
const ReasonSecondFactorRequired = "SECOND_FACTOR_REQUIRED"

// RequireRole is FORBIDDEN unless the actor holds role (HasRole), UNAUTHENTICATED when signed
// out. The @hasRole directive calls it, so the schema's checks and the services' agree.
func (a Actor) RequireRole(role Role) error {
	if !a.SignedIn() {
		return ErrAuthenticationRequired()
	}
	if !a.User.HasRole(role) {
		if RolesGrant(a.WithheldRoles, role) {
			e := Forbidden("staff operations require two-factor sign-in: enable it first (startTotpEnrollment)").WithMessage(MsgSecondFactorRequired, nil)
			e.Details = map[string]any{"reason": ReasonSecondFactorRequired}
			return e
		}
		return Forbidden("requires the %s role", role).WithMessage(MsgRoleRequired, map[string]any{"Role": string(role)})
	}
	return nil
}
