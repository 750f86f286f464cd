package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// No-show disputes of paid sessions (see domain.NoShowDispute).

const noShowDisputeColumns = `session_id, payment_id, absent_id, reported_by, status, decides_at, contest_note,
	contested_at, decided_by, decision_note, decided_at, created_at`

func collectNoShowDispute(rows pgx.Rows, err error, what string) (domain.NoShowDispute, error) {
	if err != nil {
		return domain.NoShowDispute{}, mapErr(err, what, "no-show dispute", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.NoShowDispute])
	return out, mapErr(err, what, "no-show dispute", "")
}

// InsertNoShowDispute opens the dispute of a session's no-show report; a session has at most
// one, and inserting it again returns the existing one unchanged (created reports which).
func (q *Queries) InsertNoShowDispute(ctx context.Context, d domain.NoShowDispute) (out domain.NoShowDispute, created bool, err error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO no_show_disputes (session_id, payment_id, absent_id, reported_by, status, decides_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (session_id) DO NOTHING
		RETURNING `+noShowDisputeColumns,
		d.SessionID, d.PaymentID, d.AbsentID, d.ReportedBy, d.Status, d.DecidesAt, d.CreatedAt)
	if err != nil {
		return domain.NoShowDispute{}, false, mapErr(err, "insert no-show dispute", "no-show dispute", "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.NoShowDispute])
	if err != nil {
		return domain.NoShowDispute{}, false, mapErr(err, "insert no-show dispute", "no-show dispute", "")
	}
	if len(list) == 1 {
		return list[0], true, nil
	}
	out, err = q.NoShowDispute(ctx, d.SessionID)
	return out, false, err
}

// NoShowDispute returns the dispute of a session (NotFound when there is none).
func (q *Queries) NoShowDispute(ctx context.Context, sessionID uuid.UUID) (domain.NoShowDispute, error) {
	rows, err := q.db.Query(ctx, `SELECT `+noShowDisputeColumns+` FROM no_show_disputes WHERE session_id = $1`, sessionID)
	return collectNoShowDispute(rows, err, "select no-show dispute")
}

// LockNoShowDispute returns the dispute of a session, locked until the transaction ends.
func (q *Queries) LockNoShowDispute(ctx context.Context, sessionID uuid.UUID) (domain.NoShowDispute, error) {
	rows, err := q.db.Query(ctx, `SELECT `+noShowDisputeColumns+` FROM no_show_disputes WHERE session_id = $1 FOR UPDATE`, sessionID)
	return collectNoShowDispute(rows, err, "lock no-show dispute")
}

// UpdateNoShowDispute writes a dispute's status, contest and decision.
func (q *Queries) UpdateNoShowDispute(ctx context.Context, d domain.NoShowDispute) (domain.NoShowDispute, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE no_show_disputes SET status = $2, contest_note = $3, contested_at = $4, decided_by = $5,
			decision_note = $6, decided_at = $7
		WHERE session_id = $1 RETURNING `+noShowDisputeColumns,
		d.SessionID, d.Status, d.ContestNote, d.ContestedAt, d.DecidedBy, d.DecisionNote, d.DecidedAt)
	return collectNoShowDispute(rows, err, "update no-show dispute")
}

// NoShowDisputes lists disputes oldest first (by creation, then session id), optionally only
// those in one status, keyset-paginated after the dispute of session after. An after that names
// no dispute yields an empty page.
func (q *Queries) NoShowDisputes(ctx context.Context, status *domain.NoShowDisputeStatus, after *uuid.UUID, limit int) ([]domain.NoShowDispute, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+noShowDisputeColumns+` FROM no_show_disputes
		WHERE ($1::text IS NULL OR status = $1)
			AND ($2::uuid IS NULL OR (created_at, session_id) > (SELECT created_at, session_id FROM no_show_disputes WHERE session_id = $2))
		ORDER BY created_at, session_id LIMIT $3`, status, after, limit)
	if err != nil {
		return nil, mapErr(err, "select no-show disputes", "no-show dispute", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.NoShowDispute])
	return out, mapErr(err, "select no-show disputes", "no-show dispute", "")
}

// NoShowDisputesBySessionIDs returns the disputes of the given sessions, by session id
// (sessions without one are absent).
func (q *Queries) NoShowDisputesBySessionIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.NoShowDispute, error) {
	return keyedRows(ctx, q.db, "select no-show disputes of sessions", "no-show dispute",
		func(d domain.NoShowDispute) uuid.UUID { return d.SessionID },
		`SELECT `+noShowDisputeColumns+` FROM no_show_disputes WHERE session_id = ANY($1)`, uuidArgs(ids))
}
