package apitest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the master name the sentinels of a SentinelGroup monitor.
const SentinelMaster = "mymaster"

// SentinelGroup is a private Redis Sentinel deployment of one test: a master, a replica and three
// sentinels (quorum 2), each a redis-server process on a free loopback port with its files in a
// temporary directory. It never touches the stack's shared Redis.
type SentinelGroup struct {
	t         testing.TB
	bin       string
	dir       string
	nodes     []*redisProc // nodes[0] starts as the master, nodes[1] as its replica
	sentinels []*redisProc
}

type redisProc struct {
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *redisProc) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// StartSentinelGroup starts the group and waits until every sentinel knows the master, its
// replica (in sync) and the two other sentinels, so that a failover can be run at once. Everything
// is killed when the test ends. It fails under `make test` and skips a bare `go test` when
// redis-server is missing.
func StartSentinelGroup(t testing.TB) *SentinelGroup {
	t.Helper()
	bin := redisServer(t)
	g := &SentinelGroup{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(g.stopAll)
	master := g.start("master", nil, "--save", "", "--appendonly", "no")
	g.nodes = append(g.nodes, master)
	g.nodes = append(g.nodes, g.start("replica", nil, "--save", "", "--appendonly", "no",
		"--replicaof", "127.0.0.1", strconv.Itoa(master.port)))
	for i := range 3 {
		// Sentinel rewrites its configuration file: each one gets its own.
		conf := filepath.Join(g.dir, fmt.Sprintf("sentinel-%d.conf", i))
		// down-after 2 s and a 20 s failover timeout: quick enough for a test, lenient enough for a
		// loaded machine where a busy process can miss a second of pings.
		body := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 2\n"+
			"sentinel down-after-milliseconds %[1]s 2000\n"+
			"sentinel failover-timeout %[1]s 20000\n"+
			"sentinel parallel-syncs %[1]s 1\n", SentinelMaster, master.port)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		g.sentinels = append(g.sentinels, g.start(fmt.Sprintf("sentinel-%d", i), []string{conf, "--sentinel"}))
	}
	g.waitUntil("the sentinels know the replica and each other", 60*time.Second, func(ctx context.Context) error {
		for _, s := range g.sentinels {
			c := redis.NewSentinelClient(&redis.Options{Addr: s.addr(), MaxRetries: -1})
			replicas, err := c.Replicas(ctx, SentinelMaster).Result()
			if err == nil && (len(replicas) != 1 || strings.Contains(replicas[0]["flags"], "down") ||
				replicas[0]["master-link-status"] != "ok") {
				err = fmt.Errorf("sentinel %s sees replicas %v", s.addr(), replicas)
			}
			if err == nil {
				var others []map[string]string
				if others, err = c.Sentinels(ctx, SentinelMaster).Result(); err == nil && len(others) != 2 {
					err = fmt.Errorf("sentinel %s knows %d other sentinels", s.addr(), len(others))
				}
			}
			_ = c.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	return g
}

// start runs redis-server on a free port with args (a config file first for sentinels).
func (g *SentinelGroup) start(name string, pre []string, args ...string) *redisProc {
	g.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		g.t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	wd := filepath.Join(g.dir, name)
	if err := os.MkdirAll(wd, 0o700); err != nil {
		g.t.Fatal(err)
	}
	all := append(append([]string{}, pre...), "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--protected-mode", "yes", "--dir", wd, "--loglevel", "notice", "--logfile", filepath.Join(wd, "log"))
	all = append(all, args...)
	cmd := exec.Command(g.bin, all...)
	if err := cmd.Start(); err != nil {
		g.t.Fatalf("start %s: %v", name, err)
	}
	p := &redisProc{port: port, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	c := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1})
	defer c.Close()
	g.waitUntil(name+" answers PING", 20*time.Second, func(ctx context.Context) error { return c.Ping(ctx).Err() })
	return p
}

// waitUntil polls check until it succeeds or timeout passes.
func (g *SentinelGroup) waitUntil(what string, timeout time.Duration, check func(context.Context) error) {
	g.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("waiting %s for %s: %v", timeout, what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Addrs are the sentinels' host:port (REDIS_ADDRS).
func (g *SentinelGroup) Addrs() []string {
	out := make([]string, len(g.sentinels))
	for i, s := range g.sentinels {
		out[i] = s.addr()
	}
	return out
}

// MasterAddr is the master's address as the first sentinel reports it.
func (g *SentinelGroup) MasterAddr() string {
	g.t.Helper()
	c := redis.NewSentinelClient(&redis.Options{Addr: g.sentinels[0].addr(), MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hp, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
	if err != nil {
		g.t.Fatalf("ask the sentinel for the master: %v", err)
	}
	return net.JoinHostPort(hp[0], hp[1])
}

// StartFailover sends SENTINEL FAILOVER (the replica is promoted, the master demoted) and returns
// at once with the old master's address; the failover runs on in the sentinels (see NewMaster).
func (g *SentinelGroup) StartFailover() (old string) {
	g.t.Helper()
	old = g.MasterAddr()
	c := redis.NewSentinelClient(&redis.Options{Addr: g.sentinels[0].addr(), MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Failover(ctx, SentinelMaster).Err(); err != nil {
		g.t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	return old
}

// KillMaster kills the master process (as a crash would) and returns its address; the sentinels
// elect another master after down-after-milliseconds (see NewMaster).
func (g *SentinelGroup) KillMaster() (old string) {
	g.t.Helper()
	old = g.MasterAddr()
	for _, n := range g.nodes {
		if n.addr() == old && n.cmd != nil {
			_ = n.cmd.Process.Kill()
			<-n.done
			n.cmd = nil
		}
	}
	return old
}

// NewMaster reports the master that replaced old, once every sentinel reports it and it answers
// ROLE as a master; "" while the failover is still running.
func (g *SentinelGroup) NewMaster(old string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs := map[string]bool{}
	for _, s := range g.sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: s.addr(), MaxRetries: -1})
		hp, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
		_ = c.Close()
		if err != nil || len(hp) != 2 {
			return ""
		}
		addrs[net.JoinHostPort(hp[0], hp[1])] = true
	}
	if len(addrs) != 1 || addrs[old] {
		return ""
	}
	var now string
	for a := range addrs {
		now = a
	}
	c := redis.NewClient(&redis.Options{Addr: now, MaxRetries: -1})
	defer c.Close()
	role, err := c.Do(ctx, "ROLE").Slice()
	if err != nil || len(role) == 0 || role[0] != "master" {
		return ""
	}
	return now
}

// WaitNewMaster waits (up to 90 s) for NewMaster(old) and returns it.
func (g *SentinelGroup) WaitNewMaster(old string) string {
	g.t.Helper()
	var now string
	g.waitUntil("a new master", 90*time.Second, func(context.Context) error {
		if now = g.NewMaster(old); now == "" {
			return fmt.Errorf("the sentinels have not all moved from %s to a working master", old)
		}
		return nil
	})
	return now
}

func (g *SentinelGroup) stopAll() {
	for _, p := range append(append([]*redisProc{}, g.sentinels...), g.nodes...) {
		if p.cmd != nil && p.cmd.Process != nil {
			_ = p.cmd.Process.Kill()
			<-p.done
			p.cmd = nil
		}
	}
}
