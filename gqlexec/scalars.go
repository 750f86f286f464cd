package gqlexec

// Scalars: gqlgen resolves every field the same way, through graphql.ResolveField: a
// FieldContext (with a closure) and a context value for it, closures for the resolver, the
// marshaler and the middleware chain, the value boxed, the field middleware run, a deferred
// recover. For a scalar that is a struct field or a method of the object that is nearly all the
// field's cost: about eight allocations to read a string, most of a page's fields.

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// A Budget is what an operation may still add to its response. The server's field middleware
// charges every field it resolves to it; ReadScalar, which runs no field middleware, charges the
// scalars it answers itself.
type Budget interface {
	// Spend takes n bytes off the budget and reports whether the operation is still within
	// it. Once it is not, the operation's context is done.
	Spend(n int64) bool
}

type budgetKey struct{}

// WithBudget gives the operation (or the subscription's event) under ctx its budget. It also
// opts the operation into ReadScalar: the server that sets a budget declares that its field
// middleware does nothing for a scalar read from memory but charge this budget (and fail fields
// once the operation is stopped, whose response it then replaces), which is what ReadScalar
// does in its place.
func WithBudget(ctx context.Context, b Budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// BudgetFrom returns the budget WithBudget gave the operation under ctx, or nil.
func BudgetFrom(ctx context.Context) Budget {
	b, _ := ctx.Value(budgetKey{}).(Budget)
	return b
}

// ReadScalar answers a field of a scalar or enum type whose value the object holds (a struct
// field, or a method without context, arguments or error, given as read), marshalled by
// marshal, without gqlgen's field context and field middleware. marshal must be one that cannot
// report an error for a value read (scripts/gqlgen routes only such fields here).
//
// ok is false, and the caller resolves the field gqlgen's way (which reports what there is to
// report, at the field's path), when the operation has no budget (WithBudget), the budget is
// spent (the field fails), read panics, or the value marshals to null. It does not look at the
// context: a value in memory costs nothing to answer, and the server replaces the response of an
// operation past its deadline or given up by its client anyway.
func ReadScalar[T any](
	ctx context.Context,
	field graphql.CollectedField,
	read func() T,
	marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler,
) (m graphql.Marshaler, ok bool) {
	b := BudgetFrom(ctx)
	if b == nil {
		return nil, false
	}
	defer func() {
		if recover() != nil {
			m, ok = nil, false
		}
	}()
	v := read()
	m = marshal(ctx, field.Selections, v)
	if m == graphql.Null || m == graphql.RequiredNull {
		return nil, false
	}
	// A lower bound of the field's share of the JSON: quotes, colon and comma, the key, the value.
	if !b.Spend(4 + int64(len(field.Alias)) + scalarSize(v)) {
		return nil, false
	}
	return m, true
}

// scalarSize is a lower bound of v's JSON encoding: a string's length and its quotes, 1 byte for
// anything else.
func scalarSize[T any](v T) int64 {
	switch v := any(v).(type) {
	case string:
		return int64(len(v)) + 2
	case *string:
		if v != nil {
			return int64(len(*v)) + 2
		}
	}
	return 1
}
