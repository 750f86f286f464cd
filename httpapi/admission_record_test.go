package httpapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// What one answer teaches the lane about its document: only what the server decided counts. A
// client (or a proxy) hanging up mid-answer must leave an everyday page cheap; an answer stopped
// for its size or past its deadline makes the document expensive for good.
func TestWhatAnAnswerTeachesTheLane(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	late, stop := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer stop()
	small := &graphql.Response{Data: json.RawMessage(`{"users":{"edges":[]}}`)}
	coded := func(code string) *graphql.Response {
		return &graphql.Response{Data: json.RawMessage(`null`), Errors: gqlerror.List{{Message: "x", Extensions: map[string]any{"code": code}}}}
	}
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		resp  *graphql.Response
		heavy bool
	}{
		{"a small answer", context.Background(), small, false},
		{"the client went away", cancelled, coded(CodeOperationTimeout), false},
		{"the client went away after a small answer", cancelled, coded(CodeClientClosed), false},
		{"an answer without data", context.Background(), coded("INTERNAL_SERVER_ERROR"), false},
		{"stopped for its size", context.Background(), coded(CodeResponseTooLarge), true},
		{"past its deadline", late, coded(CodeOperationTimeout), true},
	} {
		lane := newAdmission(AdmissionConfig{Slots: 1, HeavyComplexity: 1000, HeavyBytes: 4096}, 0, nil)
		rc := &graphql.OperationContext{RawQuery: "{ users { edges { cursor } } }", Operation: &ast.OperationDefinition{Operation: ast.Query}, Doc: &ast.QueryDocument{}}
		rc.Stats.SetExtension(complexityExtensionName, &extension.ComplexityStats{Complexity: 5000})
		if !lane.heavy(rc) {
			t.Fatalf("%s: a document never answered is cheap", tc.name)
		}
		lane.record(context.Background(), rc, small) // answered once: cheap
		lane.record(tc.ctx, rc, tc.resp)
		if got := lane.heavy(rc); got != tc.heavy {
			t.Errorf("%s: expensive after it: %v, want %v", tc.name, got, tc.heavy)
		}
	}
}
