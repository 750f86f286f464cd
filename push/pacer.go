package push

import (
	"context"
	"fmt"
	"time"

	"github.com/skillswap/skillswap/ratelimit"
)

// Limiter is the rate limiter the pacer spends from (ratelimit.Memory, or ratelimit.Redis
// shared by every instance).
type Limiter interface {
	Allow(ctx context.Context, key string, rate ratelimit.Rate, cost int) (ok bool, retryAfter time.Duration, err error)
}

// PacerKey is the limiter key of the project's push budget: one for every instance.
const PacerKey = "push:expo:project"

// PaceRate turns a cap of perSecond notifications in any one-second window into the GCRA rate the
// pacer enforces and the largest batch it lets through at once. GCRA lets a full burst go at once
// and then refills at its rate, so what it admits in any window of one second is at most burst +
// rate × 1 s: the burst is one batch (at most 100, Expo's batch size) and the rate the rest of
// the cap. With 600/s: batches of 100 every 200 ms, 500 per second sustained, and never more than
// 600 in any second however the window is placed (a GCRA of 600/s with a burst of 600 would
// admit up to 1,200 in one second).
func PaceRate(perSecond int) (rate ratelimit.Rate, batch int) {
	if perSecond < 2 {
		perSecond = 2
	}
	batch = min(MaxMessages, perSecond/2)
	refill := perSecond - batch
	// batch events per the time the refill takes to earn them.
	return ratelimit.Rate{Events: batch, Period: time.Duration(batch) * time.Second / time.Duration(refill)}, batch
}

// Pacer spends the project's push budget before each batch, waiting for it when spent.
type Pacer struct {
	limiter Limiter
	rate    ratelimit.Rate
	batch   int
	sleep   func(context.Context, time.Duration) error
}

// NewPacer paces to perSecond notifications per second over limiter; sleep waits (nil: Sleep).
func NewPacer(limiter Limiter, perSecond int, sleep func(context.Context, time.Duration) error) *Pacer {
	rate, batch := PaceRate(perSecond)
	if sleep == nil {
		sleep = Sleep
	}
	return &Pacer{limiter: limiter, rate: rate, batch: batch, sleep: sleep}
}

// Batch is the most messages one Wait may cover.
func (p *Pacer) Batch() int { return p.batch }

// Wait returns once n messages (at most Batch) may be sent, or ctx's error.
func (p *Pacer) Wait(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	if n > p.batch {
		return fmt.Errorf("push pacer: %d messages at once, at most %d", n, p.batch)
	}
	for {
		ok, wait, err := p.limiter.Allow(ctx, PacerKey, p.rate, n)
		if err != nil {
			return fmt.Errorf("push pacer: %w", err)
		}
		if ok {
			return nil
		}
		if err := p.sleep(ctx, max(wait, time.Millisecond)); err != nil {
			return err
		}
	}
}
