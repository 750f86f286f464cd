package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// HideMessage hides a message pending review from now on. changed is false (and nothing is
// written) when it is already hidden or is a tombstone; NOT_FOUND for an unknown id.
func (q *Queries) HideMessage(ctx context.Context, id uuid.UUID, now time.Time) (m domain.Message, changed bool, err error) {
	return q.setMessageHidden(ctx, id, &now)
}

// RevealMessage ends a message's hiding pending review. changed is false when it was not hidden.
func (q *Queries) RevealMessage(ctx context.Context, id uuid.UUID) (m domain.Message, changed bool, err error) {
	return q.setMessageHidden(ctx, id, nil)
}

func (q *Queries) setMessageHidden(ctx context.Context, id uuid.UUID, at *time.Time) (domain.Message, bool, error) {
	// One statement: the update when it changes something, else the row as it is.
	rows, err := q.db.Query(ctx, `
		WITH upd AS (
			UPDATE messages SET hidden_at = $2
			WHERE id = $1 AND (hidden_at IS NULL) = ($2::timestamptz IS NOT NULL)
				AND ($2::timestamptz IS NULL OR deleted_at IS NULL)
			RETURNING `+messageColumns+`
		)
		SELECT `+messageColumns+`, true AS changed FROM upd
		UNION ALL
		SELECT `+messageColumns+`, false FROM messages WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM upd)`, id, at)
	if err != nil {
		return domain.Message{}, false, mapErr(err, "set message hidden", "message", "")
	}
	type row struct {
		domain.Message
		Changed bool `db:"changed"`
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[row])
	if err != nil {
		return domain.Message{}, false, mapErr(err, "set message hidden", "message", "")
	}
	return r.Message, r.Changed, nil
}
