package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/tracing"
)

// inMemory returns a provider recording every span (parent-based, always on) into an exporter
// the test reads synchronously.
func inMemory(t *testing.T) (*tracing.Provider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	p := tracing.New(tp)
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p, exp
}

// inTrace returns the ended spans of one trace.
func inTrace(exp *tracetest.InMemoryExporter, id trace.TraceID) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceID() == id {
			out = append(out, s)
		}
	}
	return out
}

func byName(spans tracetest.SpanStubs, name string) *tracetest.SpanStub {
	for i := range spans {
		if spans[i].Name == name {
			return &spans[i]
		}
	}
	return nil
}

func attr(s *tracetest.SpanStub, key string) (any, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.AsInterface(), true
		}
	}
	return nil, false
}

// everything is every name, attribute, event and status text of spans, to search for secrets.
func everything(spans tracetest.SpanStubs) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintln(&b, s.Name, s.Status.Description)
		for _, kv := range s.Attributes {
			fmt.Fprintln(&b, kv.Key, kv.Value.String())
		}
		for _, e := range s.Events {
			fmt.Fprintln(&b, e.Name)
			for _, kv := range e.Attributes {
				fmt.Fprintln(&b, kv.Key, kv.Value.String())
			}
		}
		for _, kv := range s.Resource.Attributes() {
			fmt.Fprintln(&b, kv.Key, kv.Value.String())
		}
	}
	return b.String()
}

const (
	remoteTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	remoteSpan  = "00f067aa0ba902b7"
)

