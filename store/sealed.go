package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Columns of values encrypted by package sealbox, for key rotation (package rekey).

// SealedColumn is a bytea column of sealed values in a table keyed by one uuid column.
type SealedColumn struct {
	Table, Column, Key string
	// LegacyV1: the column may hold values sealed before keyrings (see sealbox.Binding).
	LegacyV1 bool
}

// String is table.column.
func (c SealedColumn) String() string { return c.Table + "." + c.Column }

// SealedColumns lists every column of sealed values: rotation re-encrypts each, and a new
// encrypted column is added here. Chosen and not chosen, with the reasons, in README.md
// ("What SkillSwap collects and why").
var SealedColumns = []SealedColumn{
	{Table: "user_totp", Column: "secret_enc", Key: "user_id", LegacyV1: true},
}

// SealedValue is one row's sealed value.
type SealedValue struct {
	Key   uuid.UUID
	Value []byte
}

// StaleSealedValues returns up to limit values of col, in key order after after, that do not
// start with current (the primary key's header: they need re-encryption). Inside a transaction
// the rows stay locked until it ends; rows another transaction holds are skipped, so several
// instances rotating at once share the work instead of waiting on each other.
func (q *Queries) StaleSealedValues(ctx context.Context, col SealedColumn, current []byte, after uuid.UUID, limit int) ([]SealedValue, error) {
	t, c, k := pgx.Identifier{col.Table}.Sanitize(), pgx.Identifier{col.Column}.Sanitize(), pgx.Identifier{col.Key}.Sanitize()
	rows, err := q.db.Query(ctx, fmt.Sprintf(`
		SELECT %[3]s AS key, %[2]s AS value FROM %[1]s
		WHERE %[2]s IS NOT NULL AND substring(%[2]s FROM 1 FOR $1) <> $2 AND %[3]s > $3
		ORDER BY %[3]s LIMIT $4
		FOR UPDATE SKIP LOCKED`, t, c, k),
		len(current), current, after, limit)
	if err != nil {
		return nil, fmt.Errorf("select stale %s: %w", col, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[SealedValue])
	if err != nil {
		return nil, fmt.Errorf("select stale %s: %w", col, err)
	}
	return out, nil
}

// ReplaceSealedValue writes next in place of old; it reports false when the row no longer holds
// old (it changed meanwhile, e.g. a new enrolment: nothing to rotate any more).
func (q *Queries) ReplaceSealedValue(ctx context.Context, col SealedColumn, key uuid.UUID, old, next []byte) (bool, error) {
	t, c, k := pgx.Identifier{col.Table}.Sanitize(), pgx.Identifier{col.Column}.Sanitize(), pgx.Identifier{col.Key}.Sanitize()
	tag, err := q.db.Exec(ctx, fmt.Sprintf(`UPDATE %[1]s SET %[2]s = $3 WHERE %[3]s = $1 AND %[2]s = $2`, t, c, k),
		key, old, next)
	if err != nil {
		return false, fmt.Errorf("replace %s: %w", col, err)
	}
	return tag.RowsAffected() == 1, nil
}
