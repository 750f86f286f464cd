package push

import (
	"context"
	"fmt"
	"time"

	"github.com/skillswap/skillswap/ratelimit"
)

// Flights is the limiter the pacer spends from (ratelimit.MemoryFlights, or
// ratelimit.RedisFlights shared by every instance).
type Flights interface {
	Depart(ctx context.Context, key string, lim ratelimit.FlightLimit, n int) (id string, ok bool, retryAfter time.Duration, err error)
	Land(ctx context.Context, key string, lim ratelimit.FlightLimit, id string) error
}

// PacerKey is the limiter key of the project's push budget: one for every instance.
const PacerKey = "push:expo:project"

// MaxFlight is how long a batch may take, from leaving the pacer to Expo's last answer (four
// attempts of at most 15 s and 7 s of backoff fit): a batch whose sender died counts as
// answered then.
const MaxFlight = 90 * time.Second

// PaceLimit is the limit the pacer keeps for a cap of perSecond notifications in any window of
// one second at Expo: every batch counts from when it leaves until a second after Expo
// answered (see ratelimit.Flights for why that holds whatever the latency). A steady sender
// reaches perSecond per (1 s + round trip) whatever the batch size, so batches stay at Expo's
// 100 (or the cap when smaller).
func PaceLimit(perSecond int) (lim ratelimit.FlightLimit, batch int) {
	perSecond = max(perSecond, 1)
	return ratelimit.FlightLimit{Max: perSecond, Window: time.Second, Flight: MaxFlight}, min(MaxMessages, perSecond)
}

// Pacer admits batches of pushes so that Expo never receives more than the project's cap in
// any one-second window, counting across instances when its Flights is shared.
type Pacer struct {
	flights Flights
	lim     ratelimit.FlightLimit
	batch   int
	sleep   func(context.Context, time.Duration) error
	now     func() time.Time
}

// NewPacer paces to perSecond notifications in any second over flights; sleep waits (nil:
// Sleep).
func NewPacer(flights Flights, perSecond int, sleep func(context.Context, time.Duration) error) *Pacer {
	lim, batch := PaceLimit(perSecond)
	if sleep == nil {
		sleep = Sleep
	}
	return &Pacer{flights: flights, lim: lim, batch: batch, sleep: sleep, now: time.Now}
}

// Batch is the most messages one Wait may cover.
func (p *Pacer) Batch() int { return p.batch }

// Slot is a batch's admission. Its sender sends the batch before Deadline (give up by then:
// afterwards the batch no longer counts) and then calls Land, once the answer is in.
type Slot struct {
	p        *Pacer
	id       string
	Deadline time.Time
}

// Wait returns once n messages (at most Batch) may leave, or ctx's error.
func (p *Pacer) Wait(ctx context.Context, n int) (*Slot, error) {
	if n <= 0 || n > p.batch {
		return nil, fmt.Errorf("push pacer: %d messages at once, 1 to %d", n, p.batch)
	}
	for {
		// Taken before asking, so the deadline is never after the one the limiter keeps.
		asked := p.now()
		id, ok, wait, err := p.flights.Depart(ctx, PacerKey, p.lim, n)
		if err != nil {
			return nil, fmt.Errorf("push pacer: %w", err)
		}
		if ok {
			return &Slot{p: p, id: id, Deadline: asked.Add(p.lim.Flight)}, nil
		}
		if err := p.sleep(ctx, max(wait, 100*time.Microsecond)); err != nil {
			return nil, err
		}
	}
}

// Land records that Expo answered the batch (or that its sender gave up); from then it counts
// for one more second. Call it after the last attempt, success or not. A landing the limiter
// could not record leaves the batch counting until its deadline: stricter, never looser.
func (s *Slot) Land(ctx context.Context) error {
	if err := s.p.flights.Land(context.WithoutCancel(ctx), PacerKey, s.p.lim, s.id); err != nil {
		return fmt.Errorf("push pacer: %w", err)
	}
	return nil
}
