package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/sethvargo/go-limiter"
	"github.com/sethvargo/go-limiter/memorystore"

	"github.com/skillswap/skillswap/domain"
)

// Rate is a token bucket: Tokens attempts per Interval.
type Rate struct {
	Tokens   uint64
	Interval time.Duration
}

// RateLimits configures throttling of credential endpoints.
type RateLimits struct {
	LogInPerAccount Rate
	LogInPerIP      Rate
	SignUpPerIP     Rate
	RefreshPerIP    Rate
}

// DefaultRateLimits are the production defaults.
var DefaultRateLimits = RateLimits{
	LogInPerAccount: Rate{Tokens: 10, Interval: 15 * time.Minute},
	LogInPerIP:      Rate{Tokens: 100, Interval: 15 * time.Minute},
	SignUpPerIP:     Rate{Tokens: 20, Interval: time.Hour},
	RefreshPerIP:    Rate{Tokens: 600, Interval: time.Hour},
}

// limiters holds one keyed token-bucket store per limit. The buckets live in this instance's
// memory: with N instances behind a balancer the effective limit is up to N times higher.
type limiters struct {
	logInAccount, logInIP, signUpIP, refreshIP limiter.Store
}

func newLimiters(r RateLimits) (*limiters, error) {
	mk := func(rate Rate) (limiter.Store, error) {
		return memorystore.New(&memorystore.Config{Tokens: rate.Tokens, Interval: rate.Interval})
	}
	var l limiters
	var err error
	if l.logInAccount, err = mk(r.LogInPerAccount); err != nil {
		return nil, fmt.Errorf("login account limiter: %w", err)
	}
	if l.logInIP, err = mk(r.LogInPerIP); err != nil {
		return nil, fmt.Errorf("login ip limiter: %w", err)
	}
	if l.signUpIP, err = mk(r.SignUpPerIP); err != nil {
		return nil, fmt.Errorf("signup ip limiter: %w", err)
	}
	if l.refreshIP, err = mk(r.RefreshPerIP); err != nil {
		return nil, fmt.Errorf("refresh ip limiter: %w", err)
	}
	return &l, nil
}

func (l *limiters) close(ctx context.Context) {
	for _, s := range []limiter.Store{l.logInAccount, l.logInIP, l.signUpIP, l.refreshIP} {
		_ = s.Close(ctx)
	}
}

// take spends one token of key in s, or returns RATE_LIMITED with the time to wait.
func take(ctx context.Context, s limiter.Store, key string, now time.Time) error {
	_, _, reset, ok, err := s.Take(ctx, key)
	if err != nil {
		return fmt.Errorf("rate limiter: %w", err)
	}
	if ok {
		return nil
	}
	wait := time.Unix(0, int64(reset)).Sub(now)
	if wait < time.Second {
		wait = time.Second
	}
	return domain.RateLimited(wait)
}

// check returns RATE_LIMITED when key has no token left in s, without spending one; failures are
// then charged with take. Per-account log-in limits count failed attempts only, so a member who
// logs in on many devices is never locked out by their own successes.
func check(ctx context.Context, s limiter.Store, rate Rate, key string) error {
	tokens, remaining, err := s.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("rate limiter: %w", err)
	}
	if tokens == 0 || remaining > 0 { // no bucket yet, or tokens left
		return nil
	}
	// Time for one token to refill.
	wait := max(rate.Interval/time.Duration(rate.Tokens), time.Second)
	return domain.RateLimited(wait)
}
