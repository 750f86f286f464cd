package realtime_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/realtime"
)

// privateRedis starts a Redis of the test's own, so connection counts and restarts concern this
// test alone, and returns it with a broker and a plain client on it.
func privateRedis(t *testing.T) (*apitest.Redis, *realtime.Redis, *redis.Client) {
	t.Helper()
	srv := apitest.StartRedis(t)
	b, err := realtime.NewRedis(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	opts, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return srv, b, c
}

// collector records what one handler receives.
type collector struct {
	mu  sync.Mutex
	got []string
	new chan struct{}
}

func newCollector() *collector { return &collector{new: make(chan struct{}, 1)} }

func (c *collector) handle(p []byte) {
	c.mu.Lock()
	c.got = append(c.got, string(p))
	c.mu.Unlock()
	select {
	case c.new <- struct{}{}:
	default:
	}
}

// waitFor waits until the handler has received want.
func (c *collector) waitFor(t *testing.T, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		c.mu.Lock()
		for _, g := range c.got {
			if g == want {
				c.mu.Unlock()
				return
			}
		}
		got := append([]string(nil), c.got...)
		c.mu.Unlock()
		select {
		case <-c.new:
		case <-deadline:
			t.Fatalf("%q not received within %s; got %q", want, within, got)
		}
	}
}

func TestRedisBrokerSharesOneConnectionAmongTopics(t *testing.T) {
	_, b, c := privateRedis(t)
	ctx := context.Background()
	const topics = 50
	collectors := make([]*collector, topics)
	releases := make([]func(), topics)
	for i := range topics {
		collectors[i] = newCollector()
		release, err := b.Subscribe(ctx, fmt.Sprintf("share:%d", i), collectors[i].handle)
		if err != nil {
			t.Fatal(err)
		}
		releases[i] = release
	}
	clients, err := c.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	// `CLIENT LIST` marks a connection in subscriber mode with the P flag.
	var subscribers int
	for _, line := range strings.Split(strings.TrimSpace(clients), "\n") {
		for _, f := range strings.Fields(line) {
			if flags, ok := strings.CutPrefix(f, "flags="); ok && strings.Contains(flags, "P") {
				subscribers++
			}
		}
	}
	if subscribers != 1 {
		t.Fatalf("%d subscriber connections for %d topics, want 1:\n%s", subscribers, topics, clients)
	}
	// Each topic's messages reach its handler and no other.
	for i := range topics {
		if err := b.Publish(ctx, fmt.Sprintf("share:%d", i), []byte(fmt.Sprint("m", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i, col := range collectors {
		col.waitFor(t, fmt.Sprint("m", i), 5*time.Second)
	}
	time.Sleep(100 * time.Millisecond)
	for i, col := range collectors {
		col.mu.Lock()
		if len(col.got) != 1 {
			t.Errorf("topic %d received %q", i, col.got)
		}
		col.mu.Unlock()
	}
	// Releasing unsubscribes at Redis too.
	for _, release := range releases {
		release()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		channels, err := c.PubSubChannels(ctx, "share:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(channels) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still subscribed at Redis after release: %v", channels)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A subscription is in effect when Subscribe returns: a message published by anyone right after
// reaches it. The broker talks to Redis through a proxy that delays what it sends by 20 ms, so a
// Subscribe returning before Redis confirms would let the publications below overtake it. The
// churn also keeps an UNSUBSCRIBE (the topic's previous subscriber leaving) in flight while a
// SUBSCRIBE of the same topic waits.
func TestRedisBrokerSubscribeIsInEffectWhenItReturns(t *testing.T) {
	srv, _, c := privateRedis(t)
	b, err := realtime.NewRedis(context.Background(), delayingProxy(t, srv.URL(), 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			topic := fmt.Sprint("churn:", w)
			release, err := b.Subscribe(ctx, topic, func([]byte) {})
			if err != nil {
				t.Error(err)
				return
			}
			for i := range 10 {
				col := newCollector()
				next, err := b.Subscribe(ctx, topic, col.handle)
				release() // the topic's other handler leaves as this one arrives
				if err != nil {
					t.Error(err)
					return
				}
				msg := fmt.Sprintf("%s/%d", topic, i)
				if err := c.Publish(ctx, topic, msg).Err(); err != nil {
					t.Error(err)
					return
				}
				col.waitFor(t, msg, 5*time.Second)
				// Leave and come back at once: the UNSUBSCRIBE and the SUBSCRIBE are both in
				// flight while Subscribe waits for its confirmation.
				next()
				col = newCollector()
				release, err = b.Subscribe(ctx, topic, col.handle)
				if err != nil {
					t.Error(err)
					return
				}
				if err := c.Publish(ctx, topic, msg+" again").Err(); err != nil {
					t.Error(err)
					return
				}
				col.waitFor(t, msg+" again", 5*time.Second)
			}
			release()
		})
	}
	wg.Wait()
}

// delayingProxy forwards connections to the Redis at url, holding what clients send for delay,
// and returns the URL to connect through it.
func delayingProxy(t *testing.T, url string, delay time.Duration) string {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			upstream, err := net.Dial("tcp", opts.Addr)
			if err != nil {
				_ = client.Close()
				continue
			}
			t.Cleanup(func() { _ = client.Close(); _ = upstream.Close() })
			go func() { _, _ = io.Copy(client, upstream) }()
			go func() {
				type chunk struct {
					at   time.Time
					data []byte
				}
				chunks := make(chan chunk, 1024)
				go func() {
					for c := range chunks {
						time.Sleep(time.Until(c.at))
						if _, err := upstream.Write(c.data); err != nil {
							return
						}
					}
				}()
				defer close(chunks)
				buf := make([]byte, 32<<10)
				for {
					n, err := client.Read(buf)
					if n > 0 {
						chunks <- chunk{at: time.Now().Add(delay), data: append([]byte(nil), buf[:n]...)}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return fmt.Sprintf("redis://%s/%d", l.Addr(), opts.DB)
}

func TestRedisBrokerResubscribesAfterRedisRestarts(t *testing.T) {
	srv, b, _ := privateRedis(t)
	ctx := context.Background()
	col := newCollector()
	release, err := b.Subscribe(ctx, "restart", col.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer release()

	srv.Stop()
	// While Redis is down a new subscription fails at once instead of hanging. One made before
	// the broker notices the outage is written on the dying connection and released with every
	// pending command (lostConnection), to be resubscribed later; so try until the outage is
	// known, each attempt answering quickly.
	downSince := time.Now()
	for {
		start := time.Now()
		rel, err := b.Subscribe(ctx, "while-down", func([]byte) {})
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Subscribe with Redis down took %s", d)
		}
		if err != nil {
			break
		}
		rel()
		if time.Since(downSince) > 5*time.Second {
			t.Fatal("Subscribe kept succeeding with Redis down")
		}
		time.Sleep(50 * time.Millisecond)
	}
	srv.Start()

	// The broker reconnects and resubscribes by itself; wake-ups published meanwhile are lost
	// by design, so publish until one arrives.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		msg := fmt.Sprint("after restart ", i)
		if err := b.Publish(ctx, "restart", []byte(msg)); err == nil {
			select {
			case <-col.new:
				col.waitFor(t, msg, time.Second)
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscription made before the restart received nothing after it")
		}
	}
}
