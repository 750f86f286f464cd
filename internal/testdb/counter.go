package testdb

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// StatementCounter is a pgx tracer that counts SQL statements, for tests asserting that a query's
// statement count does not grow with the rows it returns. Statements sent together in a batch
// count one each, and the batch as one round trip. It keeps the statements of the last Measure,
// so a failing test can say which statement came or went.
type StatementCounter struct {
	n          atomic.Int64
	roundTrips atomic.Int64

	mu        sync.Mutex
	recording bool
	last      []string
	lastTrips int64
}

var (
	_ pgx.QueryTracer = (*StatementCounter)(nil)
	_ pgx.BatchTracer = (*StatementCounter)(nil)
)

func (c *StatementCounter) statement(sql string) {
	c.n.Add(1)
	c.mu.Lock()
	if c.recording {
		c.last = append(c.last, firstLine(sql))
	}
	c.mu.Unlock()
}

// TraceQueryStart implements pgx.QueryTracer.
func (c *StatementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.roundTrips.Add(1)
	c.statement(d.SQL)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *StatementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer.
func (c *StatementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.roundTrips.Add(1)
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (c *StatementCounter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.statement(d.SQL)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (c *StatementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// Count returns the statements seen so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

// Measure returns how many statements fn ran.
func (c *StatementCounter) Measure(fn func()) int64 {
	c.mu.Lock()
	c.recording, c.last = true, nil
	c.mu.Unlock()
	before, beforeTrips := c.Count(), c.roundTrips.Load()
	fn()
	n := c.Count() - before
	c.mu.Lock()
	c.recording = false
	c.lastTrips = c.roundTrips.Load() - beforeTrips
	c.mu.Unlock()
	return n
}

// LastRoundTrips returns how many round trips to PostgreSQL the last Measure saw: one per
// statement sent on its own, one per batch.
func (c *StatementCounter) LastRoundTrips() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastTrips
}

// Last returns the first line of each statement the last Measure saw, in order.
func (c *StatementCounter) Last() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.last...)
}

func firstLine(sql string) string {
	for _, l := range strings.Split(sql, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "--") {
			if len(l) > 80 {
				l = l[:80]
			}
			return l
		}
	}
	return ""
}
