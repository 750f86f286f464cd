package privacy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/privacy"
)

func TestRegisterIsConsistent(t *testing.T) {
	t.Parallel()
	if err := privacy.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestRegisterCoversSchema fails, naming table.column, when a migration adds or renames a column
// the register does not classify, or when the register names a column that does not exist.
func TestRegisterCoversSchema(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `
		SELECT c.table_name, c.column_name
		FROM information_schema.columns c
		JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	type col struct{ table, column string }
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (col, error) {
		var c col
		return c, r.Scan(&c.table, &c.column)
	})
	if err != nil {
		t.Fatal(err)
	}
	inDB := map[string]bool{}
	var unclassified []string
	for _, c := range cols {
		if _, river := privacy.RiverTables()[c.table]; river {
			continue
		}
		inDB[c.table+"."+c.column] = true
		if _, ok := privacy.Lookup(c.table, c.column); !ok {
			unclassified = append(unclassified, c.table+"."+c.column)
		}
	}
	if len(unclassified) > 0 {
		t.Errorf("columns missing from the personal-data register (privacy/register.go): %s", strings.Join(unclassified, ", "))
	}
	var stale []string
	for tn, tbl := range privacy.Tables() {
		for cn := range tbl.Columns {
			if !inDB[tn+"."+cn] {
				stale = append(stale, tn+"."+cn)
			}
		}
	}
	if len(stale) > 0 {
		t.Errorf("the personal-data register names columns the schema does not have: %s", strings.Join(stale, ", "))
	}
}
