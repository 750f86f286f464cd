// Package stripefault is an http.RoundTripper for tests that sits in front of stripe-mock:
// it records every request the Stripe client makes (method, path, Idempotency-Key, form) and
// fails chosen ones, so each Stripe step of the payment saga can be made to fail once the way
// a network or Stripe itself fails:
//
//   - BeforeSend: a connection error; the request never reaches Stripe (nothing happened).
//   - AfterSend: the request reaches Stripe (the effect happened) but the answer is lost and a
//     500 api_error comes back instead: the caller cannot know, which is the case idempotency
//     keys exist for.
//   - Refuse: Stripe answers 400 invalid_request_error without doing anything (a definite no).
//
// stripe-mock is stateless (it validates requests and answers fixtures), so what was "sent to
// Stripe" is what this transport delivered: Delivered lists it.
package stripefault

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
)

// Mode is how a matched request fails.
type Mode int

// Failure modes.
const (
	// BeforeSend fails with a connection error without sending the request.
	BeforeSend Mode = iota + 1
	// AfterSend sends the request, then drops Stripe's answer and returns a 500 api_error.
	AfterSend
	// Refuse answers 400 invalid_request_error without sending the request.
	Refuse
)

func (m Mode) String() string {
	switch m {
	case BeforeSend:
		return "before-send"
	case AfterSend:
		return "after-send"
	case Refuse:
		return "refuse"
	}
	return "none"
}

// ErrInjected is the connection error BeforeSend returns.
var ErrInjected = errors.New("stripefault: injected connection failure")

// Request is one request the client made.
type Request struct {
	Method, Path, IdempotencyKey string
	Form                         url.Values
	// Failed is how the transport failed it (0: it went through untouched).
	Failed Mode
}

// Delivered reports whether the request reached Stripe (it was not failed before sending).
func (r Request) Delivered() bool { return r.Failed == 0 || r.Failed == AfterSend }

// rule fails the nth request matching method and pattern (path.Match syntax, so
// "/v1/payment_intents/*/capture" matches any intent).
type rule struct {
	method, pattern string
	n, seen         int
	mode            Mode
}

// Transport records requests and fails the ones its rules pick. The zero value is not usable:
// use New.
type Transport struct {
	next  http.RoundTripper
	mu    sync.Mutex
	rules []*rule
	reqs  []Request
}

// New returns a Transport in front of next (nil: http.DefaultTransport).
func New(next http.RoundTripper) *Transport {
	if next == nil {
		next = http.DefaultTransport
	}
	return &Transport{next: next}
}

// FailNth makes the nth (1-based) request matching method and pattern, counted from now, fail
// with mode. Several rules may be armed at once; each fires once.
func (t *Transport) FailNth(method, pattern string, n int, mode Mode) {
	if _, err := path.Match(pattern, "/"); err != nil {
		panic(fmt.Sprintf("stripefault: bad pattern %q: %v", pattern, err))
	}
	t.mu.Lock()
	t.rules = append(t.rules, &rule{method: method, pattern: pattern, n: n, mode: mode})
	t.mu.Unlock()
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	form, _ := url.ParseQuery(string(body))
	mode := t.match(req.Method, req.URL.Path)
	t.mu.Lock()
	t.reqs = append(t.reqs, Request{Method: req.Method, Path: req.URL.Path, IdempotencyKey: req.Header.Get("Idempotency-Key"), Form: form, Failed: mode})
	t.mu.Unlock()
	switch mode {
	case BeforeSend:
		return nil, ErrInjected
	case Refuse:
		return stripeError(req, http.StatusBadRequest, "invalid_request_error", "stripefault: refused"), nil
	case AfterSend:
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return stripeError(req, http.StatusInternalServerError, "api_error", "stripefault: answer lost"), nil
	}
	return t.next.RoundTrip(req)
}

// match counts the request against the armed rules and returns the mode of the one that fires.
func (t *Transport) match(method, p string) Mode {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.rules {
		if r.method != method {
			continue
		}
		if ok, _ := path.Match(r.pattern, p); !ok {
			continue
		}
		r.seen++
		if r.seen == r.n {
			return r.mode
		}
	}
	return 0
}

func stripeError(req *http.Request, status int, typ, msg string) *http.Response {
	body := fmt.Sprintf(`{"error":{"type":%q,"message":%q}}`, typ, msg)
	return &http.Response{
		StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Request-Id": {"req_stripefault"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}
}

// Requests returns every request made so far, in order.
func (t *Transport) Requests() []Request {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Request(nil), t.reqs...)
}

// Posts returns the POSTs to path (exact, or a path.Match pattern), in order.
func (t *Transport) Posts(pattern string) []Request {
	var out []Request
	for _, r := range t.Requests() {
		if ok, _ := path.Match(pattern, r.Path); r.Method == http.MethodPost && ok {
			out = append(out, r)
		}
	}
	return out
}

// Delivered returns the POSTs to path (or pattern) that reached Stripe, in order.
func (t *Transport) Delivered(pattern string) []Request {
	var out []Request
	for _, r := range t.Posts(pattern) {
		if r.Delivered() {
			out = append(out, r)
		}
	}
	return out
}
