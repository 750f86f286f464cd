package schemasnapshot_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/skillswap/skillswap/graph"
	"github.com/skillswap/skillswap/internal/schemasnapshot"
)

// snapshotPath is the committed snapshot, relative to this package's directory.
const snapshotPath = "../../schema.snapshot.graphql"

// TestSnapshotIsCurrent fails when the committed schema.snapshot.graphql is not what the
// schema the server executes prints now: the schema-diff CI step compares committed
// snapshots, so a change the snapshot misses would escape the breaking-change check.
func TestSnapshotIsCurrent(t *testing.T) {
	committed, err := os.ReadFile(snapshotPath)
	if err != nil {
		t.Fatalf("read the snapshot: %v (run `make schema-snapshot` and commit schema.snapshot.graphql)", err)
	}
	current := schemasnapshot.Snapshot(graph.NewExecutableSchema(graph.Config{}).Schema())
	if string(committed) == current {
		return
	}
	t.Errorf("schema.snapshot.graphql is stale: run `make schema-snapshot` and commit it.\n%s",
		firstDifference(string(committed), current))
}

// firstDifference shows where the two texts part, so the failure says which definition
// changed without dumping thousands of lines.
func firstDifference(committed, current string) string {
	a, b := strings.Split(committed, "\n"), strings.Split(current, "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var la, lb string
		if i < len(a) {
			la = a[i]
		}
		if i < len(b) {
			lb = b[i]
		}
		if la != lb || i >= len(a) || i >= len(b) {
			return "first difference at line " + strconv.Itoa(i+1) + ":\n  committed: " + la + "\n  current:   " + lb
		}
	}
	return ""
}
