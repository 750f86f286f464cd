package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"
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
	ctx = context.WithValue(ctx, responseBudgetKey{}, b)
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
	expired = context.WithValue(expired, responseBudgetKey{}, b2)
	if _, err := l.InterceptField(expired, resolver); err == nil || err.(*gqlerror.Error).Extensions["code"] != CodeOperationTimeout || ran != 2 {
		t.Fatalf("past the deadline: %v, resolvers run %d", err, ran)
	}
}
