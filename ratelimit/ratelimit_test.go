package ratelimit

import (
	"context"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/skillswap/skillswap/domain"
)

// redisClient connects to REDIS_URL; it skips in a bare `go test` without it and fails under
// SKILLSWAP_REQUIRE_SERVICES=1.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		if os.Getenv("SKILLSWAP_REQUIRE_SERVICES") != "" {
			t.Fatal("REDIS_URL is not set")
		}
		t.Skip("REDIS_URL is not set (run `make test` to bring the services up)")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping redis: %v", err)
	}
	return c
}

// testPrefix keeps each test's keys apart in the shared Redis.
func testPrefix() string { return "test:" + uuid.NewString() + ":" }

// limiters returns the implementations to test, by name: memory always, Redis when configured.
func limiters(t *testing.T) map[string]Limiter {
	out := map[string]Limiter{"memory": NewMemory(nil)}
	if os.Getenv("REDIS_URL") != "" || os.Getenv("SKILLSWAP_REQUIRE_SERVICES") != "" {
		out["redis"] = NewRedis(redisClient(t), testPrefix(), nil)
	}
	return out
}

// TestLimiterSemantics: both implementations spend a burst, then refuse with a wait, refuse a
// cost that does not fit without spending it, and take back what Give returns.
func TestLimiterSemantics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rate := Rate{Events: 5, Period: time.Hour} // nothing refills during the test
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for i := range 5 {
				if ok, _, err := l.Allow(ctx, "k", rate, 1); err != nil || !ok {
					t.Fatalf("event %d: ok=%v err=%v, want allowed", i+1, ok, err)
				}
			}
			ok, wait, err := l.Allow(ctx, "k", rate, 1)
			if err != nil || ok {
				t.Fatalf("6th event: ok=%v err=%v, want refused", ok, err)
			}
			// One event refills every 12 minutes.
			if wait <= 11*time.Minute || wait > 12*time.Minute+time.Second {
				t.Errorf("retry after %v, want about 12m", wait)
			}
			if ok, _, _ := l.Allow(ctx, "other", rate, 1); !ok {
				t.Error("another key was refused: keys must not share a budget")
			}
			// A cost larger than what is left is refused and spends nothing.
			if ok, _, _ := l.Allow(ctx, "big", rate, 4); !ok {
				t.Fatal("cost 4 of 5 refused")
			}
			if ok, _, _ := l.Allow(ctx, "big", rate, 2); ok {
				t.Fatal("cost 2 with 1 left allowed")
			}
			if ok, _, _ := l.Allow(ctx, "big", rate, 1); !ok {
				t.Fatal("the refused cost was spent anyway")
			}
			// Give returns events.
			Give(ctx, l, "k", rate, 2)
			for i := range 2 {
				if ok, _, _ := l.Allow(ctx, "k", rate, 1); !ok {
					t.Fatalf("given-back event %d refused", i+1)
				}
			}
			if ok, _, _ := l.Allow(ctx, "k", rate, 1); ok {
				t.Fatal("more events than were given back")
			}
		})
	}
}

// TestTakeRateLimited: Take turns a refusal into RATE_LIMITED with a wait of at least a second.
func TestTakeRateLimited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := NewMemory(nil)
	rate := Rate{Events: 1, Period: time.Hour}
	if err := Take(ctx, l, "k", rate, 1); err != nil {
		t.Fatal(err)
	}
	err := Take(ctx, l, "k", rate, 1)
	var de *domain.Error
	if !domain.IsKind(err, domain.KindRateLimited) {
		t.Fatalf("got %v, want RATE_LIMITED", err)
	}
	if de = err.(*domain.Error); de.RetryAfter < time.Second {
		t.Errorf("retry after %v", de.RetryAfter)
	}
	if err := Take(ctx, nil, "k", rate, 1); err != nil {
		t.Errorf("a nil limiter limited: %v", err)
	}
	if err := Take(ctx, l, "k", Rate{}, 1); err != nil {
		t.Errorf("a zero rate limited: %v", err)
	}
}

