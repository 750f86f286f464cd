package gqlexec_test

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/skillswap/skillswap/gqlexec"
)

var (
	memberImplementors = []string{"Member", "Node"}
	skillImplementors  = []string{"Skill", "Node"}
)

func TestCollectFieldsRemembersPerSelectionAndType(t *testing.T) {
	t.Parallel()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: schemaSDL})
	// Both lists of skills merge two fragments, and both merged selections begin with the id
	// from fragment A: they must still be told apart.
	const query = `query {
		members { ...A ...B }
		node { ... on Member { ...A ...C } }
	}
	fragment A on Member { skills { id } }
	fragment B on Member { skills { name } }
	fragment C on Member { skills { category { id } } }`
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
	if errs != nil {
		t.Fatal(errs)
	}
	oc := &graphql.OperationContext{RawQuery: query, Doc: doc}
	root := doc.Operations[0].SelectionSet
	names := func(fields []graphql.CollectedField) (out []string) {
		for _, f := range fields {
			out = append(out, f.Name)
		}
		return out
	}
	skillsUnder := func(ctx context.Context, sel ast.SelectionSet) ast.SelectionSet {
		members := gqlexec.CollectFields(ctx, oc, sel, memberImplementors)
		if len(members) != 1 || members[0].Name != "skills" {
			t.Fatalf("member fields: %v", names(members))
		}
		return members[0].Selections
	}

	check := func(ctx context.Context) {
		listed := skillsUnder(ctx, root[0].(*ast.Field).SelectionSet)
		found := skillsUnder(ctx, root[1].(*ast.Field).SelectionSet[0].(*ast.InlineFragment).SelectionSet)
		for _, tc := range []struct {
			name string
			sel  ast.SelectionSet
			want []string
		}{
			{"members' skills", listed, []string{"id", "name"}},
			{"the node's skills", found, []string{"id", "category"}},
			{"members' skills again", listed, []string{"id", "name"}},
			{"the node's skills again", found, []string{"id", "category"}},
		} {
			got := names(gqlexec.CollectFields(ctx, oc, tc.sel, skillImplementors))
			if len(got) != len(tc.want) || got[0] != tc.want[0] || got[1] != tc.want[1] {
				t.Errorf("%s: collected %v, want %v", tc.name, got, tc.want)
			}
		}
	}
	gqlexec.Middleware(context.Background(), func(ctx context.Context) *graphql.Response {
		check(ctx)
		return nil
	})
	check(context.Background()) // without the middleware: gqlgen's every time
}
