//go:build typesense

package search_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/search"
)

// TestTypesenseBackend runs the behaviour suite of suite_test.go against a Typesense server. No
// Typesense server can run on the project's machines, so this file is compiled only with the
// `typesense` build tag (`make test-typesense`, with TYPESENSE_URL and TYPESENSE_API_KEY set);
// under that tag a missing server is a failure, never a skip.
func TestTypesenseBackend(t *testing.T) {
	t.Parallel()
	url := os.Getenv("TYPESENSE_URL")
	if url == "" {
		t.Fatal("TYPESENSE_URL is not set: point it (and TYPESENSE_API_KEY) at a Typesense server")
	}
	fx := loadFixture(t, nil)
	prefix := "test_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12] + "_"
	backend, err := search.NewTypesense(t.Context(), search.TypesenseConfig{URL: url, APIKey: os.Getenv("TYPESENSE_API_KEY"), CollectionPrefix: prefix}, fx.st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = backend.DropCollections(context.Background()) })
	if err := search.ReindexAll(t.Context(), fx.st, backend); err != nil {
		t.Fatal(err)
	}
	runSuite(t, backend, fx)
}
