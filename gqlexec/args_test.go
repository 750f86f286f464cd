package gqlexec_test

import (
	"context"
	"errors"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/skillswap/skillswap/gqlexec"
)

// inResponse runs f in a response as gqlexec.Middleware makes it.
func inResponse(f func(ctx context.Context)) {
	gqlexec.Middleware(context.Background(), func(ctx context.Context) *graphql.Response {
		f(ctx)
		return nil
	})
}

func TestArgsAreParsedOncePerFieldAndResponse(t *testing.T) {
	t.Parallel()
	field := func(value string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{
			Name:       "name",
			Arguments:  ast.ArgumentList{{Name: "locale", Value: &ast.Value{Kind: ast.Variable, Raw: value}}},
			Definition: &ast.FieldDefinition{Name: "name", Arguments: ast.ArgumentDefinitionList{{Name: "locale"}}},
		}}
	}
	parses := 0
	parse := func(_ context.Context, raw map[string]any) (map[string]any, error) {
		parses++
		if raw["locale"] == "XX" {
			return nil, errors.New("no such locale")
		}
		return map[string]any{"locale": raw["locale"]}, nil
	}
	variables := map[string]any{"fr": "FR", "en": "EN", "bad": "XX"}
	fr, en, bad := field("fr"), field("en"), field("bad")

	cases := []struct {
		name       string
		respond    func(func(context.Context))
		calls      []graphql.CollectedField
		wantParses int
		want       []any // each call's locale, nil for an error
	}{
		{"the same field, every element of a list", inResponse, []graphql.CollectedField{fr, fr, fr}, 1, []any{"FR", "FR", "FR"}},
		{"two fields", inResponse, []graphql.CollectedField{fr, en, fr, en}, 2, []any{"FR", "EN", "FR", "EN"}},
		{"an error is reported every time", inResponse, []graphql.CollectedField{bad, bad}, 2, []any{nil, nil}},
		{"without the middleware, every time", func(f func(context.Context)) { f(context.Background()) }, []graphql.CollectedField{fr, fr}, 2, []any{"FR", "FR"}},
	}
	for _, tc := range cases {
		parses = 0
		tc.respond(func(ctx context.Context) {
			for i, f := range tc.calls {
				args, err := gqlexec.Args(ctx, f, variables, parse)
				switch {
				case tc.want[i] == nil && err == nil:
					t.Errorf("%s: call %d: no error", tc.name, i)
				case tc.want[i] != nil && (err != nil || args["locale"] != tc.want[i]):
					t.Errorf("%s: call %d: %v, %v; want locale %v", tc.name, i, args, err, tc.want[i])
				}
			}
		})
		if parses != tc.wantParses {
			t.Errorf("%s: parsed %d times, want %d", tc.name, parses, tc.wantParses)
		}
	}

	// Another response parses again (its variables may differ).
	parses = 0
	inResponse(func(ctx context.Context) { _, _ = gqlexec.Args(ctx, fr, variables, parse) })
	inResponse(func(ctx context.Context) { _, _ = gqlexec.Args(ctx, fr, variables, parse) })
	if parses != 2 {
		t.Errorf("two responses parsed %d times, want 2", parses)
	}
}
