package store

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// KeyedForTest exposes the batch-load helpers to the external tests, which alone may open a
// test database (testdb imports store): it runs sql with keys as $1 through each of them.
func KeyedForTest(ctx context.Context, pool *pgxpool.Pool, sql string, keys []string) (one map[string]KeyedRow, groups map[string][]int, err error) {
	one, err = keyedRows(ctx, pool, "test rows", "row", func(r KeyedRow) string { return r.K }, sql, keys)
	if err != nil {
		return nil, nil, err
	}
	groups, err = groupedValues(ctx, pool, "test groups", "row", len(keys), func(r KeyedRow) (string, int) { return r.K, r.V }, sql, keys)
	return one, groups, err
}

// KeyedRow is the row KeyedForTest's SQL returns.
type KeyedRow struct {
	K string `db:"k"`
	V int    `db:"v"`
}
