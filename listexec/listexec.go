// Package listexec decides how the executor resolves the elements of a list: one after another
// when nothing below them can wait, concurrently otherwise.
//
// gqlgen resolves every element of a list of objects in a goroutine of its own, so that fields
// reading through a dataloader reach the loader together and share one batch. Most lists here
// never wait: their fields are struct fields, methods, the taxonomy held in memory, or loaders a
// resolver has already primed. For those the goroutines are pure cost: each starts on a small
// stack, grows it as it enters the generated executor, and is scheduled and joined, which
// measured a quarter of the server's CPU on the members pages (bench/README.md). The code
// generator (scripts/gqlgen) routes gqlgen's list marshalling through Marshal, with the table
// of fields that may wait that it derives from the schema and the resolvers.
package listexec

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Field names a field of an object type, as the schema spells both.
type Field struct {
	Object string
	Name   string
}

// MayWait tells whether resolving a field of an object can block on something shared with its
// siblings (a dataloader's batch, for one): true for every field that gqlgen resolves through a
// resolver and that is not known to answer from memory.
type MayWait func(Field) bool

// Marshal resolves n list elements with marshalElement and returns them in order. When any
// field under sel may wait (Waits), it hands the list to gqlgen's MarshalSliceConcurrently, so
// siblings still batch their loads; otherwise it resolves them in turn on the calling goroutine.
// Either way a panic in an element is reported as an error on that element, which resolves to
// null, as gqlgen does.
func Marshal(
	ctx context.Context,
	sel ast.SelectionSet,
	mayWait MayWait,
	n int,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if n > 1 && Waits(sel, mayWait) {
		return graphql.MarshalSliceConcurrently(ctx, n, 0, false, marshalElement)
	}
	ret := make(graphql.Array, n)
	for i := range n {
		ret[i] = marshalOne(ctx, i, marshalElement)
	}
	return ret
}

func marshalOne(ctx context.Context, i int, marshalElement func(context.Context, int) graphql.Marshaler) (m graphql.Marshaler) {
	index := i // the field context keeps a pointer to its index
	childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &index})
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(childCtx, graphql.Recover(childCtx, r))
			m = graphql.Null
		}
	}()
	return marshalElement(childCtx, i)
}

// Waits reports whether resolving sel, at any depth, may reach a field that can wait. It needs a
// validated selection (every field knows its definition and the type it is selected on), and
// answers true when it cannot tell: a field selected on an interface or a union (the concrete
// type decides which resolver runs), a fragment it cannot see.
func Waits(sel ast.SelectionSet, mayWait MayWait) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue
			}
			if s.ObjectDefinition == nil || s.ObjectDefinition.Kind != ast.Object {
				return true
			}
			if mayWait(Field{Object: s.ObjectDefinition.Name, Name: s.Name}) || Waits(s.SelectionSet, mayWait) {
				return true
			}
		case *ast.InlineFragment:
			if Waits(s.SelectionSet, mayWait) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || Waits(s.Definition.SelectionSet, mayWait) {
				return true
			}
		default:
			return true
		}
	}
	return false
}
