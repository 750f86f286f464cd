package httpapi

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// queryShapeLimit refuses operations nested deeper than MaxDepth or using more than MaxAliases
// aliases, before anything executes. Introspection counts too (an `ofType { ofType { ... } }`
// bomb is still a bomb); the default depth leaves room for GraphiQL's and Apollo's introspection
// queries, which nest 14 levels.
type queryShapeLimit struct {
	MaxDepth   int
	MaxAliases int
}

var (
	_ graphql.HandlerExtension        = queryShapeLimit{}
	_ graphql.OperationContextMutator = queryShapeLimit{}
)

func (queryShapeLimit) ExtensionName() string                   { return "QueryShapeLimit" }
func (queryShapeLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l queryShapeLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	w := shapeWalker{doc: oc.Doc, visiting: map[string]bool{}}
	depth := w.depth(oc.Operation.SelectionSet)
	if depth > l.MaxDepth {
		return &gqlerror.Error{
			Message:    "the operation is nested too deeply",
			Extensions: map[string]any{"code": CodeQueryTooComplex, "depth": depth, "maxDepth": l.MaxDepth},
		}
	}
	if w.aliases > l.MaxAliases {
		return &gqlerror.Error{
			Message:    "the operation uses too many aliases",
			Extensions: map[string]any{"code": CodeQueryTooComplex, "aliases": w.aliases, "maxAliases": l.MaxAliases},
		}
	}
	return nil
}

type shapeWalker struct {
	doc      *ast.QueryDocument
	aliases  int
	visiting map[string]bool
}

func (w *shapeWalker) depth(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			d = 1 + w.depth(s.SelectionSet)
		case *ast.InlineFragment:
			d = w.depth(s.SelectionSet)
		case *ast.FragmentSpread:
			// Validation has already rejected fragment cycles; the guard is belt and braces.
			if w.visiting[s.Name] {
				continue
			}
			if f := w.doc.Fragments.ForName(s.Name); f != nil {
				w.visiting[s.Name] = true
				d = w.depth(f.SelectionSet)
				delete(w.visiting, s.Name)
			}
		}
		if d > deepest {
			deepest = d
		}
	}
	return deepest
}
