package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestGracefulShutdown runs the real serve loop and stops it the way SIGTERM does (signal.NotifyContext
// cancels the context): in-flight requests finish, sockets close with 1001, new connections are
// refused and serve returns cleanly.
func TestGracefulShutdown(t *testing.T) {
	cfg := apitest.Config(t)
	cfg.HTTPAddr = freeAddr(t)
	cfg.RunWorkers = true
	// An expensive password hash keeps the logIn busy well into the shutdown.
	cfg.PasswordMemKiB, cfg.PasswordIters = 19*1024, 40
	base := "http://" + cfg.HTTPAddr

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler)) }()
	waitReady(t, base)

	srv := &apitest.Server{URL: base, Config: cfg}
	tok, _ := srv.SignUp(t)
	ws := srv.DialWS(t, "graphql-transport-ws")
	ws.Init(tok.AccessToken)
	ws.Expect("connection_ack")

	type result struct {
		status int
		token  string
		err    error
		at     time.Time
	}
	// The logIn is sent with "Expect: 100-continue" and its body held back: the server answers
	// 100 Continue only once a handler reads the body, so the request is provably in flight
	// (inside the handler) when shutdown begins, and its body arrives only after that.
	body := `{"query":"mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { accessToken } }","variables":{"e":"` +
		tok.User.Email + `","p":"` + apitest.StrongPassword + `"}}`
	bodyR, bodyW := io.Pipe()
	defer bodyW.Close()
	continued := make(chan struct{})
	var once sync.Once
	trace := &httptrace.ClientTrace{Got100Continue: func() { once.Do(func() { close(continued) }) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodPost, base+"/graphql", bodyR)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	inflight := make(chan result, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var out struct {
			Data struct{ LogIn struct{ AccessToken string } }
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		inflight <- result{status: resp.StatusCode, token: out.Data.LogIn.AccessToken, err: err, at: time.Now()}
	}()
	select {
	case <-continued:
	case r := <-inflight:
		t.Fatalf("logIn answered before its body was sent: status %d err %v", r.status, r.err)
	case <-time.After(30 * time.Second):
		t.Fatal("no 100 Continue within 30 s: the logIn never reached a handler")
	}
	stoppedAt := time.Now()
	stop()
	// Shutdown has begun once the listener refuses new connections; only then is the body sent.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", cfg.HTTPAddr, time.Second)
		if err != nil {
			break
		}
		_ = c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections 30 s after shutdown began")
		}
	}
	if _, err := io.WriteString(bodyW, body); err != nil {
		t.Fatalf("send the logIn body during shutdown: %v", err)
	}
	_ = bodyW.Close()

	ws.ExpectClose(1001, 30*time.Second)
	r := <-inflight
	if r.err != nil || r.status != 200 || r.token == "" {
		t.Fatalf("in-flight logIn during shutdown: status %d token %q err %v", r.status, r.token, r.err)
	}
	if r.at.Before(stoppedAt) {
		t.Fatal("the logIn finished before shutdown began; make it slower so the test proves draining")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not return after shutdown")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the server still accepts connections after shutdown")
	}
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	// Generous: migrations and workers start first, on a loaded two-core machine running -race.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server never became ready")
}

// TestDrainServesWhileNotReady runs serve and stops it as SIGTERM does, with a drain delay: for
// SHUTDOWN_DRAIN_DELAY /readyz answers 503 while new connections, GraphQL requests and open
// WebSockets are still served normally; only then do sockets close with 1001 and serve return.
// /metrics is on its own listener (METRICS_ADDR), not the API's.
func TestDrainServesWhileNotReady(t *testing.T) {
	cfg := apitest.Config(t)
	cfg.HTTPAddr = freeAddr(t)
	cfg.MetricsAddr = freeAddr(t)
	// Long enough for the checks below on a loaded machine; the test lasts about this long.
	cfg.ShutdownDrainDelay = 8 * time.Second
	base := "http://" + cfg.HTTPAddr
	// Fresh connections each time: a load balancer's new connections must still be accepted.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler)) }()
	waitReady(t, base)

	status := func(url string) int {
		t.Helper()
		resp, err := fresh.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("http://" + cfg.MetricsAddr + "/metrics"); got != 200 {
		t.Fatalf("/metrics on METRICS_ADDR = %d", got)
	}
	if got := status(base + "/metrics"); got != http.StatusNotFound {
		t.Fatalf("/metrics on the API's address = %d", got)
	}

	srv := &apitest.Server{URL: base, Config: cfg}
	tok, _ := srv.SignUp(t)
	ws := srv.Connect(t, "graphql-transport-ws", tok.AccessToken)

	stoppedAt := time.Now()
	stop()

	// Readiness fails at once...
	deadline := time.Now().Add(5 * time.Second)
	for status(base+"/readyz") != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("/readyz still ready after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// ...while everything else is served as before.
	if got := status(base + "/healthz"); got != 200 {
		t.Fatalf("/healthz while draining = %d", got)
	}
	resp, err := fresh.Post(base+"/graphql", "application/json", strings.NewReader(`{"query":"{ viewer { id } }"}`))
	if err != nil {
		t.Fatalf("a request while draining: %v", err)
	}
	var out struct {
		Data   struct{ Viewer *struct{ ID string } }
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	_ = resp.Body.Close()
	// Anonymous: UNAUTHENTICATED, from a working server (a failing one would say otherwise).
	if resp.StatusCode != 200 || len(out.Errors) != 1 || out.Errors[0].Extensions.Code != "UNAUTHENTICATED" {
		t.Fatalf("a request while draining: status %d %+v", resp.StatusCode, out)
	}
	client := srv.Client().WithToken(tok.AccessToken)
	if r := client.Do(t, `{ viewer { id } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("a signed-in request while draining: %s", r.Raw)
	}
	// The open socket still runs operations, and a new one is accepted.
	for _, s := range []*apitest.WS{ws, srv.Connect(t, "graphql-transport-ws", tok.AccessToken)} {
		s.Subscribe("q", `{ __typename }`, nil)
		s.Expect("next")
		s.Expect("complete")
	}
	if time.Since(stoppedAt) >= cfg.ShutdownDrainDelay {
		t.Fatal("the checks took longer than the drain delay; they prove nothing: raise it")
	}

	// Then the graceful shutdown: sockets close with 1001, serve returns, nothing listens.
	ws.ExpectClose(1001, 30*time.Second)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after the drain")
	}
	if elapsed := time.Since(stoppedAt); elapsed < cfg.ShutdownDrainDelay {
		t.Fatalf("serve returned %s after SIGTERM, before the drain delay (%s)", elapsed, cfg.ShutdownDrainDelay)
	}
	for _, addr := range []string{base + "/healthz", "http://" + cfg.MetricsAddr + "/metrics"} {
		if _, err := fresh.Get(addr); err == nil {
			t.Fatalf("%s still accepts connections after shutdown", addr)
		}
	}
}
