package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// InsertAuditLog appends a row to the audit log: the one way every staff action is recorded. It
// runs inside the action's own transaction (q from Store.InTx), so the row exists exactly when
// the action committed. actorID is nil for the platform acting on its own (webhooks, jobs);
// details are marshalled to JSON (nil is {}). The table is append-only (migration 0020's
// triggers), and this package has no statement that updates or deletes it.
func (q *Queries) InsertAuditLog(ctx context.Context, actorID *uuid.UUID, action, target string, details any) error {
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit log details: %w", err)
	}
	if details == nil {
		b = []byte("{}")
	}
	_, err = q.db.Exec(ctx, `
		INSERT INTO admin_audit_log (actor_id, action, target, details) VALUES ($1, $2, $3, $4)`,
		actorID, action, target, b)
	return mapErr(err, "insert audit log", "user", "")
}

// ListAuditLog returns a page of audit entries matching f, newest first (id DESC), after the
// entry with id after when set.
func (q *Queries) ListAuditLog(ctx context.Context, f domain.AuditFilter, after *int64, limit int) ([]domain.AuditEntry, error) {
	var target, action *string
	if f.Target != "" {
		target = &f.Target
	}
	if f.Action != "" {
		action = &f.Action
	}
	rows, err := q.db.Query(ctx, `
		SELECT id, actor_id, action, target, details, created_at FROM admin_audit_log
		WHERE ($1::bigint IS NULL OR id < $1)
		  AND ($2::uuid IS NULL OR actor_id = $2)
		  AND ($3::text IS NULL OR target = $3)
		  AND ($4::text IS NULL OR action = $4)
		  AND ($5::timestamptz IS NULL OR created_at >= $5)
		  AND ($6::timestamptz IS NULL OR created_at < $6)
		ORDER BY id DESC
		LIMIT $7`, after, f.ActorID, target, action, f.From, f.To, limit)
	if err != nil {
		return nil, mapErr(err, "list audit log", "audit entry", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.AuditEntry])
	return out, mapErr(err, "list audit log", "audit entry", "")
}
