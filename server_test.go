package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
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
	// An expensive password hash makes logIn take long enough to be in flight during shutdown.
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
	inflight := make(chan result, 1)
	go func() {
		body := `{"query":"mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { accessToken } }","variables":{"e":"` +
			tok.User.Email + `","p":"` + apitest.StrongPassword + `"}}`
		resp, err := http.Post(base+"/graphql", "application/json", strings.NewReader(body))
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
	time.Sleep(150 * time.Millisecond) // the logIn is now hashing
	stoppedAt := time.Now()
	stop()

	ws.ExpectClose(1001, 5*time.Second)
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
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return after shutdown")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the server still accepts connections after shutdown")
	}
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
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
