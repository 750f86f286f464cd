// Package ratelimit is the one way the server limits how often something may happen (log-ins,
// sign-ups, refreshes, messages, complexity points), how many of something a caller may hold
// at once (open WebSocket connections), and how much may reach a third party with a cap of its
// own within any window of its clock (Flights: Expo's pushes per second).
//
// Both come in two implementations with the same semantics: Redis-backed, shared by every
// instance, when REDIS_URL is set (so N instances enforce one limit, not N), and in memory
// otherwise. Rates are GCRA (the generic cell-rate algorithm, a token bucket kept as one
// timestamp per key): the Redis limiter is github.com/go-redis/redis_rate, the memory one a
// transcription of its script.
package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/skillswap/skillswap/domain"
)

// Rate allows Events per Period, all of them at once if they come in a burst.
type Rate struct {
	Events int
	Period time.Duration
}

// Valid reports whether r can be enforced (a zero Rate means "no limit" to Take).
func (r Rate) Valid() bool { return r.Events > 0 && r.Period > 0 }

// Limiter decides whether events may happen now under a rate. Implementations: Memory, Redis.
type Limiter interface {
	// Allow spends cost events of key's budget under rate if all of them fit, and otherwise
	// spends nothing and says how long to wait until they would. A negative cost gives events
	// back (a reservation that turned out not to count).
	Allow(ctx context.Context, key string, rate Rate, cost int) (ok bool, retryAfter time.Duration, err error)
}

// Take spends cost events of key under rate, or returns RATE_LIMITED with the time to wait
// (at least a second, the unit clients are told). A nil limiter or an invalid rate limits
// nothing.
func Take(ctx context.Context, l Limiter, key string, rate Rate, cost int) error {
	if l == nil || !rate.Valid() {
		return nil
	}
	ok, wait, err := l.Allow(ctx, key, rate, cost)
	if err != nil {
		return fmt.Errorf("rate limit %s: %w", key, err)
	}
	if ok {
		return nil
	}
	return domain.RateLimited(max(wait, time.Second))
}

// Give returns cost events to key's budget (see Limiter.Allow), ignoring failures: it only ever
// makes a limit more lenient.
func Give(ctx context.Context, l Limiter, key string, rate Rate, cost int) {
	if l == nil || !rate.Valid() || cost <= 0 {
		return
	}
	_, _, _ = l.Allow(ctx, key, rate, -cost)
}

// IPKey is the part of a rate-limit key naming a client address: the address itself for IPv4,
// its /64 network for IPv6 (one subscriber usually holds a whole /64, so limiting single IPv6
// addresses would limit nothing). The zero address (unknown) is "unknown".
func IPKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return "unknown"
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, err := ip.Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return ip.String()
}

// logEvery is how often a degraded limiter repeats its warning.
const logEvery = time.Minute

// warner logs a warning at most once per logEvery.
type warner struct {
	log  *slog.Logger
	last time.Time
	mu   chan struct{}
}

func newWarner(log *slog.Logger) *warner {
	if log == nil {
		log = slog.Default()
	}
	return &warner{log: log, mu: make(chan struct{}, 1)}
}

func (w *warner) warn(ctx context.Context, msg string, err error) {
	select {
	case w.mu <- struct{}{}:
	default:
		return // another goroutine is logging this very moment
	}
	defer func() { <-w.mu }()
	if now := time.Now(); now.Sub(w.last) >= logEvery {
		w.last = now
		w.log.WarnContext(ctx, msg, "err", err)
	}
}

// Forgetter drops the state of limited keys, so nothing keyed on an erased member (their id, a
// digest of their email) outlives their account; the keys would otherwise expire on their own
// once their budget is whole again.
type Forgetter interface {
	Forget(ctx context.Context, keys ...string) error
}
