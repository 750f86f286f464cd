package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/domain"
)

// The audit log is append-only whatever the path: the triggers refuse UPDATE, DELETE and TRUNCATE.
func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	q := st.Q()
	staff := newUser(t, q, "audit-staff@example.com")
	if err := q.InsertAuditLog(ctx, &staff.ID, "test.done", "user:"+staff.ID.String(), map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE admin_audit_log SET action = 'x'`,
		`DELETE FROM admin_audit_log`,
		`TRUNCATE admin_audit_log`,
	} {
		_, err := st.Pool().Exec(ctx, stmt)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", stmt, err)
		}
	}
	rows, err := q.ListAuditLog(ctx, domain.AuditFilter{}, nil, 10)
	if err != nil || len(rows) != 1 || rows[0].Action != "test.done" || string(rows[0].Details) != `{"n": 1}` {
		t.Fatalf("rows = %+v (%v)", rows, err)
	}
}

// Each filter narrows the page; pages run newest first and continue after the cursor.
func TestListAuditLogFilters(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	q := st.Q()
	a := newUser(t, q, "audit-a@example.com")
	b := newUser(t, q, "audit-b@example.com")
	for _, r := range []struct {
		actor  *domain.User
		action string
		target string
	}{{&a, "x.one", "user:1"}, {&a, "x.two", "user:2"}, {&b, "x.one", "user:2"}, {nil, "x.three", "user:3"}} {
		if r.actor == nil {
			if err := q.InsertAuditLog(ctx, nil, r.action, r.target, nil); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := q.InsertAuditLog(ctx, &r.actor.ID, r.action, r.target, nil); err != nil {
			t.Fatal(err)
		}
	}
	future := time.Now().Add(time.Hour)
	past := time.Now().Add(-time.Hour)
	for _, tt := range []struct {
		name string
		f    domain.AuditFilter
		want string
	}{
		{"none", domain.AuditFilter{}, "x.three,x.one,x.two,x.one"},
		{"actor", domain.AuditFilter{ActorID: &a.ID}, "x.two,x.one"},
		{"target", domain.AuditFilter{Target: "user:2"}, "x.one,x.two"},
		{"action", domain.AuditFilter{Action: "x.one"}, "x.one,x.one"},
		{"from in the future", domain.AuditFilter{From: &future}, ""},
		{"to in the past", domain.AuditFilter{To: &past}, ""},
		{"within", domain.AuditFilter{From: &past, To: &future, Action: "x.three"}, "x.three"},
	} {
		rows, err := q.ListAuditLog(ctx, tt.f, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Action)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, got, tt.want)
		}
	}
	all, _ := q.ListAuditLog(ctx, domain.AuditFilter{}, nil, 10)
	rest, err := q.ListAuditLog(ctx, domain.AuditFilter{}, &all[1].ID, 10)
	if err != nil || len(rest) != 2 || rest[0].ID != all[2].ID {
		t.Fatalf("after cursor: %+v (%v)", rest, err)
	}
}