// TestMemoryRefillsAndForgets: with a clock moved by hand, the budget refills at the rate and a
// key whose budget is whole is forgotten.
func TestMemoryRefillsAndForgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	l := NewMemory(clock)
	rate := Rate{Events: 2, Period: time.Minute}
	for range 2 {
		if ok, _, _ := l.Allow(ctx, "k", rate, 1); !ok {
			t.Fatal("burst refused")
		}
	}
	if ok, wait, _ := l.Allow(ctx, "k", rate, 1); ok || wait != 30*time.Second {
		t.Fatalf("ok=%v wait=%v, want refused for 30s", ok, wait)
	}
	advance(30 * time.Second)
	if ok, _, _ := l.Allow(ctx, "k", rate, 1); !ok {
		t.Fatal("one event did not refill after its 30s")
	}
	advance(2 * time.Minute)
	l.Allow(ctx, "other", rate, 1) // runs the sweep
	if n := l.Len(); n != 1 {
		t.Errorf("remembers %d keys, want 1 (the refilled one forgotten)", n)
	}
}

// TestRedisLimitIsSharedByInstances is the N-instances property: two limiters (two server
// instances, each with its own client) over one Redis enforce one combined limit.
func TestRedisLimitIsSharedByInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prefix := testPrefix()
	a := NewRedis(redisClient(t), prefix, nil)
	b := NewRedis(redisClient(t), prefix, nil)
	rate := Rate{Events: 10, Period: time.Hour}
	allowed := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 40 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			ok, _, err := l.Allow(ctx, "login:alice", rate, 1)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 10 {
		t.Fatalf("two instances allowed %d events together, want the one limit of 10", allowed)
	}
	// Memory limiters, by contrast, are per instance (what REDIS_URL fixes).
	m1, m2 := NewMemory(nil), NewMemory(nil)
	n := 0
	for i := range 40 {
		l := m1
		if i%2 == 1 {
			l = m2
		}
		if ok, _, _ := l.Allow(ctx, "k", rate, 1); ok {
			n++
		}
	}
	if n != 20 {
		t.Fatalf("two memory limiters allowed %d, want 10 each", n)
	}
}

// TestRedisFallsBackToMemory: with Redis unreachable, limits still hold (per instance).
func TestRedisFallsBackToMemory(t *testing.T) {
	t.Parallel()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = dead.Close() })
	l := NewRedis(dead, testPrefix(), nil)
	ctx := context.Background()
	rate := Rate{Events: 2, Period: time.Hour}
	for i := range 2 {
		if ok, _, err := l.Allow(ctx, "k", rate, 1); err != nil || !ok {
			t.Fatalf("event %d: ok=%v err=%v", i+1, ok, err)
		}
	}
	if ok, _, err := l.Allow(ctx, "k", rate, 1); err != nil || ok {
		t.Fatalf("3rd event: ok=%v err=%v, want refused by the fallback", ok, err)
	}
}

// slotsImpls returns the slot implementations to test; Redis ones share a prefix (instances).
func slotsImpls(t *testing.T) map[string][2]Slots {
	m := NewMemorySlots()
	out := map[string][2]Slots{"memory": {m, m}}
	if os.Getenv("REDIS_URL") != "" || os.Getenv("SKILLSWAP_REQUIRE_SERVICES") != "" {
		prefix := testPrefix()
		a := NewRedisSlots(redisClient(t), prefix, time.Minute, nil)
		b := NewRedisSlots(redisClient(t), prefix, time.Minute, nil)
		t.Cleanup(a.Close)
		t.Cleanup(b.Close)
		out["redis"] = [2]Slots{a, b}
	}
	return out
}

