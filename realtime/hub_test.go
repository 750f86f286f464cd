package realtime_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/skillswap/skillswap/realtime"
)

// brokers returns the brokers to test: always the in-process one, and Redis when REDIS_URL is
// set (always under `make test`).
func brokers(t *testing.T) map[string]realtime.Broker {
	out := map[string]realtime.Broker{"memory": realtime.NewMemory()}
	url := os.Getenv("REDIS_URL")
	if url == "" {
		if os.Getenv("SKILLSWAP_REQUIRE_SERVICES") == "1" {
			t.Fatal("REDIS_URL is not set")
		}
		t.Log("REDIS_URL not set: testing the in-process broker only")
		return out
	}
	r, err := realtime.NewRedis(context.Background(), url)
	if err != nil {
		t.Fatalf("redis: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	out["redis"] = r
	return out
}

// countingBroker counts broker subscriptions, to prove the hub shares them.
type countingBroker struct {
	realtime.Broker
	subs chan string
}

func (c countingBroker) Subscribe(ctx context.Context, topic string, h func([]byte)) (func(), error) {
	c.subs <- topic
	return c.Broker.Subscribe(ctx, topic, h)
}

func receive(t *testing.T, ch <-chan []byte) string {
	t.Helper()
	select {
	case b := <-ch:
		return string(b)
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
		return ""
	}
}

func TestHubSharesOneSubscriptionPerTopic(t *testing.T) {
	for name, b := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			cb := countingBroker{Broker: b, subs: make(chan string, 100)}
			hub := realtime.NewHub(cb)
			ctx := context.Background()
			topic := fmt.Sprintf("test:%s:%d", name, time.Now().UnixNano())

			const n = 50
			chans := make([]<-chan []byte, n)
			releases := make([]func(), n)
			for i := range n {
				ch, release, err := hub.Subscribe(ctx, topic)
				if err != nil {
					t.Fatal(err)
				}
				chans[i], releases[i] = ch, release
			}
			if got := len(cb.subs); got != 1 {
				t.Fatalf("%d broker subscriptions for %d local subscribers, want 1", got, n)
			}
			if err := hub.Publish(ctx, topic, []byte("hello")); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if got := receive(t, chans[i]); got != "hello" {
					t.Fatalf("subscriber %d got %q", i, got)
				}
			}
			for _, r := range releases {
				r()
				r() // releasing twice is harmless
			}
			if hub.Topics() != 0 {
				t.Fatalf("%d topics still held after every subscriber left", hub.Topics())
			}
			// A new subscriber opens a new broker subscription.
			_, release, err := hub.Subscribe(ctx, topic)
			if err != nil {
				t.Fatal(err)
			}
			release()
			if got := len(cb.subs); got != 2 {
				t.Fatalf("broker subscriptions = %d, want 2", got)
			}
		})
	}
}

func TestHubSubscribeReleaseLeavesNoGoroutines(t *testing.T) {
	for name, b := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			hub := realtime.NewHub(b)
			ctx := context.Background()
			// Warm up connection pools before taking the baseline.
			_, r, err := hub.Subscribe(ctx, "warmup")
			if err != nil {
				t.Fatal(err)
			}
			r()
			time.Sleep(100 * time.Millisecond)
			before := runtime.NumGoroutine()
			for i := range 500 {
				_, release, err := hub.Subscribe(ctx, fmt.Sprintf("leak:%d", i%7))
				if err != nil {
					t.Fatal(err)
				}
				release()
			}
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if after := runtime.NumGoroutine(); after > before+2 {
				t.Fatalf("goroutines %d -> %d after 500 subscribe/release cycles", before, after)
			}
			if hub.Topics() != 0 {
				t.Fatalf("%d topics held", hub.Topics())
			}
		})
	}
}

func TestHubSubscribeHonoursCancelledContext(t *testing.T) {
	b := blockingBroker{Memory: realtime.NewMemory(), release: make(chan struct{})}
	defer close(b.release)
	hub := realtime.NewHub(b)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := hub.Subscribe(ctx, "slow"); err == nil {
		t.Fatal("subscribe should fail when its context ends first")
	}
}

// blockingBroker does not complete a subscription until released, like an unreachable Redis.
type blockingBroker struct {
	*realtime.Memory
	release chan struct{}
}

func (b blockingBroker) Subscribe(context.Context, string, func([]byte)) (func(), error) {
	<-b.release
	return nil, errors.New("broker unreachable")
}

// TestHubPublishAllReachesCallbacksInOrder publishes a batch over two topics (one pipelined
// round trip on Redis) to SubscribeFunc subscribers.
func TestHubPublishAllReachesCallbacksInOrder(t *testing.T) {
	for name, b := range brokers(t) {
		t.Run(name, func(t *testing.T) {
			hub := realtime.NewHub(b)
			ctx := context.Background()
			topicA := fmt.Sprintf("test:a:%s:%d", name, time.Now().UnixNano())
			topicB := fmt.Sprintf("test:b:%s:%d", name, time.Now().UnixNano())
			got := map[string]chan string{topicA: make(chan string, 10), topicB: make(chan string, 10)}
			for topic, ch := range got {
				release, err := hub.SubscribeFunc(ctx, topic, func(p []byte) { ch <- string(p) })
				if err != nil {
					t.Fatal(err)
				}
				defer release()
			}
			err := hub.PublishAll(ctx, []realtime.Publication{
				{Topic: topicA, Payload: []byte("a1")},
				{Topic: topicB, Payload: []byte("b1")},
				{Topic: topicA, Payload: []byte("a2")},
			})
			if err != nil {
				t.Fatal(err)
			}
			for topic, want := range map[string][]string{topicA: {"a1", "a2"}, topicB: {"b1"}} {
				for _, w := range want {
					select {
					case p := <-got[topic]:
						if p != w {
							t.Fatalf("%s: got %q, want %q", topic, p, w)
						}
					case <-time.After(5 * time.Second):
						t.Fatalf("%s: %q never arrived", topic, w)
					}
				}
			}
		})
	}
}
