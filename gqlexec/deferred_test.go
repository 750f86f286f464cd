package gqlexec_test

import (
	"context"
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/skillswap/skillswap/gqlexec"
)

func TestNewDeferredGroupIsMadeOnlyForADeferredField(t *testing.T) {
	t.Parallel()
	index := 3
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{
		Field: graphql.CollectedField{Field: &ast.Field{Alias: "members"}},
	})
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &index})
	plain := []graphql.CollectedField{{Field: &ast.Field{Name: "id", Alias: "id"}}}
	deferred := append(slices.Clone(plain), graphql.CollectedField{
		Field:       &ast.Field{Name: "name", Alias: "name"},
		Deferrables: []*graphql.Deferrable{{Label: "later"}},
	})

	t.Run("no deferred field", func(t *testing.T) {
		g := gqlexec.NewDeferredGroup(ctx, plain)
		if g.Path != nil || g.FieldSet != nil || len(g.Defers) != 0 || g.Context != ctx {
			t.Errorf("group = %+v, want an empty group with the context", g)
		}
	})
	t.Run("a deferred field", func(t *testing.T) {
		g := gqlexec.NewDeferredGroup(ctx, deferred)
		want := graphql.NewDeferredGroup(ctx)
		if g.Path.String() != want.Path.String() || g.Path.String() != "members[3]" {
			t.Errorf("path %q, want %q", g.Path.String(), "members[3]")
		}
		if g.FieldSet == nil || g.Defers == nil || g.Context != ctx {
			t.Errorf("group = %+v, want one ready to collect deferred fields", g)
		}
		g.Defers["later"] = g.FieldSet.NewView() // gqlgen registers labels in it: must not panic
	})
}
