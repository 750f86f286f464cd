package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/skillswap/skillswap/tracing"
)

// Tracing, when enabled (OTEL_* variables), adds three kinds of spans here; the I/O below them
// (SQL, Redis, Stripe, SMTP, River) is traced where it happens (package tracing):
//
//   - an HTTP server span per request (traceTraffic), child of the caller's W3C traceparent;
//   - one span per GraphQL operation (operationSpans) with its name, type and complexity, never
//     its variables or document (logIn's password is a variable, and may be inlined in a
//     document);
//   - a span per root field whose resolver runs (Query.viewer, Mutation.logIn): root resolvers
//     are the ones that call services, so they are the resolvers that do I/O. Nested fields are
//     not spanned: they read what root resolvers returned or go through the dataloaders, whose
//     batched statement gets its own pgx span under the operation; a span per nested field is
//     what makes gqlgen's published tracer unusable on lists.
//
// WebSocket and SSE requests live as long as the connection, so they get no HTTP span: the
// handshake's traceparent is read into the connection's context and each operation started on
// it gets its operation span (a subscription's span covers its start, not its events).

// traceTraffic starts the HTTP server span of each request (a no-op wrapper when tracing is off).
func traceTraffic(p *tracing.Provider, next http.Handler) http.Handler {
	if !p.Enabled() {
		return next
	}
	tracer, prop := p.Tracer(), p.Propagator()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		switch {
		case r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics":
			// Probes and scrapes every few seconds would drown the traces.
			next.ServeHTTP(w, r)
			return
		case r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream"):
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		// The route, never the path: calendar feeds and export downloads carry secrets in theirs.
		route := routeOf(r.URL.Path)
		ctx, span := tracer.Start(ctx, r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		if !span.IsRecording() {
			// Not sampled: the span only carries the trace id (to the logs, to jobs).
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		span.SetAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("http.route", route),
			attribute.String("url.scheme", scheme(r)),
		)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		span.SetAttributes(attribute.Int("http.response.status_code", rec.status))
		if rec.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(rec.status))
		}
	})
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// operationSpans is the gqlgen extension of GraphQL spans (see above). gqlgen's own tracing
// extension is not used: it records the variables and a span per field.
type operationSpans struct{ tracer trace.Tracer }

var (
	_ graphql.HandlerExtension     = operationSpans{}
	_ graphql.OperationInterceptor = operationSpans{}
	_ graphql.RootFieldInterceptor = operationSpans{}
)

// ExtensionName implements graphql.HandlerExtension.
func (operationSpans) ExtensionName() string { return "OperationSpans" }

// Validate implements graphql.HandlerExtension.
func (operationSpans) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor: the span starts once the operation
// is parsed, validated and priced, and ends with its (first) response.
func (o operationSpans) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if unsampled(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	kind := "unknown"
	if oc.Operation != nil {
		kind = string(oc.Operation.Operation)
	}
	opName := oc.OperationName
	if opName == "" && oc.Operation != nil {
		opName = oc.Operation.Name // named in the document only
	}
	name := kind
	if opName != "" {
		name += " " + opName
	}
	ctx, span := o.tracer.Start(ctx, name)
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("graphql.operation.type", kind),
			attribute.String("graphql.operation.name", opName),
		)
		if s := extension.GetComplexityStats(ctx); s != nil {
			span.SetAttributes(attribute.Int("graphql.operation.complexity", s.Complexity))
		}
	}
	handler := next(ctx)
	if kind == "subscription" {
		// The resolver subscribed inside next; events may come for hours.
		span.End()
		return handler
	}
	var once sync.Once
	return func(ctx context.Context) *graphql.Response {
		resp := handler(ctx)
		once.Do(func() {
			recordErrors(span, resp)
			span.End()
		})
		return resp
	}
}

// InterceptRootField implements graphql.RootFieldInterceptor: a span per root field, around its
// resolver and the fields below it.
func (o operationSpans) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if fc == nil || unsampled(ctx) {
		return next(ctx)
	}
	parent := "Query"
	if oc := graphql.GetOperationContext(ctx); oc.Operation != nil {
		switch oc.Operation.Operation {
		case ast.Mutation:
			parent = "Mutation"
		case ast.Subscription:
			parent = "Subscription"
		}
	}
	ctx, span := o.tracer.Start(ctx, parent+"."+fc.Field.Name, trace.WithAttributes(
		attribute.String("graphql.field.parent", parent), attribute.String("graphql.field.name", fc.Field.Name)))
	defer span.End()
	return next(ctx)
}

// unsampled tells whether ctx belongs to a request whose trace is not sampled (its HTTP span is
// local and not recording): its GraphQL spans would not be recorded either (a parent-based
// sampler follows the parent; a ratio sampler decides the same for the same trace id), so they
// are not even started. A remote parent (a WebSocket handshake's traceparent) still lets the
// sampler decide.
func unsampled(ctx context.Context) bool {
	span := trace.SpanFromContext(ctx)
	sc := span.SpanContext()
	return sc.IsValid() && !sc.IsRemote() && !span.IsRecording()
}

// recordErrors puts the response's error codes on the span (never the messages, which may quote
// input); internal errors mark it failed.
func recordErrors(span trace.Span, resp *graphql.Response) {
	if resp == nil || len(resp.Errors) == 0 {
		return
	}
	var list []string
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" {
			code = "UNKNOWN"
		}
		if !slices.Contains(list, code) {
			list = append(list, code)
		}
	}
	span.SetAttributes(attribute.StringSlice("graphql.error.codes", list))
	if slices.Contains(list, CodeInternal) || slices.Contains(list, "UNKNOWN") {
		span.SetStatus(codes.Error, "internal error")
	}
}
