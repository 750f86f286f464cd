package gqlexec_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/skillswap/skillswap/gqlexec"
)

// budget is a gqlexec.Budget that records what was spent.
type budget struct {
	left, spent int64
}

func (b *budget) Spend(n int64) bool {
	b.spent += n
	b.left -= n
	return b.left >= 0
}

func marshalString(_ context.Context, _ ast.SelectionSet, v string) graphql.Marshaler {
	return graphql.MarshalString(v)
}

func marshalOptional(_ context.Context, _ ast.SelectionSet, v *string) graphql.Marshaler {
	if v == nil {
		return graphql.Null
	}
	return graphql.MarshalString(*v)
}

func TestReadScalar(t *testing.T) {
	t.Parallel()
	field := graphql.CollectedField{Field: &ast.Field{Alias: "title", Name: "name"}}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	city := "Lyon"
	cases := []struct {
		name      string
		ctx       context.Context
		left      int64
		answer    func(ctx context.Context) (graphql.Marshaler, bool)
		wantOK    bool
		wantJSON  string
		wantSpent int64
	}{
		{
			name: "a string", left: 100,
			answer: func(ctx context.Context) (graphql.Marshaler, bool) {
				return gqlexec.ReadScalar(ctx, field, func() string { return "Ada" }, marshalString)
			},
			// quotes, colon and comma; the key as aliased; the value and its quotes
			wantOK: true, wantJSON: `"Ada"`, wantSpent: 4 + 5 + 5,
		},
		{
			name: "a string by pointer", left: 100,
			answer: func(ctx context.Context) (graphql.Marshaler, bool) {
				return gqlexec.ReadScalar(ctx, field, func() *string { return &city }, marshalOptional)
			},
			wantOK: true, wantJSON: `"Lyon"`, wantSpent: 4 + 5 + 6,
		},
		{
			name: "an int", left: 100,
			answer: func(ctx context.Context) (graphql.Marshaler, bool) {
				return gqlexec.ReadScalar(ctx, field, func() int { return 12345 }, func(_ context.Context, _ ast.SelectionSet, v int) graphql.Marshaler {
					return graphql.MarshalInt(v)
				})
			},
			wantOK: true, wantJSON: `12345`, wantSpent: 4 + 5 + 1,
		},
		{
			name: "null is left to gqlgen", left: 100,
			answer: func(ctx context.Context) (graphql.Marshaler, bool) {
				return gqlexec.ReadScalar(ctx, field, func() *string { return nil }, marshalOptional)
			},
		},
		{
			name: "a panic is left to gqlgen", left: 100,
			answer: func(ctx context.Context) (graphql.Marshaler, bool) {
				var missing *struct{ name string }
				return gqlexec.ReadScalar(ctx, field, func() string { return missing.name }, marshalString)
			},
		},
		{
			name: "over the budget", left: 10,
			answer: func(ctx context.Context) (graphql.Marshaler, bool) {
				return gqlexec.ReadScalar(ctx, field, func() string { return "Ada" }, marshalString)
			},
			wantSpent: 4 + 5 + 5,
		},
		{
			name: "past the deadline, still within the budget", ctx: done, left: 100,
			answer: func(ctx context.Context) (graphql.Marshaler, bool) {
				return gqlexec.ReadScalar(ctx, field, func() string { return "Ada" }, marshalString)
			},
			// the server replaces the whole response: the value costs nothing to answer
			wantOK: true, wantJSON: `"Ada"`, wantSpent: 4 + 5 + 5,
		},
		{
			name: "the budget was spent by an earlier field", left: -1 << 20,
			answer: func(ctx context.Context) (graphql.Marshaler, bool) {
				return gqlexec.ReadScalar(ctx, field, func() string { return "Ada" }, marshalString)
			},
			wantSpent: 4 + 5 + 5,
		},
		{
			name: "no budget: the server did not opt in", ctx: context.Background(), left: -1,
			answer: func(ctx context.Context) (graphql.Marshaler, bool) {
				return gqlexec.ReadScalar(ctx, field, func() string { t.Error("read without a budget"); return "" }, marshalString)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := &budget{left: tc.left}
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			if tc.left != -1 {
				ctx = gqlexec.WithBudget(ctx, b)
			}
			m, ok := tc.answer(ctx)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if b.spent != tc.wantSpent {
				t.Errorf("spent %d bytes, want %d", b.spent, tc.wantSpent)
			}
			if !ok {
				return
			}
			var out bytes.Buffer
			m.MarshalGQL(&out)
			if out.String() != tc.wantJSON {
				t.Errorf("wrote %s, want %s", out.String(), tc.wantJSON)
			}
		})
	}
}
