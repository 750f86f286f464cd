package gqlexec

// Lists: gqlgen resolves every element of a list of objects in a goroutine of its own, so that
// fields reading through a dataloader reach the loader together and share one batch. Most lists
// here never wait: their fields are struct fields, methods, the taxonomy held in memory, or
// loaders a resolver has already primed. For those the goroutines are pure cost: each starts on
// a small stack, grows it as it enters the generated executor, and is scheduled and joined,
// which measured a quarter of the server's CPU on the members pages (bench/README.md).

import (
	"context"
	"slices"

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

// MarshalList resolves n list elements with marshalElement and returns them in order. When any
// field under sel may wait (Waits), less those a resolver primed for this list (Prime), it hands
// the list to gqlgen's MarshalSliceConcurrently, so siblings still batch their loads; otherwise
// it resolves them in turn on the calling goroutine. Either way a panic in an element is
// reported as an error on that element, which resolves to null, as gqlgen does.
func MarshalList(
	ctx context.Context,
	sel ast.SelectionSet,
	mayWait MayWait,
	n int,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if n > 1 && waits(sel, mayWait, primedFor(ctx)) {
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
	return waits(sel, mayWait, nil)
}

// waits is Waits, but the fields p names, on the object p.at leads to, do not wait.
func waits(sel ast.SelectionSet, mayWait MayWait, p *primed) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue
			}
			if s.ObjectDefinition == nil || s.ObjectDefinition.Kind != ast.Object {
				return true
			}
			answers := p != nil && len(p.at) == 0 && slices.Contains(p.fields, s.Name)
			if !answers && mayWait(Field{Object: s.ObjectDefinition.Name, Name: s.Name}) {
				return true
			}
			var below *primed
			if p != nil && len(p.at) > 0 && p.at[0] == s.Name {
				below = &primed{at: p.at[1:], fields: p.fields}
			}
			if waits(s.SelectionSet, mayWait, below) {
				return true
			}
		case *ast.InlineFragment:
			if waits(s.SelectionSet, mayWait, p) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || waits(s.Definition.SelectionSet, mayWait, p) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// primed names fields that answer at once below each element of one list: those named fields of
// the object that the field names in at lead to from the element.
type primed struct {
	at     []string
	fields []string
}

// primedList is a list as one resolver returned it: the list's field, selected directly on the
// value of the field the resolver resolved. The parent matters: a fragment selects the same
// field (the same *ast.Field) wherever it is spread, below resolvers that primed nothing.
type primedList struct {
	parent *graphql.FieldContext
	list   *ast.Field
}

// Prime records that below each element of list, a field selected directly on the value of the
// field ctx is resolving, the fields named fields of the object that the fields named at lead to
// answer without waiting: the resolver has read what they show for every element at once and
// primed their loaders (resolvers.prefetchMembers). Those fields then do not keep the list from
// resolving its elements in turn. Call it from the resolver, only after the loaders are primed,
// for fields that read nothing else per element.
func Prime(ctx context.Context, list *ast.Field, at []string, fields ...string) {
	r := responseOf(ctx)
	parent := graphql.GetFieldContext(ctx)
	if r == nil || parent == nil || list == nil || len(fields) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lists == nil {
		r.lists = map[primedList]*primed{}
	}
	r.lists[primedList{parent: parent, list: list}] = &primed{at: slices.Clone(at), fields: slices.Clone(fields)}
}

// primedFor returns what was primed for the list whose field ctx is resolving, or nil.
func primedFor(ctx context.Context) *primed {
	r := responseOf(ctx)
	if r == nil {
		return nil
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Parent == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lists[primedList{parent: fc.Parent, list: fc.Field.Field}]
}
