package tracing

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// maxStatementBytes bounds the SQL text recorded on a span (a few statements are long; the
// start of a statement names it well enough).
const maxStatementBytes = 2048

// PgxTracer returns a pgx tracer (queries and batches) that records a client span per
// statement, child of the span in the statement's context, with the statement's parameterised
// text and never its arguments. Statements without a recording span in their context (River's
// polling, unsampled requests) get none.
func (p *Provider) PgxTracer() pgx.QueryTracer { return pgxTracer{tracer: p.Tracer()} }

type pgxTracer struct{ tracer trace.Tracer }

// pgxSpanKey holds the span a tracer started, so the end hook never ends the caller's span.
type pgxSpanKey struct{}

var (
	_ pgx.QueryTracer = pgxTracer{}
	_ pgx.BatchTracer = pgxTracer{}
)

func (t pgxTracer) start(ctx context.Context, name string, attrs ...attribute.KeyValue) context.Context {
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(append(attrs, attribute.String("db.system.name", "postgresql"))...))
	return context.WithValue(ctx, pgxSpanKey{}, span)
}

func end(ctx context.Context, err error, attrs ...attribute.KeyValue) {
	span, ok := ctx.Value(pgxSpanKey{}).(trace.Span)
	if !ok {
		return
	}
	span.SetAttributes(attrs...)
	if err != nil {
		// The error's text is PostgreSQL's (constraint and column names), never the arguments.
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// TraceQueryStart implements pgx.QueryTracer.
func (t pgxTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !recording(ctx) {
		return ctx
	}
	op := operation(data.SQL)
	return t.start(ctx, op, attribute.String("db.operation.name", op), attribute.String("db.query.text", truncate(data.SQL)))
}

// TraceQueryEnd implements pgx.QueryTracer.
func (pgxTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	end(ctx, data.Err, attribute.Int64("db.response.returned_rows", data.CommandTag.RowsAffected()))
}

// TraceBatchStart implements pgx.BatchTracer: one span for the whole batch.
func (t pgxTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if !recording(ctx) {
		return ctx
	}
	n := 0
	if data.Batch != nil {
		n = data.Batch.Len()
	}
	return t.start(ctx, "BATCH", attribute.String("db.operation.name", "BATCH"), attribute.Int("db.operation.batch.size", n))
}

// TraceBatchQuery implements pgx.BatchTracer; the batch's span covers its statements.
func (pgxTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements pgx.BatchTracer.
func (pgxTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	end(ctx, data.Err)
}

// operation is a statement's first keyword (SELECT, INSERT, WITH ...), the span's name.
func operation(sql string) string {
	sql = strings.TrimLeft(sql, " \t\r\n(")
	for strings.HasPrefix(sql, "--") {
		_, rest, ok := strings.Cut(sql, "\n")
		if !ok {
			return "SQL"
		}
		sql = strings.TrimLeft(rest, " \t\r\n(")
	}
	word, _, _ := strings.Cut(sql, " ")
	word, _, _ = strings.Cut(word, "\n")
	if word == "" || len(word) > 16 {
		return "SQL"
	}
	return strings.ToUpper(word)
}

func truncate(s string) string {
	if len(s) <= maxStatementBytes {
		return s
	}
	cut := maxStatementBytes
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
