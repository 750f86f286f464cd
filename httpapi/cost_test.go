package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestCostLimits: the limits that end an accepted operation (response size, deadline) and the
// ones that refuse a document before validation, over HTTP.
func TestCostLimits(t *testing.T) {
	t.Parallel()
	introspection := `{ __schema { types { name description fields { name description args { name description } } } } }`

	t.Run("a response over MAX_RESPONSE_BYTES is replaced by RESPONSE_TOO_LARGE", func(t *testing.T) {
		t.Parallel()
		cfg := apitest.Config(t)
		cfg.MaxResponseBytes = 20_000
		srv := apitest.Start(t, cfg)
		r := srv.Client().Do(t, introspection, nil)
		if r.Code() != "RESPONSE_TOO_LARGE" || len(r.Errors) != 1 || string(r.Data) != "null" {
			t.Fatalf("status %d: %.500s", r.Status, r.Raw)
		}
		if len(r.Raw) > 1000 {
			t.Fatalf("the refused response still carries %d bytes", len(r.Raw))
		}
		// The same document fits a bigger bound: the limit is about the response, not the query.
		cfg2 := apitest.Config(t)
		cfg2.MaxResponseBytes = 4 << 20
		apitest.Must(t, apitest.Start(t, cfg2).Client().Do(t, introspection, nil))
	})

	t.Run("an operation past OPERATION_TIMEOUT stops with OPERATION_TIMEOUT", func(t *testing.T) {
		t.Parallel()
		cfg := apitest.Config(t)
		cfg.OperationTimeout = time.Nanosecond // already past when the first field would resolve
		srv := apitest.Start(t, cfg)
		r := srv.Client().Do(t, introspection, nil)
		if r.Code() != "OPERATION_TIMEOUT" || len(r.Errors) != 1 || string(r.Data) != "null" {
			t.Fatalf("status %d: %.500s", r.Status, r.Raw)
		}
	})

	srv := apitest.Start(t, apitest.Config(t))
	t.Run("hostile shapes are refused before validation with QUERY_TOO_COMPLEX", func(t *testing.T) {
		t.Parallel()
		for name, q := range map[string]string{
			"repeated field":   "{" + strings.Repeat(" __typename", 4000) + " }",
			"fragment spreads": "{" + strings.Repeat(" ...F", 2000) + " } fragment F on Query { skillCategories { id } }",
			"fragments":        "{ __typename }" + strings.Repeat(" fragment F on Query { __typename }", 101),
			"directives":       "{ __typename" + strings.Repeat(" @skip(if: false)", 51) + " }",
		} {
			b, _ := json.Marshal(map[string]string{"query": q})
			for range 2 { // the second answer comes from the negative cache
				r := post(t, srv, string(b), appJSON, gqlResponse)
				if r.Status != 400 || r.Code() != "QUERY_TOO_COMPLEX" || r.HasData {
					t.Fatalf("%s: status %d: %.300s", name, r.Status, r.Raw)
				}
			}
		}
	})

	t.Run("a huge document is not registered as a persisted query", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			query      string
			registered bool
		}{
			{"{ __typename }", true},
			{"{ __typename " + strings.Repeat(" ", 40<<10) + "}", false},
		} {
			sum := sha256.Sum256([]byte(tc.query))
			ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
			b, _ := json.Marshal(map[string]any{"query": tc.query, "extensions": ext})
			apitest.Must(t, post(t, srv, string(b), appJSON, gqlResponse))
			b, _ = json.Marshal(map[string]any{"extensions": ext})
			r := post(t, srv, string(b), appJSON, gqlResponse)
			if got := r.Code() == ""; got != tc.registered {
				t.Fatalf("%d-byte document: registered = %v, want %v: %.300s", len(tc.query), got, tc.registered, r.Raw)
			}
			if !tc.registered && r.Code() != "PERSISTED_QUERY_NOT_FOUND" {
				t.Fatalf("code %q: %.300s", r.Code(), r.Raw)
			}
		}
	})
}
