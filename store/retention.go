package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// RetentionBatch deletes, or with clear set to NULL those columns of, up to limit rows of table
// matching where (a constant SQL condition of package retention's rules, $1 being the cutoff).
// The rows are locked with SKIP LOCKED, so instances running it at once split the work instead
// of waiting on each other, and a batch is one short statement. It returns the rows changed.
func (q *Queries) RetentionBatch(ctx context.Context, table, where string, clear []string, cutoff time.Time, limit int) (int64, error) {
	t := pgx.Identifier{table}.Sanitize()
	action := "DELETE FROM " + t
	if len(clear) > 0 {
		sets := make([]string, len(clear))
		for i, c := range clear {
			sets[i] = pgx.Identifier{c}.Sanitize() + " = NULL"
		}
		action = "UPDATE " + t + " SET " + strings.Join(sets, ", ")
	}
	tag, err := q.db.Exec(ctx, fmt.Sprintf(`
		WITH due AS (SELECT ctid FROM %s WHERE %s LIMIT $2 FOR UPDATE SKIP LOCKED)
		%s WHERE ctid IN (SELECT ctid FROM due)`, t, where, action), cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("retention on %s: %w", table, err)
	}
	return tag.RowsAffected(), nil
}
