package domain

import (
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
