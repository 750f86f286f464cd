package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestLocalURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ addr, want string }{
		{":8080", "http://127.0.0.1:8080/readyz"},
		{"0.0.0.0:8080", "http://127.0.0.1:8080/readyz"},
		{"[::]:8080", "http://127.0.0.1:8080/readyz"},
		{"127.0.0.2:9000", "http://127.0.0.2:9000/readyz"},
		{"[::1]:8080", "http://[::1]:8080/readyz"},
	} {
		got, err := localURL(tc.addr, "/readyz")
		if err != nil || got != tc.want {
			t.Errorf("localURL(%q) = %q, %v; want %q", tc.addr, got, err, tc.want)
		}
	}
	if _, err := localURL("8080", "/healthz"); err == nil {
		t.Error("an address without a port was accepted")
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz", r.URL.Path == "/readyz" && ready.Load():
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	addr := ":" + port // the wildcard form HTTP_ADDR usually has

	ctx := context.Background()
	if err := healthcheck(ctx, addr, nil); err != nil {
		t.Errorf("healthz: %v", err)
	}
	if err := healthcheck(ctx, addr, []string{"/readyz"}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("readyz while not ready: %v, want a 503 error", err)
	}
	ready.Store(true)
	if err := healthcheck(ctx, addr, []string{"/readyz"}); err != nil {
		t.Errorf("readyz once ready: %v", err)
	}
	if err := healthcheck(ctx, addr, []string{"/graphql"}); err == nil {
		t.Error("a path other than /healthz and /readyz was accepted")
	}
	srv.Close()
	if err := healthcheck(ctx, addr, nil); err == nil {
		t.Error("no error with the server gone")
	}
}
