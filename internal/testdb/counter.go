package testdb

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// StatementCounter is a pgx tracer that counts SQL statements, for tests asserting that a query's
// statement count does not grow with the rows it returns.
type StatementCounter struct {
	n atomic.Int64
}

// TraceQueryStart implements pgx.QueryTracer.
func (c *StatementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *StatementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Count returns the statements seen so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

// Measure returns how many statements fn ran.
func (c *StatementCounter) Measure(fn func()) int64 {
	before := c.Count()
	fn()
	return c.Count() - before
}
