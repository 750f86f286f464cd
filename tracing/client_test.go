package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/mail"
)

// TestTransportSpan: a call to a third party (Stripe's client uses this transport) is a client
// span under the caller's, with method, host, path and status, without the query string, and
// no traceparent is sent to the third party.
func TestTransportSpan(t *testing.T) {
	t.Parallel()
	p, exp := inMemory(t)
	var gotTraceparent string
	third := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotTraceparent = r.Header.Get("Traceparent")
		w.WriteHeader(http.StatusPaymentRequired)
	}))
	t.Cleanup(third.Close)
	ctx, parent := p.Tracer().Start(context.Background(), "parent")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, third.URL+"/v1/payment_intents?secret=s3cr3t", nil)
	resp, err := (&http.Client{Transport: p.Transport(nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	parent.End()
	if gotTraceparent != "" {
		t.Errorf("the third party received traceparent %q", gotTraceparent)
	}
	span := byName(exp.GetSpans(), "POST")
	if span == nil || span.Parent.SpanID() != parent.SpanContext().SpanID() || span.SpanKind != trace.SpanKindClient {
		t.Fatalf("want a client span POST under the parent; got %v", names(exp.GetSpans()))
	}
	if v, _ := attr(span, "http.response.status_code"); v != int64(402) {
		t.Errorf("status attribute = %v, want 402", v)
	}
	if v, _ := attr(span, "url.path"); v != "/v1/payment_intents" {
		t.Errorf("url.path = %v", v)
	}
	if strings.Contains(everything(exp.GetSpans()), "s3cr3t") {
		t.Error("the query string was recorded")
	}
}

// TestSMTPSendSpan sends through the SMTP sink: one client span around the send, naming the
// relay and never the recipient or subject.
func TestSMTPSendSpan(t *testing.T) {
	t.Parallel()
	addr := os.Getenv("SMTP_ADDR")
	if addr == "" {
		if testdb.RequireServices() {
			t.Fatal("SMTP_ADDR is not set (the SMTP sink of make test)")
		}
		t.Skip("SMTP_ADDR not set: run `make test` to bring the SMTP sink up")
	}
	p, exp := inMemory(t)
	m, err := mail.NewSMTPMailer(mail.SMTPConfig{Addr: addr, From: "noreply@skillswap.test", Tracer: p.Tracer()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, parent := p.Tracer().Start(context.Background(), "job")
	if err := m.Send(ctx, mail.Email{To: "recipient-traced@example.com", Subject: "Private subject", Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	parent.End()
	span := byName(exp.GetSpans(), "smtp send")
	if span == nil || span.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Fatalf("want an smtp send span under the job's; got %v", names(exp.GetSpans()))
	}
	if v, _ := attr(span, "server.address"); v == "" || v == nil {
		t.Error("smtp span without server.address")
	}
	all := everything(exp.GetSpans())
	if strings.Contains(all, "recipient-traced") || strings.Contains(all, "Private subject") {
		t.Error("the recipient or subject was recorded")
	}
}
