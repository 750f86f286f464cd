package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// A text[] scans into []domain.Role as into []string: values in order, NULL as nil, {} as empty,
// both as the query's result and inside a scanned struct; encoding roles is unchanged.
func TestPoolScansRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := openPool(t, 1)
	cases := []struct {
		name string
		sql  string
		want []domain.Role
		null bool
	}{
		{"roles", `SELECT ARRAY['MEMBER', 'SUPPORT']::text[]`, []domain.Role{domain.RoleMember, domain.RoleSupport}, false},
		{"no role", `SELECT '{}'::text[]`, []domain.Role{}, false},
		{"null", `SELECT NULL::text[]`, nil, true},
		{"a parameter back", `SELECT $1::text[]`, []domain.Role{domain.RoleModerator, domain.RoleMember}, false},
	}
	for _, tc := range cases {
		var args []any
		if tc.name == "a parameter back" {
			args = append(args, tc.want)
		}
		got := []domain.Role{"stale"}
		if err := pool.QueryRow(ctx, tc.sql, args...).Scan(&got); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(got, tc.want) || (got == nil) != tc.null {
			t.Errorf("%s: scanned %#v, want %#v", tc.name, got, tc.want)
		}
		rows, err := pool.Query(ctx, `SELECT x AS roles FROM (`+tc.sql+`) AS r(x)`, args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		users, err := pgx.CollectRows(rows, pgx.RowToStructByName[struct {
			Roles []domain.Role `db:"roles"`
		}])
		if err != nil || len(users) != 1 || !slices.Equal(users[0].Roles, tc.want) || (users[0].Roles == nil) != tc.null {
			t.Errorf("%s: in a struct: %#v, %v", tc.name, users, err)
		}
	}
}
