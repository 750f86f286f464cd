package httpapi

import (
	"context"
	"regexp"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// noIntrospection refuses, as a validation error, any operation that selects `__schema` or
// `__type` when introspection is off. Without it gqlgen lets such an operation execute and its
// introspection fields fail with a plain "introspection disabled" error, which the presenter can
// only treat as an internal one (and log). `__typename` stays allowed: clients such as Apollo add
// it to every selection.
type noIntrospection struct{}

var (
	_ graphql.HandlerExtension        = noIntrospection{}
	_ graphql.OperationContextMutator = noIntrospection{}
)

func (noIntrospection) ExtensionName() string                   { return "NoIntrospection" }
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (noIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	seen := map[string]bool{}
	if f := findIntrospection(oc.Doc, oc.Operation.SelectionSet, seen); f != nil {
		err := gqlerror.ErrorPosf(f.Position, "introspection is disabled on this server: %s cannot be queried", f.Name)
		err.Rule = "NoIntrospection"
		errcode.Set(err, errcode.ValidationFailed)
		return err
	}
	return nil
}

// findIntrospection returns the first `__schema` or `__type` field of set, looking into inline
// fragments and each named fragment once (seen), so its cost is linear in the document's size
// however often fragments are spread.
func findIntrospection(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) *ast.Field {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return s
			}
			if f := findIntrospection(doc, s.SelectionSet, seen); f != nil {
				return f
			}
		case *ast.InlineFragment:
			if f := findIntrospection(doc, s.SelectionSet, seen); f != nil {
				return f
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if def := doc.Fragments.ForName(s.Name); def != nil {
				if f := findIntrospection(doc, def.SelectionSet, seen); f != nil {
					return f
				}
			}
		}
	}
	return nil
}

// suggestion matches the "Did you mean ...?" hints gqlparser appends to validation messages
// (unknown fields, arguments, types, enum values and input fields). gqlgen's
// SetDisableSuggestion only covers the field and leaf rules, so the presenter strips the rest.
var suggestion = regexp.MustCompile(`\s*Did you mean .*\?\s*$`)

// withoutSuggestions removes a trailing "Did you mean ...?" hint from a validation message: the
// hints list schema names, which a server with introspection off must not reveal one guess at a
// time.
func withoutSuggestions(msg string) string {
	return suggestion.ReplaceAllString(msg, "")
}

// stripSuggestions wraps the presenter so that validation errors lose their suggestions.
func stripSuggestions(next graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := next(ctx, err)
		if gqlErr != nil && gqlErr.Extensions["code"] == CodeValidation {
			gqlErr.Message = withoutSuggestions(gqlErr.Message)
		}
		return gqlErr
	}
}