// TestSlotsCap: claims are all-or-nothing, a full key refuses, a release frees, and with Redis
// two instances share the caps.
func TestSlotsCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, pair := range slotsImpls(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			claims := func(user string) []Claim {
				return []Claim{{Key: "user:" + user, Max: 2}, {Key: "ip:1.2.3.4", Max: 3}}
			}
			var releases []func()
			for i, who := range []string{"alice", "alice", "bob"} {
				release, ok, err := pair[i%2].Acquire(ctx, claims(who))
				if err != nil || !ok {
					t.Fatalf("slot %d (%s): ok=%v err=%v", i+1, who, ok, err)
				}
				releases = append(releases, release)
			}
			// alice holds 2 of 2: refused on either instance.
			for i, s := range pair {
				if _, ok, err := s.Acquire(ctx, claims("alice")); err != nil || ok {
					t.Fatalf("instance %d: alice's 3rd slot: ok=%v err=%v, want refused", i, ok, err)
				}
			}
			// The IP holds 3 of 3: carol is refused too, and her user key was not charged.
			if _, ok, _ := pair[1].Acquire(ctx, claims("carol")); ok {
				t.Fatal("the IP's 4th slot was granted")
			}
			releases[2]() // bob leaves
			releases[2]() // twice is harmless
			release, ok, err := pair[0].Acquire(ctx, claims("carol"))
			if err != nil || !ok {
				t.Fatalf("carol after bob left: ok=%v err=%v", ok, err)
			}
			release()
			releases[0]()
			if _, ok, _ := pair[1].Acquire(ctx, claims("alice")); !ok {
				t.Fatal("alice refused after releasing a slot")
			}
		})
	}
}

// TestRedisSlotsExpireWithoutRefresh: the slots of an instance that stopped (crashed) free
// themselves after the TTL; a live instance's refresh keeps its own.
func TestRedisSlotsExpireWithoutRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prefix := testPrefix()
	ttl := 2 * time.Second // refreshed every ~670 ms: room for a loaded machine
	crashed := NewRedisSlots(redisClient(t), prefix, ttl, nil)
	live := NewRedisSlots(redisClient(t), prefix, ttl, nil)
	t.Cleanup(live.Close)
	claim := []Claim{{Key: "user:dave", Max: 2}}
	if _, ok, err := crashed.Acquire(ctx, claim); err != nil || !ok {
		t.Fatal(ok, err)
	}
	crashed.Close() // stops refreshing, never releases
	if _, ok, err := live.Acquire(ctx, claim); err != nil || !ok {
		t.Fatal(ok, err)
	}
	// Full (one crashed slot, one live). Poll with a generous deadline: once the crashed slot
	// has expired, a second live one fits.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, ok, err := live.Acquire(ctx, claim)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the crashed instance's slot is still held long after its TTL")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The live slots outlive several TTLs thanks to the refresh.
	time.Sleep(2 * ttl)
	if _, ok, _ := live.Acquire(ctx, claim); ok {
		t.Fatal("the live instance's refreshed slots expired: 3 slots under a cap of 2")
	}
}

func TestIPKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
	} {
		if got := IPKey(netip.MustParseAddr(tc.in)); got != tc.want {
			t.Errorf("IPKey(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := IPKey(netip.Addr{}); got != "unknown" {
		t.Errorf("zero address: %s", got)
	}
}

// TestForgetRestoresBudget: both implementations drop a forgotten key's state (an erased
// member's), leaving other keys alone.
func TestForgetRestoresBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rate := Rate{Events: 2, Period: time.Hour}
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, k := range []string{"gone", "kept"} {
				if ok, _, err := l.Allow(ctx, k, rate, 2); err != nil || !ok {
					t.Fatalf("%s: ok=%v err=%v", k, ok, err)
				}
			}
			if err := l.(Forgetter).Forget(ctx, "gone", "never-used"); err != nil {
				t.Fatal(err)
			}
			if ok, _, _ := l.Allow(ctx, "gone", rate, 2); !ok {
				t.Error("a forgotten key still holds its spent budget")
			}
			if ok, _, _ := l.Allow(ctx, "kept", rate, 1); ok {
				t.Error("forgetting one key restored another")
			}
		})
	}
}
