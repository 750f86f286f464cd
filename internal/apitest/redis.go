package apitest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/skillswap/skillswap/internal/testdb"
)

// Redis is a private redis-server process of one test, on its own port. Tests that restart Redis
// use it instead of the stack's shared one, which tests of other packages use concurrently.
type Redis struct {
	t    testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// StartRedis starts a private redis-server (the binary scripts/stack.sh installs) on a free
// loopback port, without persistence, and stops it when the test ends. It fails under
// `make test` and skips a bare `go test` when redis-server is missing.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	bin := redisServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	r := &Redis{t: t, bin: bin, port: port}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is the redis:// URL of the server.
func (r *Redis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// Start (re)starts the server on its port and waits until it answers PING.
func (r *Redis) Start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	done := make(chan struct{})
	cmd := r.cmd
	go func() { _ = cmd.Wait(); close(done) }()
	r.done = done
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on port %d not ready: %v", r.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (r *Redis) Stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// redisServer is the path of redis-server, for the tests' private Redis processes. It fails under
// `make test` and skips a bare `go test` when redis-server is missing.
func redisServer(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if testdb.RequireServices() {
			t.Fatal("redis-server is not installed (scripts/stack.sh up redis installs it)")
		}
		t.Skip("redis-server is not installed: run `make test` (service missing)")
	}
	return bin
}
