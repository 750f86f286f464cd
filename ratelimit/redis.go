package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis is a Limiter whose state lives in Redis, shared by every instance using the same
// Redis: N instances enforce one limit. It is github.com/go-redis/redis_rate (GCRA in a Lua
// script, one key per limited thing, expiring when its budget is whole again).
//
// While Redis cannot be reached, decisions fall back to an in-memory limiter: limits hold per
// instance for the outage instead of vanishing, and nothing is refused because Redis is down.
type Redis struct {
	rl       *redis_rate.Limiter
	prefix   string
	fallback *Memory
	warn     *warner
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a limiter over client. prefix namespaces its keys (redis_rate adds "rate:"
// before it), so tests and deployments sharing a Redis do not share budgets.
func NewRedis(client redis.UniversalClient, prefix string, log *slog.Logger) *Redis {
	return &Redis{rl: redis_rate.NewLimiter(client), prefix: prefix, fallback: NewMemory(nil), warn: newWarner(log)}
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, rate Rate, cost int) (bool, time.Duration, error) {
	if !rate.Valid() {
		return true, 0, nil
	}
	res, err := r.rl.AllowN(ctx, r.prefix+key, redis_rate.Limit{Rate: rate.Events, Burst: rate.Events, Period: rate.Period}, cost)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return false, 0, err
		}
		r.warn.warn(ctx, "rate limiter: Redis unreachable, limiting in memory", err)
		return r.fallback.Allow(ctx, key, rate, cost)
	}
	if res.Allowed == 0 && cost > 0 {
		return false, res.RetryAfter, nil
	}
	return true, 0, nil
}

var _ Forgetter = (*Redis)(nil)

// Forget implements Forgetter: the keys are deleted in Redis and in the outage fallback.
func (r *Redis) Forget(ctx context.Context, keys ...string) error {
	_ = r.fallback.Forget(ctx, keys...)
	for _, k := range keys {
		if err := r.rl.Reset(ctx, r.prefix+k); err != nil {
			return fmt.Errorf("forget rate-limit key: %w", err)
		}
	}
	return nil
}
