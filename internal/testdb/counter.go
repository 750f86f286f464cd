package testdb

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// StatementCounter is a pgx tracer that counts SQL statements, for tests asserting that a query's
// statement count does not grow with the rows it returns. It keeps the statements of the last
// Measure, so a failing test can say which statement came or went.
type StatementCounter struct {
	n atomic.Int64

	mu        sync.Mutex
	recording bool
	last      []string
}

// TraceQueryStart implements pgx.QueryTracer.
func (c *StatementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	c.mu.Lock()
	if c.recording {
		c.last = append(c.last, firstLine(d.SQL))
	}
	c.mu.Unlock()
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *StatementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Count returns the statements seen so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

// Measure returns how many statements fn ran.
func (c *StatementCounter) Measure(fn func()) int64 {
	c.mu.Lock()
	c.recording, c.last = true, nil
	c.mu.Unlock()
	before := c.Count()
	fn()
	n := c.Count() - before
	c.mu.Lock()
	c.recording = false
	c.mu.Unlock()
	return n
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
