package ratelimit

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// flightsUnderTest returns the implementations to test: memory always, Redis when configured.
func flightsUnderTest(t *testing.T) map[string]Flights {
	out := map[string]Flights{"memory": NewMemoryFlights(nil)}
	if os.Getenv("REDIS_URL") != "" || os.Getenv("SKILLSWAP_REQUIRE_SERVICES") != "" {
		out["redis"] = NewRedisFlights(redisClient(t), testPrefix(), nil)
	}
	return out
}

// TestFlightsSemantics: both implementations admit up to Max, count a batch while in flight and
// after it landed, refuse what does not fit without spending it, and share one budget per key.
func TestFlightsSemantics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Nothing stops counting during the test: a landed batch counts for an hour.
	lim := FlightLimit{Max: 10, Window: time.Hour, Flight: 2 * time.Hour}
	for name, f := range flightsUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, ok, _, err := f.Depart(ctx, "k", lim, 6)
			if err != nil || !ok {
				t.Fatalf("6 of 10: ok=%v err=%v", ok, err)
			}
			_, ok, wait, err := f.Depart(ctx, "k", lim, 5)
			if err != nil || ok {
				t.Fatalf("5 more with 4 left: ok=%v err=%v, want refused", ok, err)
			}
			// The 6 are in flight: they stop counting an hour after landing at the earliest.
			if wait < 59*time.Minute || wait > time.Hour+time.Second {
				t.Errorf("retry after %v, want about an hour", wait)
			}
			if err := f.Land(ctx, "k", lim, a); err != nil {
				t.Fatal(err)
			}
			if err := f.Land(ctx, "k", lim, "unknown"); err != nil {
				t.Fatalf("landing an unknown id: %v", err)
			}
			// Landed, they still count (for the window); the refused 5 were not spent.
			if _, ok, _, _ := f.Depart(ctx, "k", lim, 4); !ok {
				t.Fatal("4 with 4 left refused")
			}
			if _, ok, _, _ := f.Depart(ctx, "k", lim, 1); ok {
				t.Fatal("an 11th event admitted")
			}
			if _, ok, _, _ := f.Depart(ctx, "other", lim, 10); !ok {
				t.Fatal("another key was refused: keys must not share a budget")
			}
			if _, _, _, err := f.Depart(ctx, "big", lim, 11); err == nil {
				t.Fatal("a batch larger than Max accepted")
			}
		})
	}
}

// TestFlightsStopCountingAWindowAfterLanding: with a clock moved by hand, a landed batch counts
// until exactly Window after it landed, a batch in flight until Window after its deadline, and
// the wait told is the real one.
func TestFlightsStopCountingAWindowAfterLanding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewMemoryFlights(func() time.Time { return now })
	lim := FlightLimit{Max: 10, Window: time.Second, Flight: time.Minute}
	a, _, _, _ := f.Depart(ctx, "k", lim, 10)
	now = now.Add(30 * time.Millisecond)
	_ = f.Land(ctx, "k", lim, a)
	now = now.Add(500 * time.Millisecond)
	if _, ok, wait, _ := f.Depart(ctx, "k", lim, 1); ok || wait != 500*time.Millisecond+1 {
		t.Fatalf("ok=%v wait=%v, want refused until a second after landing", ok, wait)
	}
	now = now.Add(500 * time.Millisecond) // exactly a second after landing: still counts
	if _, ok, _, _ := f.Depart(ctx, "k", lim, 1); ok {
		t.Fatal("admitted exactly a second after the landing (both ends of a window count)")
	}
	now = now.Add(time.Nanosecond)
	b, ok, _, _ := f.Depart(ctx, "k", lim, 10)
	if !ok {
		t.Fatal("refused more than a second after the landing")
	}
	// Never landed: counts as landed at its deadline.
	now = now.Add(time.Minute + time.Second)
	if _, ok, _, _ := f.Depart(ctx, "k", lim, 1); ok {
		t.Fatal("a batch never landed stopped counting before deadline + window")
	}
	now = now.Add(time.Nanosecond)
	if _, ok, _, _ := f.Depart(ctx, "k", lim, 10); !ok {
		t.Fatal("a batch never landed still counts after deadline + window")
	}
	_ = f.Land(ctx, "k", lim, b) // late: changes nothing
}

