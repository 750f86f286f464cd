package redisconn_test

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/redisconn"
)

// TestClusterBrokerAndLimits runs the broker and the rate limiter on go-redis's cluster client
// (REDIS_CLUSTER with one seed address) against a real one-node Redis Cluster owning every slot:
// subscriptions get what is published (plain PUBLISH), and limits are shared through it.
func TestClusterBrokerAndLimits(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if testdb.RequireServices() {
			t.Fatal("redis-server is not installed (scripts/stack.sh up redis installs it)")
		}
		t.Skip("redis-server is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
		"--save", "", "--appendonly", "no", "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	node := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer node.Close()
	poll(t, "the node answers", func(ctx context.Context) bool { return node.Ping(ctx).Err() == nil })
	ctx := context.Background()
	if err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", "0", "16383").Err(); err != nil {
		t.Fatal(err)
	}
	poll(t, "cluster_state:ok", func(ctx context.Context) bool {
		info, err := node.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})

	cfg := redisconn.Config{Addrs: []string{addr}, Cluster: true}
	brokerClient, err := redisconn.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := brokerClient.(*redis.ClusterClient); !ok {
		t.Fatalf("client %T, want a cluster client", brokerClient)
	}
	broker, err := realtime.NewRedisClient(ctx, brokerClient)
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	got := make(chan string, 1)
	cancel, err := broker.Subscribe(ctx, "conversation:cluster", func(p []byte) { got <- string(p) })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if err := broker.Publish(ctx, "conversation:cluster", []byte("seq 1")); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "seq 1" {
			t.Fatalf("got %q", p)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the publication never arrived")
	}

	// Two limiters on two clients share one budget: only Redis can tell the second one about
	// the first one's takes (a limiter that failed over to memory would allow).
	prefix := "test:" + uuid.NewString() + ":"
	var limiters []*ratelimit.Redis
	for range 2 {
		c, err := redisconn.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		limiters = append(limiters, ratelimit.NewRedis(c, prefix, nil))
	}
	r := ratelimit.Rate{Events: 2, Period: time.Hour}
	for i, want := range []bool{true, true, false} {
		ok, _, err := limiters[i%2].Allow(ctx, "cluster", r, 1)
		if err != nil || ok != want {
			t.Fatalf("attempt %d: allowed %v (%v), want %v", i+1, ok, err, want)
		}
	}
}

func poll(t *testing.T, what string, cond func(context.Context) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		ok := cond(ctx)
		cancel()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
