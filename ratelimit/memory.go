package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is a Limiter holding its state in this process: the limits of one instance alone.
// It follows redis_rate's GCRA script step for step, so a deployment behaves the same with and
// without Redis (one instance's worth).
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	tats      map[string]time.Time // theoretical arrival time of the next event, per key
	nextSweep time.Time
}

var _ Limiter = (*Memory)(nil)

// sweepEvery is how often Memory forgets keys whose budget is whole again.
const sweepEvery = time.Minute

// NewMemory returns an empty in-memory limiter. now is its clock (nil: time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, tats: map[string]time.Time{}}
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, rate Rate, cost int) (bool, time.Duration, error) {
	if !rate.Valid() {
		return true, 0, nil
	}
	emission := rate.Period / time.Duration(rate.Events)
	burstOffset := emission * time.Duration(rate.Events)
	now := m.now()

	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	tat, ok := m.tats[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(emission * time.Duration(cost))
	allowAt := newTAT.Add(-burstOffset)
	if diff := now.Sub(allowAt); diff < 0 {
		return false, -diff, nil
	}
	if newTAT.After(now) {
		m.tats[key] = newTAT
	} else {
		delete(m.tats, key) // the budget is whole: nothing to remember
	}
	return true, 0, nil
}

// sweep drops keys whose budget has refilled, so keys seen once (an IP, an email) do not
// accumulate. Called with mu held.
func (m *Memory) sweep(now time.Time) {
	if now.Before(m.nextSweep) {
		return
	}
	m.nextSweep = now.Add(sweepEvery)
	for k, tat := range m.tats {
		if !tat.After(now) {
			delete(m.tats, k)
		}
	}
}

// Len returns how many keys the limiter remembers (tests of the sweep).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tats)
}

var _ Forgetter = (*Memory)(nil)

// Forget implements Forgetter.
func (m *Memory) Forget(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.tats, k)
	}
	return nil
}
