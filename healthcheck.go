package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthcheck asks the local server's path (/healthz by default, /readyz for readiness) and
// fails unless it answers 200: `skillswap healthcheck` is the container's HEALTHCHECK, since the
// minimal image has no shell, curl or wget. It needs no configuration but HTTP_ADDR, so it works
// even where config.Load would refuse (and it must not need the database's credentials).
func healthcheck(ctx context.Context, httpAddr string, args []string) error {
	path := "/healthz"
	switch {
	case len(args) == 1 && (args[0] == "/healthz" || args[0] == "/readyz"):
		path = args[0]
	case len(args) > 0:
		return fmt.Errorf("usage: skillswap healthcheck [/healthz|/readyz]")
	}
	url, err := localURL(httpAddr, path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	return nil
}

// localURL turns HTTP_ADDR (":8080", "0.0.0.0:8080", "[::]:8080", "127.0.0.1:8080") into the URL
// of path on this machine: a wildcard host is asked on loopback.
func localURL(httpAddr, path string) (string, error) {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return "", fmt.Errorf("healthcheck: HTTP_ADDR %q: %w", httpAddr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
