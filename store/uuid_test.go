package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// uuid.UUID values travel as binary uuids, as parameters and results, alone, nullable and in
// arrays, and never through the text detour pgx takes for a driver.Valuer.
func TestPoolEncodesAndScansUUIDsAsBinary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := openPool(t, 1)
	a, b := uuid.New(), uuid.New()

	var got uuid.UUID
	var text string
	if err := pool.QueryRow(ctx, `SELECT $1::uuid, $1::uuid::text`, a).Scan(&got, &text); err != nil {
		t.Fatal(err)
	}
	if got != a || text != a.String() {
		t.Fatalf("round trip of %s: scanned %s, PostgreSQL saw %s", a, got, text)
	}
	var null *uuid.UUID
	var present *uuid.UUID
	var nilParam *uuid.UUID
	if err := pool.QueryRow(ctx, `SELECT NULL::uuid, $1::uuid, $2::uuid IS NULL`, &b, nilParam).Scan(&null, &present, new(bool)); err != nil {
		t.Fatal(err)
	}
	if null != nil || present == nil || *present != b {
		t.Fatalf("nullable: NULL scanned as %v, %s scanned as %v", null, b, present)
	}
	var list []uuid.UUID
	if err := pool.QueryRow(ctx, `SELECT $1::uuid[]`, []uuid.UUID{a, b}).Scan(&list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0] != a || list[1] != b {
		t.Fatalf("array: %v", list)
	}
	// NULL into a uuid.UUID is uuid.Nil, as uuid.UUID's own Scan makes it.
	if err := pool.QueryRow(ctx, `SELECT NULL::uuid`).Scan(&got); err != nil || got != uuid.Nil {
		t.Fatalf("NULL scanned into a uuid.UUID: %s, %v", got, err)
	}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	m := conn.Conn().TypeMap()
	for what, plan := range map[string]any{
		"encoded": m.PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, a),
		"scanned": m.PlanScan(pgtype.UUIDOID, pgtype.BinaryFormatCode, &got),
	} {
		if name := fmt.Sprintf("%T", plan); strings.Contains(name, "DriverValuer") || strings.Contains(name, "SQLScanner") {
			t.Errorf("uuid.UUID is %s with %s", what, name)
		}
	}
}
