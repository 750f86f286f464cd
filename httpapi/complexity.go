package httpapi

import (
	"context"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// complexityLimit refuses an operation whose complexity exceeds limit. It replaces gqlgen's
// extension.ComplexityLimit for one reason: gqlgen hands a connection field the complexity of
// its whole selection, so `totalCount` or the facets of a search were multiplied by the page
// size like the edges. Here the field returning a connection (a type named …Connection) gets
// the complexity of its `edges` and `nodes` only, and the rest of its selection is added once.
// Everything else is gqlgen's calculation: the schema's Complexity (where resolvers price lists),
// 1 + selection by default, the most expensive implementation for an interface field; sums and
// products saturate instead of overflowing. It records gqlgen's ComplexityStats, so
// extension.GetComplexityStats keeps working.
type complexityLimit struct {
	limit int
	es    graphql.ExecutableSchema
}

var (
	_ graphql.HandlerExtension        = (*complexityLimit)(nil)
	_ graphql.OperationContextMutator = (*complexityLimit)(nil)
)

// ExtensionName implements graphql.HandlerExtension (gqlgen's name, which its stats are kept under).
func (*complexityLimit) ExtensionName() string { return "ComplexityLimit" }

// Validate implements graphql.HandlerExtension.
func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (c *complexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	n := Complexity(ctx, c.es, oc.Operation, oc.Variables)
	oc.Stats.SetExtension("ComplexityLimit", &extension.ComplexityStats{Complexity: n, ComplexityLimit: c.limit})
	if n > c.limit {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", n, c.limit)
		errcode.Set(err, CodeComplexityLimit)
		return err
	}
	return nil
}

// Complexity is the complexity of op (see complexityLimit).
func Complexity(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, vars map[string]any) int {
	if op == nil {
		return 0
	}
	w := complexityWalker{ctx: ctx, es: es, schema: es.Schema(), vars: vars}
	return w.set(op.SelectionSet, nil)
}

type complexityWalker struct {
	ctx    context.Context
	es     graphql.ExecutableSchema
	schema *ast.Schema
	vars   map[string]any
}

// set sums the complexity of a selection set; with only non-nil, only the fields it names count
// (a connection's page).
func (w complexityWalker) set(set ast.SelectionSet, only func(*ast.Field) bool) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if only == nil || only(s) {
				total = satAdd(total, w.field(s))
			}
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total = satAdd(total, w.set(s.Definition.SelectionSet, only))
			}
		case *ast.InlineFragment:
			total = satAdd(total, w.set(s.SelectionSet, only))
		}
	}
	return total
}

func isPage(f *ast.Field) bool  { return f.Name == "edges" || f.Name == "nodes" }
func notPage(f *ast.Field) bool { return !isPage(f) }

func (w complexityWalker) field(f *ast.Field) int {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return 1
	}
	def := w.schema.Types[f.Definition.Type.Name()]
	if def == nil {
		return 1
	}
	if def.Name == "__Schema" {
		return introspectionCost
	}
	child, rest := 0, 0
	switch def.Kind {
	case ast.Object, ast.Interface, ast.Union:
		if strings.HasSuffix(def.Name, "Connection") {
			child, rest = w.set(f.SelectionSet, isPage), w.set(f.SelectionSet, notPage)
		} else {
			child = w.set(f.SelectionSet, nil)
		}
	}
	args := f.ArgumentMap(w.vars)
	cost := 0
	if f.ObjectDefinition.Kind == ast.Interface {
		// Interfaces have no field costs of their own: assume the most expensive implementation.
		for _, t := range w.schema.GetPossibleTypes(f.ObjectDefinition) {
			cost = max(cost, w.fieldCost(t.Name, f.Name, child, args))
		}
	} else {
		cost = w.fieldCost(f.ObjectDefinition.Name, f.Name, child, args)
	}
	return satAdd(cost, rest)
}

func (w complexityWalker) fieldCost(typeName, field string, child int, args map[string]any) int {
	if c, ok := w.es.Complexity(w.ctx, typeName, field, child, args); ok {
		if c < 0 {
			return math.MaxInt // an overflowed product
		}
		return max(c, 1)
	}
	return satAdd(1, child)
}

// introspectionCost is the price of `__schema`, whatever it selects: the full introspection
// query that GraphiQL and Apollo's tooling send costs 13–17 ms of CPU (bench/hostile), about
// 5,000 points at the 3 µs per point at which the costliest operations execute. A client may
// still introspect a few times a minute within its budget; one looping on it is stopped like any
// other. (A fixed price: the schema is fixed, and pricing each introspection list by the
// largest one would refuse the ordinary query outright.)
const introspectionCost = 5000

func satAdd(a, b int) int {
	if a < 0 || b < 0 || a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}
