package httpapi

import (
	"container/list"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// sizedLRU is a least-recently-used cache bounded by entries and by bytes, implementing gqlgen's
// graphql.Cache. gqlgen's own lru counts entries only, so a thousand 1 MiB documents would pin a
// gigabyte; here every entry costs what cost says (at least its key's length) and the oldest
// entries are evicted until both bounds hold. An entry costing more than maxBytes alone is not
// kept at all.
type sizedLRU[T any] struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int64
	bytes      int64
	cost       func(key string, value T) int64
	order      *list.List // front: most recently used
	items      map[string]*list.Element
}

type sizedEntry[T any] struct {
	key   string
	value T
	cost  int64
}

var _ graphql.Cache[string] = (*sizedLRU[string])(nil)

// newSizedLRU returns a cache of at most maxEntries entries and maxBytes bytes; cost (nil: the
// key's length) prices an entry in bytes.
func newSizedLRU[T any](maxEntries int, maxBytes int64, cost func(key string, value T) int64) *sizedLRU[T] {
	if cost == nil {
		cost = func(key string, _ T) int64 { return int64(len(key)) }
	}
	return &sizedLRU[T]{
		maxEntries: maxEntries,
		maxBytes:   maxBytes,
		cost:       cost,
		order:      list.New(),
		items:      map[string]*list.Element{},
	}
}

// Get implements graphql.Cache.
func (c *sizedLRU[T]) Get(_ context.Context, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*sizedEntry[T]).value, true
	}
	var zero T
	return zero, false
}

// Add implements graphql.Cache.
func (c *sizedLRU[T]) Add(_ context.Context, key string, value T) {
	cost := max(c.cost(key, value), int64(len(key)), 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	if cost > c.maxBytes || c.maxEntries <= 0 {
		return
	}
	c.items[key] = c.order.PushFront(&sizedEntry[T]{key: key, value: value, cost: cost})
	c.bytes += cost
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
}

func (c *sizedLRU[T]) remove(el *list.Element) {
	e := c.order.Remove(el).(*sizedEntry[T])
	delete(c.items, e.key)
	c.bytes -= e.cost
}

// Len returns the number of entries and the bytes they are charged (tests and metrics).
func (c *sizedLRU[T]) Len() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}

// apqCache is the persisted-query store: bytes-bounded, and it never registers a document longer
// than maxQuery bytes (the client then keeps sending the full text, which the document cache
// handles), so a few huge documents cannot push out every app's persisted queries.
type apqCache struct {
	*sizedLRU[string]
	maxQuery int
}

// Add implements graphql.Cache, refusing oversized documents.
func (c apqCache) Add(ctx context.Context, hash, query string) {
	if len(query) > c.maxQuery {
		return
	}
	c.sizedLRU.Add(ctx, hash, query)
}

// documentCost prices a cached parsed document: its text (which the AST's positions keep alive)
// plus the AST, measured at about astBytesPerTextByte bytes of heap per byte of text for
// realistic documents (see BenchmarkDocumentHeap).
func documentCost[T any](key string, _ T) int64 {
	return int64(len(key)) * (1 + astBytesPerTextByte)
}

// astBytesPerTextByte is the heap a parsed document holds per byte of its text.
const astBytesPerTextByte = 8

// Sizes of the document and persisted-query caches. A parsed document is charged its text and
// AST (documentCost): 64 MiB holds a thousand 7 KiB documents, typical of an app's largest.
const (
	documentCacheEntries = 1000
	documentCacheBytes   = 64 << 20
	apqCacheEntries      = 1000
	apqCacheBytes        = 8 << 20
	// apqMaxQueryBytes: longer documents are never registered as persisted queries.
	apqMaxQueryBytes = 32 << 10
)

func newDocumentCache() *sizedLRU[*ast.QueryDocument] {
	return newSizedLRU(documentCacheEntries, documentCacheBytes, documentCost[*ast.QueryDocument])
}

func newPersistedQueryCache() apqCache {
	return apqCache{sizedLRU: newSizedLRU[string](apqCacheEntries, apqCacheBytes, func(hash, query string) int64 {
		return int64(len(hash) + len(query))
	}), maxQuery: apqMaxQueryBytes}
}
