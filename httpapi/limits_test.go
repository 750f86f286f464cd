package httpapi

import (
	"context"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestPreflightRefusesHostileShapes: every hostile shape at the default token limit is refused
// by the preflight check, or is within every shape limit (and then cheap to validate: see
// BenchmarkHostileShapes and bench/README.md).
func TestPreflightRefusesHostileShapes(t *testing.T) {
	t.Parallel()
	limits := defaultShapeLimits(15, 30)
	refused := map[string]bool{ // the shapes that validation would spend > 10 ms on
		"repeated scalar field":                   true,
		"repeated object field":                   true,
		"repeated field with differing arguments": true,
		"same fragment spread many times":         true,
		"many fragments on one field":             true,
		"fragments doubling per level":            true,
		"deep selection":                          true,
		"many variables":                          true,
		"many directives":                         true,
		"many directives on many fields":          true,
	}
	for _, shape := range hostileShapes {
		p := newPreflight(limits, 5000, 131072, newDocumentCache())
		_, err := p.check(shape.build(5000))
		if refused[shape.name] && err == nil {
			t.Errorf("%s: accepted", shape.name)
		}
		if err != nil {
			code, _ := err.Extensions["code"].(string)
			if code != CodeQueryTooComplex && code != "GRAPHQL_PARSE_FAILED" {
				t.Errorf("%s: code %q: %v", shape.name, code, err)
			}
		}
	}
}

func TestPreflightCachesRefusals(t *testing.T) {
	t.Parallel()
	docs := newDocumentCache()
	p := newPreflight(defaultShapeLimits(15, 30), 5000, 131072, docs)
	q := "{" + strings.Repeat(" __typename", 200) + " }"
	ctx := context.Background()
	for range 3 {
		if err := p.MutateOperationParameters(ctx, paramsFor(q)); err == nil || err.Extensions["code"] != CodeQueryTooComplex {
			t.Fatalf("got %v", err)
		}
	}
	if n, _ := p.refused.Len(); n != 1 {
		t.Fatalf("%d refusals cached, want 1", n)
	}
	// A cached (valid) document is not checked again.
	docs.Add(ctx, "{ __typename }", &ast.QueryDocument{})
	if err := p.MutateOperationParameters(ctx, paramsFor("{ __typename }")); err != nil {
		t.Fatal(err)
	}
}

func TestShapeLimits(t *testing.T) {
	t.Parallel()
	l := shapeLimits{MaxDepth: 3, MaxAliases: 2, MaxFields: 10, MaxSelectionsPerSet: 4, MaxFragments: 3, MaxDirectives: 2, MaxVariables: 2}
	tests := []struct {
		name, query, key string
	}{
		{"fits", "query($a: Int) { a { b { c } } ...F } fragment F on Query { d }", ""},
		{"depth through a fragment", "{ a { ...F } } fragment F on A { b { c { d } } }", "depth"},
		{"fields counted per spread", "{ a { ...F } b { ...F } c { ...F } d { ...F } } fragment F on A { x y }", "fields"},
		{"fields doubling through fragments", "{ ...F1 } fragment F1 on Q { a { ...F2 } b { ...F2 } } fragment F2 on Q { a { ...F3 } b { ...F3 } } fragment F3 on Q { a b }", "fields"},
		{"selections through spreads", "{ a ...F ...F } fragment F on Q { b c }", "selections"},
		{"aliases through spreads", "{ ...F ...F } fragment F on Q { x: a y: b }", "aliases"},
		{"fragments", "{ a } fragment A on Q { a } fragment B on Q { a } fragment C on Q { a } fragment D on Q { a }", "fragments"},
		{"directives", "{ a @skip(if: true) b @skip(if: true) c @skip(if: true) }", "directives"},
		{"variables", "query($a: Int, $b: Int, $c: Int) { a }", "variables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPreflight(l, 1000, 131072, newDocumentCache())
			_, err := p.check(tt.query)
			if tt.key == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Extensions["code"] != CodeQueryTooComplex || err.Extensions[tt.key] == nil {
				t.Fatalf("got %v, want a refusal about %s", err, tt.key)
			}
		})
	}
	if _, err := newPreflight(l, 1000, 131072, newDocumentCache()).check("{ ...F } fragment F on Q { ...F }"); err == nil || err.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("fragment cycle: %v", err)
	}
}

func paramsFor(q string) *graphql.RawParams { return &graphql.RawParams{Query: q} }
