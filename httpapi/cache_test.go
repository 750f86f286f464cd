package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/skillswap/skillswap/gqlexec"
)

func TestSizedLRUBoundsBytesAndEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newSizedLRU[string](3, 100, nil) // cost: the key's length
	c.Add(ctx, strings.Repeat("a", 40), "")
	c.Add(ctx, strings.Repeat("b", 40), "")
	c.Add(ctx, strings.Repeat("c", 40), "") // 120 bytes: "a…" goes
	if n, b := c.Len(); n != 2 || b != 80 {
		t.Fatalf("%d entries, %d bytes", n, b)
	}
	if _, ok := c.Get(ctx, strings.Repeat("a", 40)); ok {
		t.Fatal("the least recently used entry was kept")
	}
	c.Get(ctx, strings.Repeat("b", 40))     // b is now the most recent
	c.Add(ctx, strings.Repeat("d", 40), "") // c goes, not b
	if _, ok := c.Get(ctx, strings.Repeat("b", 40)); !ok {
		t.Fatal("a recently used entry was evicted")
	}
	c.Add(ctx, strings.Repeat("e", 101), "") // bigger than the whole cache: not kept, nothing evicted
	if n, _ := c.Len(); n != 2 {
		t.Fatalf("%d entries", n)
	}
	for i := range 10 {
		c.Add(ctx, fmt.Sprint(i), "")
	}
	if n, _ := c.Len(); n != 3 {
		t.Fatalf("%d entries, want the bound of 3", n)
	}
}

func TestDocumentAndPersistedQueryCachesAreBoundedByBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	docs := newDocumentCache()
	big := strings.Repeat(" ", 1<<20) // 1 MiB of text: charged 9 MiB
	for i := range 100 {
		docs.Add(ctx, fmt.Sprint(i)+big, nil)
	}
	if _, b := docs.Len(); b > documentCacheBytes {
		t.Fatalf("document cache holds %d bytes", b)
	}
	apq := newPersistedQueryCache()
	apq.Add(ctx, "hash", strings.Repeat("x", apqMaxQueryBytes+1))
	if _, ok := apq.Get(ctx, "hash"); ok {
		t.Fatal("an oversized document was registered")
	}
	for i := range 1000 {
		apq.Add(ctx, fmt.Sprint(i), strings.Repeat("x", apqMaxQueryBytes))
	}
	if _, b := apq.Len(); b > apqCacheBytes {
		t.Fatalf("persisted-query cache holds %d bytes", b)
	}
}

// TestFieldsStopOnceTheOperationIsOver: past the deadline or the byte budget, a field fails at
// once, without running its resolver.
func TestFieldsStopOnceTheOperationIsOver(t *testing.T) {
	t.Parallel()
	l := responseLimit{maxBytes: 100}
	ran := 0
	resolver := func(context.Context) (any, error) { ran++; return strings.Repeat("x", 60), nil }
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	b := &responseBudget{cancel: cancel}
	b.left.Store(l.maxBytes)
	ctx = gqlexec.WithBudget(ctx, b)
	if _, err := l.InterceptField(ctx, resolver); err != nil {
		t.Fatal(err)
	}
	if _, err := l.InterceptField(ctx, resolver); err == nil || err.(*gqlerror.Error).Extensions["code"] != CodeResponseTooLarge {
		t.Fatalf("over budget: %v", err)
	}
	if _, err := l.InterceptField(ctx, resolver); err == nil || ran != 2 {
		t.Fatalf("after the budget: %v, resolvers run %d", err, ran)
	}

	expired, stop := context.WithTimeout(context.Background(), 0)
	defer stop()
	b2 := &responseBudget{cancel: func(error) {}}
	b2.left.Store(l.maxBytes)
	expired = gqlexec.WithBudget(expired, b2)
	if _, err := l.InterceptField(expired, resolver); err == nil || err.(*gqlerror.Error).Extensions["code"] != CodeOperationTimeout || ran != 2 {
		t.Fatalf("past the deadline: %v, resolvers run %d", err, ran)
	}
}

// TestOnlyTheResponseLimitInterceptsFields: gqlexec.ReadScalar answers scalars read from memory
// without field middleware, charging the response limit's budget in its place, so the handler
// refuses any other field middleware rather than let it miss most fields.
func TestOnlyTheResponseLimitInterceptsFields(t *testing.T) {
	t.Parallel()
	for _, ext := range []graphql.HandlerExtension{responseLimit{maxBytes: 1}, extension.Introspection{}, &complexityLimit{}} {
		if err := usable(ext); err != nil {
			t.Errorf("%T: %v", ext, err)
		}
	}
	if err := usable(fieldTimer{}); err == nil {
		t.Error("a field interceptor other than the response limit was accepted")
	}
}

// fieldTimer stands for a field middleware someone might add (per-field tracing, say).
type fieldTimer struct{}

func (fieldTimer) ExtensionName() string                   { return "FieldTimer" }
func (fieldTimer) Validate(graphql.ExecutableSchema) error { return nil }
func (fieldTimer) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	return next(ctx)
}

// TestScalarsReadFromMemorySpendTheResponseBudget: the budget that InterceptField charges is the
// one gqlexec.ReadScalar charges, and once either exhausts it, both fail their fields.
func TestScalarsReadFromMemorySpendTheResponseBudget(t *testing.T) {
	t.Parallel()
	l := responseLimit{maxBytes: 100}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	b := &responseBudget{cancel: cancel}
	b.left.Store(l.maxBytes)
	ctx = gqlexec.WithBudget(ctx, b)
	field := graphql.CollectedField{Field: &ast.Field{Alias: "name", Name: "name"}}
	read := func(s string) func() string { return func() string { return s } }
	marshal := func(_ context.Context, _ ast.SelectionSet, v string) graphql.Marshaler {
		return graphql.MarshalString(v)
	}

	if _, ok := gqlexec.ReadScalar(ctx, field, read(strings.Repeat("x", 50)), marshal); !ok {
		t.Fatal("a scalar within the budget was not answered")
	}
	if left := b.left.Load(); left != 100-(4+4+52) {
		t.Fatalf("%d bytes left after a 50-character string under the key name", left)
	}
	if _, err := l.InterceptField(ctx, func(context.Context) (any, error) { return strings.Repeat("y", 40), nil }); err == nil {
		t.Fatal("the resolver's 40 characters fit in what the scalar left")
	}
	if _, ok := gqlexec.ReadScalar(ctx, field, read("z"), marshal); ok {
		t.Fatal("a scalar was answered past the budget")
	}
	if !errors.Is(context.Cause(ctx), errResponseTooLarge) {
		t.Fatalf("the operation's context: %v", context.Cause(ctx))
	}
}
