package store_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/skillswap/skillswap/store"
)

// The batch loads of every aggregate rest on these helpers: keys without rows must be absent
// (dataloaders answer them with zero values), one-to-many groups must keep the SQL's order
// (proposal histories, participants in joining order), and a failing statement must name the
// load it came from.
func TestKeyedBatchLoadHelpers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := openPool(t, 1)
	const sql = `SELECT k, v FROM (VALUES ('a', 3), ('b', 2), ('a', 1), ('d', 4)) AS t (k, v)
		WHERE k = ANY($1) ORDER BY k, v DESC`

	one, groups, err := store.KeyedForTest(ctx, pool, sql, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	// One row per key: the last row of a repeated key wins.
	if want := map[string]store.KeyedRow{"a": {K: "a", V: 1}, "b": {K: "b", V: 2}}; !maps.Equal(one, want) {
		t.Fatalf("one row per key: %v, want %v", one, want)
	}
	if want := map[string][]int{"a": {3, 1}, "b": {2}}; !maps.EqualFunc(groups, want, slices.Equal) {
		t.Fatalf("groups: %v, want %v", groups, want)
	}

	_, _, err = store.KeyedForTest(ctx, pool, `SELECT no_such_column FROM (VALUES (1)) AS t (k)`, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "test rows: ") {
		t.Fatalf("failing statement: %v", err)
	}
}