// TestGraphQLRequestSpans sends real requests to the real server and checks the span tree: the
// caller's traceparent is the HTTP span's parent, one operation span below it with name, type and
// complexity, a span for the root resolver and SQL spans below the operation; no password, no
// variables and no document anywhere.
func TestGraphQLRequestSpans(t *testing.T) {
	t.Parallel()
	p, exp := inMemory(t)
	cfg := apitest.Config(t)
	cfg.RedisURL = apitest.RedisURL(t) // the complexity budget is charged in Redis
	srv := apitest.Start(t, cfg, app.Options{Tracing: p})
	tok, _ := srv.SignUp(t)

	viewer := srv.Client().WithToken(tok.AccessToken)
	viewer.Header.Set("traceparent", "00-"+remoteTrace+"-"+remoteSpan+"-01")
	apitest.Must(t, viewer.Do(t, `query Viewer { viewer { id displayName } }`, nil))

	id, _ := trace.TraceIDFromHex(remoteTrace)
	spans := inTrace(exp, id)
	httpSpan := byName(spans, "POST /graphql")
	if httpSpan == nil {
		t.Fatalf("no HTTP span in the request's trace; spans: %v", names(spans))
	}
	if got := httpSpan.Parent.SpanID().String(); got != remoteSpan || !httpSpan.Parent.IsRemote() {
		t.Errorf("HTTP span's parent = %s (remote %v), want the traceparent's span %s", got, httpSpan.Parent.IsRemote(), remoteSpan)
	}
	if httpSpan.SpanKind != trace.SpanKindServer {
		t.Errorf("HTTP span kind = %v, want server", httpSpan.SpanKind)
	}
	if v, _ := attr(httpSpan, "http.response.status_code"); v != int64(200) {
		t.Errorf("http.response.status_code = %v, want 200", v)
	}

	var ops tracetest.SpanStubs
	for _, s := range spans {
		if _, ok := attr(&s, "graphql.operation.type"); ok {
			ops = append(ops, s)
		}
	}
	if len(ops) != 1 {
		t.Fatalf("%d operation spans, want 1: %v", len(ops), names(spans))
	}
	op := &ops[0]
	if op.Name != "query Viewer" || op.Parent.SpanID() != httpSpan.SpanContext.SpanID() {
		t.Errorf("operation span %q with parent %s, want \"query Viewer\" under the HTTP span %s", op.Name, op.Parent.SpanID(), httpSpan.SpanContext.SpanID())
	}
	for key, want := range map[string]any{"graphql.operation.type": "query", "graphql.operation.name": "Viewer"} {
		if v, _ := attr(op, key); v != want {
			t.Errorf("%s = %v, want %v", key, v, want)
		}
	}
	if v, ok := attr(op, "graphql.operation.complexity"); !ok || v.(int64) < 2 {
		t.Errorf("graphql.operation.complexity = %v (set %v), want the operation's complexity (≥ 2)", v, ok)
	}
	field := byName(spans, "Query.viewer")
	if field == nil || field.Parent.SpanID() != op.SpanContext.SpanID() {
		t.Errorf("want a Query.viewer span under the operation span; spans: %v", names(spans))
	}
	redisSpans := 0
	for _, s := range spans {
		if v, _ := attr(&s, "db.system.name"); v == "redis" {
			redisSpans++
			if s.SpanKind != trace.SpanKindClient || len(s.Attributes) != 2 {
				t.Errorf("Redis span %q: kind %v, attributes %v; want a client span with the system and command only", s.Name, s.SpanKind, s.Attributes)
			}
		}
	}
	if redisSpans == 0 {
		t.Errorf("no Redis span (the complexity budget) in the viewer's trace: %v", names(spans))
	}
	for _, s := range spans {
		if s.Name == "id" || s.Name == "displayName" || strings.HasSuffix(s.Name, ".displayName") {
			t.Errorf("span %q for a trivial field", s.Name)
		}
	}

	// A mutation doing SQL: its statements are spans under its operation, with their text and
	// never their arguments; the password is nowhere, whether a variable or inlined.
	const inlined = "inlined-password-never-traced-9"
	login := srv.Client()
	login.Header.Set("traceparent", "00-"+strings.Repeat("ab", 16)+"-"+remoteSpan+"-01")
	apitest.Must(t, login.Do(t, `mutation LogIn($in: LogInInput!) { logIn(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"email": tok.User.Email, "password": apitest.StrongPassword}}))
	login.Do(t, `mutation { logIn(input: {email: "`+tok.User.Email+`", password: "`+inlined+`"}) { accessToken } }`, nil)
	id, _ = trace.TraceIDFromHex(strings.Repeat("ab", 16))
	loginSpans := inTrace(exp, id)
	loginOp := byName(loginSpans, "mutation LogIn")
	if loginOp == nil {
		t.Fatalf("no mutation LogIn span: %v", names(loginSpans))
	}
	sql := 0
	for _, s := range loginSpans {
		if v, _ := attr(&s, "db.system.name"); v == "postgresql" {
			sql++
			if text, _ := attr(&s, "db.query.text"); text == "" || text == nil {
				t.Errorf("SQL span %q without its statement", s.Name)
			}
		}
	}
	if sql == 0 {
		t.Errorf("no SQL span in logIn's trace: %v", names(loginSpans))
	}
	all := everything(exp.GetSpans())
	for _, secret := range []string{apitest.StrongPassword, inlined, tok.AccessToken} {
		if strings.Contains(all, secret) {
			t.Errorf("a span holds a secret (%.8s…)", secret)
		}
	}
	for _, leak := range []string{"graphql.document", "graphql.variables", "variables", "LogInInput"} {
		if strings.Contains(all, leak) {
			t.Errorf("spans mention %q: documents and variables must not be recorded", leak)
		}
	}
}

// value is an OTLP attribute value as text.
func value(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	default:
		return v.String()
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// TestJobSpanLinksToEnqueuingTrace: signUp enqueues jobs in its transaction; the worker's span of
// each is a new trace linked to the request's.
func TestJobSpanLinksToEnqueuingTrace(t *testing.T) {
	t.Parallel()
	p, exp := inMemory(t)
	cfg := apitest.Config(t)
	cfg.RunWorkers = true
	srv := apitest.Start(t, cfg, app.Options{Tracing: p})
	c := srv.Client()
	c.Header.Set("traceparent", "00-"+remoteTrace+"-"+remoteSpan+"-01")
	apitest.Must(t, c.Do(t, `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`, map[string]any{"in": map[string]any{
		"email": "traced@example.com", "password": apitest.StrongPassword, "displayName": "Traced",
		"termsVersion": cfg.TermsVersion, "privacyPolicyVersion": cfg.PrivacyPolicyVersion,
	}}))
	id, _ := trace.TraceIDFromHex(remoteTrace)
	if byName(inTrace(exp, id), "river.insert_many") == nil {
		t.Fatalf("no river.insert_many span in signUp's trace: %v", names(inTrace(exp, id)))
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, s := range exp.GetSpans() {
			if !strings.HasPrefix(s.Name, "river.work/") {
				continue
			}
			for _, l := range s.Links {
				if l.SpanContext.TraceID() == id {
					if s.SpanContext.TraceID() == id {
						t.Errorf("job span %s is in the request's trace; want a trace of its own, linked", s.Name)
					}
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no job span linked to the signUp trace within 60 s; spans: %v", names(exp.GetSpans()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lockedBuffer is a log destination written by the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsCarryTraceID: the access log line of a traced request names its trace.
func TestLogsCarryTraceID(t *testing.T) {
	t.Parallel()
	p, _ := inMemory(t)
	var out lockedBuffer
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})))
	srv := apitest.StartLogged(t, apitest.Config(t), log, app.Options{Tracing: p})
	c := srv.Client()
	c.Header.Set("traceparent", "00-"+remoteTrace+"-"+remoteSpan+"-01")
	c.Do(t, `{ __typename }`, nil)
	for line := range strings.Lines(out.String()) {
		var rec struct {
			Msg, Path string
			TraceID   string `json:"trace_id"`
			SpanID    string `json:"span_id"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "request" || rec.Path != "/graphql" {
			continue
		}
		if rec.TraceID != remoteTrace || len(rec.SpanID) != 16 {
			t.Fatalf("access log line has trace_id %q span_id %q, want trace %s: %s", rec.TraceID, rec.SpanID, remoteTrace, line)
		}
		return
	}
	t.Fatalf("no access log line for /graphql:\n%s", out.String())
}

// TestExportOverOTLP runs the server with the provider Setup builds from the OTEL_* settings,
// exporting over real OTLP/HTTP to a receiver that decodes the protobuf export requests.
func TestExportOverOTLP(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		spans = map[string]map[string]string{} // span name -> attributes
		res   = map[string]string{}
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("export to %s as %q, want /v1/traces as application/x-protobuf", r.URL.Path, r.Header.Get("Content-Type"))
		}
		body, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("decode export request: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, kv := range rs.GetResource().GetAttributes() {
				res[kv.Key] = kv.GetValue().GetStringValue()
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					a := map[string]string{}
					for _, kv := range s.Attributes {
						a[kv.Key] = value(kv.GetValue())
					}
					spans[s.Name] = a
				}
			}
		}
		mu.Unlock()
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(recv.Close)

	p, err := tracing.Setup(context.Background(), tracing.Config{
		Endpoint: recv.URL, Sampler: "parentbased_traceidratio", SamplerArg: "1", ServiceName: "skillswap-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Enabled() {
		t.Fatal("an OTLP endpoint did not enable tracing")
	}
	srv := apitest.Start(t, apitest.Config(t), app.Options{Tracing: p})
	tok, _ := srv.SignUp(t)
	apitest.Must(t, srv.Client().WithToken(tok.AccessToken).Do(t, `query Me { viewer { id } }`, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil { // flushes
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if res["service.name"] != "skillswap-test" {
		t.Errorf("resource service.name = %q, want skillswap-test", res["service.name"])
	}
	op, ok := spans["query Me"]
	if !ok {
		t.Fatalf("the receiver got no \"query Me\" span; got %d spans", len(spans))
	}
	if op["graphql.operation.type"] != "query" || op["graphql.operation.complexity"] == "" {
		t.Errorf("operation span attributes = %v", op)
	}
	if _, ok := spans["POST /graphql"]; !ok {
		t.Errorf("the receiver got no HTTP span")
	}
}

// TestSubscriptionSpan: a WebSocket gets no HTTP span (it lives for hours); each operation
// started on it gets its span, ended once the subscription is set up, under the handshake's
// traceparent.
func TestSubscriptionSpan(t *testing.T) {
	t.Parallel()
	p, exp := inMemory(t)
	srv := apitest.Start(t, apitest.Config(t), app.Options{Tracing: p})
	tok, _ := srv.SignUp(t)
	ws := srv.DialWSHeader(t, "graphql-transport-ws", http.Header{"Traceparent": {"00-" + remoteTrace + "-" + remoteSpan + "-01"}})
	ws.Init(tok.AccessToken)
	ws.Expect("connection_ack")
	ws.Subscribe("1", `subscription Mine { viewerUpdated { id } }`, nil)
	id, _ := trace.TraceIDFromHex(remoteTrace)
	deadline := time.Now().Add(30 * time.Second)
	for {
		spans := inTrace(exp, id)
		if op := byName(spans, "subscription Mine"); op != nil {
			if op.Parent.SpanID().String() != remoteSpan {
				t.Errorf("subscription span's parent = %s, want the handshake's traceparent %s", op.Parent.SpanID(), remoteSpan)
			}
			if byName(spans, "GET /graphql") != nil {
				t.Error("the WebSocket upgrade got an HTTP span")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no subscription span within 30 s: %v", names(exp.GetSpans()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
