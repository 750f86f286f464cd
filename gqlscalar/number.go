package gqlscalar

import (
	"context"
	"math"

	"github.com/99designs/gqlgen/graphql"

	"github.com/skillswap/skillswap/domain"
)

// GraphQL's Int is a signed 32-bit integer (spec §3.5.1). gqlgen reads variables into Go's int
// (64 bits here) and lets anything up to 2^63-1 through, so a page size, a duration or an amount of
// 2^40 reached the services, where `minutes * time.Minute` wrapped around. The bounds are checked
// here, once for every Int input of the schema, before any service does arithmetic with it.
const (
	minInt = math.MinInt32
	maxInt = math.MaxInt32
)

// MarshalInt writes i as a GraphQL Int.
func MarshalInt(i int) graphql.Marshaler { return graphql.MarshalInt(i) }

// UnmarshalInt reads an Int input, refusing what does not fit in 32 bits with BAD_USER_INPUT.
// The error names no field: the error presenter adds the argument's path.
func UnmarshalInt(v any) (int, error) {
	n, err := UnmarshalInt64(v)
	return int(n), err
}

// MarshalInt64 writes i as a GraphQL Int (outputs held in int64, e.g. sequence numbers).
func MarshalInt64(i int64) graphql.Marshaler { return graphql.MarshalInt64(i) }

// UnmarshalInt64 reads an Int input into an int64 with the same 32-bit bounds as UnmarshalInt.
func UnmarshalInt64(v any) (int64, error) {
	n, err := graphql.UnmarshalInt64(v)
	if err != nil {
		return 0, domain.Invalid("", "must be an integer between %d and %d", minInt, maxInt)
	}
	if n < minInt || n > maxInt {
		return 0, domain.Invalid("", "must be an integer between %d and %d", minInt, maxInt)
	}
	return n, nil
}

// minFloat is the smallest magnitude a Float input keeps; smaller ones read as 0. No Float of the
// schema (coordinates, distances) means anything that small, and PostgreSQL refuses arithmetic
// whose result underflows (SQLSTATE 22003): a radius of 1e-320 km ended in INTERNAL_SERVER_ERROR.
const minFloat = 1e-12

// MarshalFloatContext writes f as a GraphQL Float (an error for NaN and infinities, which JSON
// cannot carry), as gqlgen's own Float does.
func MarshalFloatContext(f float64) graphql.ContextMarshaler { return graphql.MarshalFloatContext(f) }

// UnmarshalFloatContext reads every Float input of the schema: it must be finite (gqlgen accepts
// "NaN" and "Infinity" as strings in variables, and NaN passes every `x < min || x > max` range
// check after it), and magnitudes below 1e-12 read as 0.
func UnmarshalFloatContext(_ context.Context, v any) (float64, error) {
	f, err := graphql.UnmarshalFloat(v)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, domain.Invalid("", "must be a finite number")
	}
	if math.Abs(f) < minFloat {
		return 0, nil
	}
	return f, nil
}
