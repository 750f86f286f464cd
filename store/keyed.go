package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// The batch loads behind dataloaders (XsByIDs, XsByUserIDs, ...) all run one statement for
// every id of a request and index its rows by a key column. These helpers are that shape
// once, so that a batch load is its SQL and its key and nothing else: what and entity go to
// mapErr as in every other query. Rows map onto structs by column name.

// queryStructs runs sql and maps every row onto T by column name.
func queryStructs[T any](ctx context.Context, db dbtx, what, entity, sql string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(err, what, entity, "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[T])
	if err != nil {
		return nil, mapErr(err, what, entity, "")
	}
	return list, nil
}

// keyedRows indexes the rows of sql by key, one row per key (a later row with the same key
// wins); keys without a row are absent.
func keyedRows[K comparable, T any](ctx context.Context, db dbtx, what, entity string, key func(T) K, sql string, args ...any) (map[K]T, error) {
	return keyedValues(ctx, db, what, entity, func(t T) (K, T) { return key(t), t }, sql, args...)
}

// keyedValues is keyedRows for rows of R that carry a value V beside their key (counts,
// aggregates): the map holds the values, not the rows.
func keyedValues[R any, K comparable, V any](ctx context.Context, db dbtx, what, entity string, kv func(R) (K, V), sql string, args ...any) (map[K]V, error) {
	list, err := queryStructs[R](ctx, db, what, entity, sql, args...)
	if err != nil {
		return nil, err
	}
	out := make(map[K]V, len(list))
	for _, r := range list {
		k, v := kv(r)
		out[k] = v
	}
	return out, nil
}

// keyBy indexes rows read otherwise (a batch's) as keyedRows does.
func keyBy[K comparable, T any](list []T, key func(T) K) map[K]T {
	out := make(map[K]T, len(list))
	for _, t := range list {
		out[key(t)] = t
	}
	return out
}

// groupBy groups rows read otherwise (a batch's) as groupedRows does.
func groupBy[K comparable, T any](list []T, keys int, key func(T) K) map[K][]T {
	out := make(map[K][]T, keys)
	for _, t := range list {
		k := key(t)
		out[k] = append(out[k], t)
	}
	return out
}

// groupedRows groups the rows of sql by key (one-to-many), each group in the order the SQL
// returns it; keys without a row are absent. keys is how many keys were asked for: it sizes
// the map, since the rows outnumber the keys.
func groupedRows[K comparable, T any](ctx context.Context, db dbtx, what, entity string, keys int, key func(T) K, sql string, args ...any) (map[K][]T, error) {
	return groupedValues(ctx, db, what, entity, keys, func(t T) (K, T) { return key(t), t }, sql, args...)
}

// groupedValues is groupedRows for rows of R that carry a value V beside their key.
func groupedValues[R any, K comparable, V any](ctx context.Context, db dbtx, what, entity string, keys int, kv func(R) (K, V), sql string, args ...any) (map[K][]V, error) {
	list, err := queryStructs[R](ctx, db, what, entity, sql, args...)
	if err != nil {
		return nil, err
	}
	out := make(map[K][]V, keys)
	for _, r := range list {
		k, v := kv(r)
		out[k] = append(out[k], v)
	}
	return out, nil
}
