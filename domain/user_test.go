package domain

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
)

func TestNormalizeRoles(t *testing.T) {
	tests := []struct {
		name string
		in   []Role
		want []Role
	}{
		{"empty gets member", nil, []Role{RoleMember}},
		{"dedup and order", []Role{RoleAdmin, RoleMentor, RoleAdmin}, []Role{RoleMember, RoleMentor, RoleAdmin}},
		{"unknown dropped", []Role{"ROOT", RoleSupport}, []Role{RoleMember, RoleSupport}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeRoles(tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("NormalizeRoles(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestUserPermissions(t *testing.T) {
	self := uuid.New()
	tests := []struct {
		name        string
		roles       []Role
		hasMod      bool
		seesPrivate bool
	}{
		{"member", []Role{RoleMember}, false, false},
		{"mentor", []Role{RoleMember, RoleMentor}, false, false},
		{"support", []Role{RoleMember, RoleSupport}, false, true},
		{"moderator", []Role{RoleMember, RoleModerator}, true, true},
		{"admin holds every role", []Role{RoleMember, RoleAdmin}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := User{ID: self, Roles: tt.roles}
			if got := u.HasRole(RoleModerator); got != tt.hasMod {
				t.Errorf("HasRole(MODERATOR) = %v, want %v", got, tt.hasMod)
			}
			if got := u.CanSeePrivateDataOf(uuid.New()); got != tt.seesPrivate {
				t.Errorf("CanSeePrivateDataOf(other) = %v, want %v", got, tt.seesPrivate)
			}
			if !u.CanSeePrivateDataOf(self) {
				t.Error("a member must see their own private data")
			}
		})
	}
}

// TestRoleInheritance pins the one table of role inheritance against the schema's `enum Role`
// documentation: ADMIN includes every role, every role includes MEMBER, no other role includes
// another (a MODERATOR is not SUPPORT), and staff are SUPPORT, MODERATOR and ADMIN.
func TestRoleInheritance(t *testing.T) {
	t.Parallel()
	// want[held] lists every role that holding `held` (alone, with MEMBER) grants.
	want := map[Role][]Role{
		RoleMember:    {RoleMember},
		RoleMentor:    {RoleMember, RoleMentor},
		RoleSupport:   {RoleMember, RoleSupport},
		RoleModerator: {RoleMember, RoleModerator},
		RoleAdmin:     {RoleMember, RoleMentor, RoleSupport, RoleModerator, RoleAdmin},
	}
	staff := map[Role]bool{RoleSupport: true, RoleModerator: true, RoleAdmin: true}
	for _, held := range AllRoles {
		u := User{ID: uuid.New(), Roles: NormalizeRoles([]Role{held})}
		for _, role := range AllRoles {
			if got, w := u.HasRole(role), slices.Contains(want[held], role); got != w {
				t.Errorf("a %s: HasRole(%s) = %v, want %v", held, role, got, w)
			}
			if got := (Actor{User: u}).RequireRole(role) == nil; got != slices.Contains(want[held], role) {
				t.Errorf("a %s: RequireRole(%s) allowed = %v", held, role, got)
			}
		}
		if got := u.IsStaff(); got != staff[held] {
			t.Errorf("a %s: IsStaff = %v, want %v", held, got, staff[held])
		}
	}
	if (Actor{}).HasRole(RoleMember) {
		t.Error("a signed-out caller holds no role")
	}
	if err := (Actor{}).RequireRole(RoleMember); !IsKind(err, KindUnauthenticated) {
		t.Errorf("RequireRole signed out = %v, want UNAUTHENTICATED", err)
	}
	if err := (Actor{User: User{ID: uuid.New(), Roles: []Role{RoleMember}}}).RequireRole(RoleSupport); !IsKind(err, KindForbidden) {
		t.Errorf("RequireRole without the role = %v, want FORBIDDEN", err)
	}
}

// TestWithheldRoles: a staff role waiting for a second factor is refused with its own reason,
// a role never held with the plain one.
func TestWithheldRoles(t *testing.T) {
	t.Parallel()
	a := Actor{User: User{ID: uuid.New(), Roles: []Role{RoleMember}}, WithheldRoles: []Role{RoleSupport}}
	reason := func(err error) any {
		var de *Error
		if !errors.As(err, &de) || de.Kind != KindForbidden {
			t.Fatalf("err = %v, want FORBIDDEN", err)
		}
		return de.Details["reason"]
	}
	if r := reason(a.RequireRole(RoleSupport)); r != ReasonSecondFactorRequired {
		t.Errorf("withheld SUPPORT: reason %v", r)
	}
	if r := reason(a.RequireRole(RoleAdmin)); r != nil {
		t.Errorf("ADMIN never held: reason %v", r)
	}
	if a.HasRole(RoleSupport) || !a.HasRole(RoleMember) || a.RequireRole(RoleMember) != nil {
		t.Error("a withheld role counted, or the member role did not")
	}
}