// TestFlightsBoundEveryPossibleArrival simulates senders against MemoryFlights on a virtual
// clock with random batch sizes, latencies and pauses, and checks the property itself: a batch
// may reach the server at any instant between its departure and its landing, and however those
// instants are chosen no window of Window holds more than Max. It also checks that a sender
// with no latency is held to nothing less than the cap.
func TestFlightsBoundEveryPossibleArrival(t *testing.T) {
	t.Parallel()
	lim := FlightLimit{Max: 600, Window: time.Second, Flight: time.Minute}
	for _, tc := range []struct {
		name              string
		senders           int
		maxLatency, pause time.Duration
		sizes             []int
	}{
		{"one sender, no latency", 1, 0, 0, []int{100}},
		{"two instances, latency", 2, 80 * time.Millisecond, 20 * time.Millisecond, []int{100}},
		{"many senders, mixed sizes", 7, 300 * time.Millisecond, 50 * time.Millisecond, []int{100, 1, 37, 64, 100, 99}},
		{"a few never land", 3, 40 * time.Millisecond, 0, []int{100, 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rnd := rand.New(rand.NewPCG(7, uint64(tc.senders)))
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			start := now
			f := NewMemoryFlights(func() time.Time { return now })
			ctx := context.Background()
			type batch struct {
				depart, land time.Time
				n            int
			}
			var batches []batch
			q := &events{}
			for i := range tc.senders {
				heap.Push(q, event{at: now, sender: i})
			}
			for len(batches) < 600 {
				e := heap.Pop(q).(event)
				now = e.at
				if e.id != "" { // a landing
					_ = f.Land(ctx, "k", lim, e.id)
					batches[e.batch].land = now
					heap.Push(q, event{at: now.Add(time.Duration(rnd.Int64N(int64(tc.pause) + 1))), sender: e.sender})
					continue
				}
				n := tc.sizes[rnd.IntN(len(tc.sizes))]
				id, ok, wait, err := f.Depart(ctx, "k", lim, n)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					if wait <= 0 {
						t.Fatalf("refused with a wait of %v", wait)
					}
					heap.Push(q, event{at: now.Add(wait), sender: e.sender})
					continue
				}
				b := batch{depart: now, n: n}
				if tc.name == "a few never land" && rnd.IntN(20) == 0 {
					// Its sender died: it counts as landed at its deadline.
					b.land = now.Add(lim.Flight)
					batches = append(batches, b)
					heap.Push(q, event{at: now, sender: e.sender})
					continue
				}
				batches = append(batches, b)
				heap.Push(q, event{at: now.Add(time.Duration(rnd.Int64N(int64(tc.maxLatency) + 1))), sender: e.sender, id: id, batch: len(batches) - 1})
			}
			// The worst placement: a window [x, x+Window] meets batch i when depart_i <=
			// x+Window and land_i >= x; the count only drops right after some land_j, so the
			// maximum is at one of them.
			for i := range batches {
				if batches[i].land.IsZero() {
					batches[i].land = batches[i].depart.Add(lim.Flight) // still flying at the end
				}
			}
			worst := 0
			for _, w := range batches {
				sum := 0
				for _, b := range batches {
					if !b.depart.After(w.land.Add(lim.Window)) && !b.land.Before(w.land) {
						sum += b.n
					}
				}
				worst = max(worst, sum)
			}
			if worst > lim.Max {
				t.Fatalf("%d events could arrive within one window, cap %d", worst, lim.Max)
			}
			if tc.maxLatency == 0 && tc.pause == 0 {
				// Back to back with no latency: the cap per window (and a nanosecond).
				last, before := batches[len(batches)-1].depart, 0
				for _, b := range batches {
					if b.depart.Before(last) {
						before += b.n
					}
				}
				perWindow := float64(before) * float64(lim.Window) / float64(last.Sub(start))
				if perWindow < float64(lim.Max)*0.999 {
					t.Fatalf("sustained %.1f per window, want the cap %d", perWindow, lim.Max)
				}
			}
		})
	}
}

// event is a sender's next step in TestFlightsBoundEveryPossibleArrival: depart, or (id set)
// land the batch it sent.
type event struct {
	at     time.Time
	sender int
	id     string
	batch  int
}

type events []event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].sender < e[j].sender
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}
