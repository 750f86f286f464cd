package gqlexec

// Collected fields: gqlgen remembers, per operation, the fields it collected for a selection set
// and an object type, but finds them again by hashing the type's names (a hasher allocated for
// every object) under a read-write lock: per object of a page, a few percent of its CPU. The
// generated code passes each type's names as one package-level slice, so the slice itself can
// stand for them.

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// collected names a selection set as collected for an object type: the selection set (its
// array and length, as gqlgen's own cache does: fields merged from fragments have selection sets
// of their own that may begin with the same selection) and the slice of the type's names the
// generated code passes.
type collected struct {
	sel       *ast.Selection
	n         int
	satisfies *string
}

// CollectFields is graphql.CollectFields, remembered for the rest of the response (Middleware)
// by the selection set and the satisfies slice's identity: pass the generated code's
// package-level slices of a type's names, never a slice built per call.
func CollectFields(ctx context.Context, oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	r := responseOf(ctx)
	if r == nil || len(sel) == 0 || len(satisfies) == 0 {
		return graphql.CollectFields(oc, sel, satisfies)
	}
	key := collected{sel: &sel[0], n: len(sel), satisfies: &satisfies[0]}
	r.mu.Lock()
	fields, ok := r.collected[key]
	r.mu.Unlock()
	if ok {
		return fields
	}
	fields = graphql.CollectFields(oc, sel, satisfies)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.collected == nil {
		r.collected = map[collected][]graphql.CollectedField{}
	}
	r.collected[key] = fields
	return fields
}
