package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Flights caps how many events may reach a remote party (Expo's push service) within any
// window of time as measured by the remote party's clock, which no sender can read.
//
// A rate limiter deciding on the sender's clock cannot promise that: a request's arrival lags
// its admission by a latency that varies, so two batches admitted a second apart may arrive
// closer together. Flights instead counts each batch from its admission (before the request
// leaves) until Window after it lands (after its answer came back), which brackets the instant
// the remote party stamped it whatever the latency was. The rule: n more events may depart at
// T when the events still in flight plus those landed at or after T − Window, plus n, are at
// most Max. Proof: a batch left out landed before T − Window, so it arrived before then; the new
// batch arrives after T; they are more than Window apart, and no window of that length holds
// both. So at most Max arrive in any window, by the remote's clock (assuming only that it runs
// at the rate of ours), with any latency, any number of senders and any batch sizes.
//
// The price is the round trip: a steady sender gets Max events per Window + round trip, not per
// Window. A batch never landed (its sender died) counts as landed at its deadline, Flight after
// it departed; senders must give up on a batch by then (Slot deadlines in package push).
//
// Implementations: MemoryFlights (one instance), RedisFlights (every instance, Redis's clock).
type Flights interface {
	// Depart admits n events under key if they fit the limit, returning the batch's id to
	// Land; otherwise it admits nothing and says how long to wait before they might (at least
	// until then they cannot).
	Depart(ctx context.Context, key string, lim FlightLimit, n int) (id string, ok bool, retryAfter time.Duration, err error)
	// Land records that batch id was answered (or given up on): its events count for one more
	// Window from now. Landing an unknown or already landed id does nothing.
	Land(ctx context.Context, key string, lim FlightLimit, id string) error
}

// FlightLimit is at most Max events arriving within any Window; a batch not landed within
// Flight of its departure counts as landed then.
type FlightLimit struct {
	Max    int
	Window time.Duration
	Flight time.Duration
}

func (l FlightLimit) check(n int) error {
	if l.Max <= 0 || l.Window <= 0 || l.Flight <= 0 {
		return fmt.Errorf("flights: invalid limit %+v", l)
	}
	if n <= 0 || n > l.Max {
		return fmt.Errorf("flights: %d events at once, limit %d", n, l.Max)
	}
	return nil
}

// flight is one batch in MemoryFlights.
type flight struct {
	id       string
	n        int
	deadline time.Time // when it counts as landed if not landed before
	landed   time.Time // zero while in flight
}

// MemoryFlights keeps flights in this process: the limit of one instance.
type MemoryFlights struct {
	now func() time.Time

	mu   sync.Mutex
	keys map[string][]flight
	seq  uint64
}

var _ Flights = (*MemoryFlights)(nil)

// NewMemoryFlights returns empty in-memory flights; now is the clock (nil: time.Now, whose
// monotonic reading makes the order of departures and landings that of real time).
func NewMemoryFlights(now func() time.Time) *MemoryFlights {
	if now == nil {
		now = time.Now
	}
	return &MemoryFlights{now: now, keys: map[string][]flight{}}
}

// Depart implements Flights.
func (m *MemoryFlights) Depart(_ context.Context, key string, lim FlightLimit, n int) (string, bool, time.Duration, error) {
	if err := lim.check(n); err != nil {
		return "", false, 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	fs := m.keys[key][:0:0]
	used := 0
	for _, f := range m.keys[key] {
		if f.landed.IsZero() && f.deadline.Before(now) {
			f.landed = f.deadline
		}
		if !f.landed.IsZero() && f.landed.Before(now.Add(-lim.Window)) {
			continue // landed more than Window ago: no longer counts
		}
		fs = append(fs, f)
		used += f.n
	}
	if used+n <= lim.Max {
		m.seq++
		id := strconv.FormatUint(m.seq, 36)
		m.keys[key] = append(fs, flight{id: id, n: n, deadline: now.Add(lim.Flight)})
		return id, true, 0, nil
	}
	if len(fs) == 0 {
		delete(m.keys, key)
	} else {
		m.keys[key] = fs
	}
	return "", false, flightWait(fs, used+n-lim.Max, now, lim.Window), nil
}

// flightWait is how long until need events stop counting: landed batches free Window after
// landing, oldest first; batches in flight at the earliest Window from now.
func flightWait(fs []flight, need int, now time.Time, window time.Duration) time.Duration {
	free := make([]time.Time, 0, len(fs))
	for _, f := range fs {
		if f.landed.IsZero() {
			free = append(free, now.Add(window+1))
		} else {
			free = append(free, f.landed.Add(window+1))
		}
	}
	order := make([]int, len(fs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return free[a].Compare(free[b]) })
	for _, i := range order {
		if need -= fs[i].n; need <= 0 {
			return free[i].Sub(now)
		}
	}
	return window + 1
}

// Land implements Flights.
func (m *MemoryFlights) Land(_ context.Context, key string, _ FlightLimit, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for i, f := range m.keys[key] {
		if f.id == id && f.landed.IsZero() {
			// A batch landing after its deadline already counts as landed then.
			m.keys[key][i].landed = minTime(now, f.deadline)
		}
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// RedisFlights keeps flights in Redis, shared by every instance, and times them with Redis's
// clock (TIME inside the scripts), so instances' clocks may disagree. Each key is two sorted
// sets of "<id>:<n>" members: in flight (scored by deadline) and landed (scored by landing), in
// microseconds.
//
// While Redis cannot be reached, flights are counted in memory (per instance) instead, like the
// other limits: an outage loosens the limit to one per instance rather than stopping sends.
type RedisFlights struct {
	client   redis.UniversalClient
	prefix   string
	instance string
	fallback *MemoryFlights
	warn     *warner

	mu  sync.Mutex
	seq uint64
}

var _ Flights = (*RedisFlights)(nil)

// NewRedisFlights returns flights over client with keys under prefix.
func NewRedisFlights(client redis.UniversalClient, prefix string, log *slog.Logger) *RedisFlights {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &RedisFlights{client: client, prefix: prefix, instance: hex.EncodeToString(b),
		fallback: NewMemoryFlights(nil), warn: newWarner(log)}
}

// departScript: KEYS[1] in flight, KEYS[2] landed; ARGV n, max, window µs, flight µs, member.
// It moves flights past their deadline to landed (at the deadline), forgets batches landed
// before now − window, and admits n if they fit; else it returns how long until enough events
// stop counting (landed ones Window after landing, oldest first; in-flight ones at the earliest
// Window from now). Scores are integer microseconds passed as numbers (exact up to 2^53), so
// "< x" is "<= x − 1".
var departScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n, max, window, flight = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local late = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - 1, 'WITHSCORES')
for i = 1, #late, 2 do
  redis.call('ZADD', KEYS[2], tonumber(late[i + 1]), late[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window - 1)
local function size(m) return tonumber(string.match(m, ':(%d+)$')) end
local used = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do used = used + size(m) end
local landed = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #landed, 2 do used = used + size(landed[i]) end
if used + n <= max then
  redis.call('ZADD', KEYS[1], now + flight, ARGV[5] .. ':' .. ARGV[1])
  local ttl = math.ceil((flight + window) / 1000) + 1000
  redis.call('PEXPIRE', KEYS[1], ttl)
  if #landed > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  return {1, 0}
end
local need = used + n - max
for i = 1, #landed, 2 do
  need = need - size(landed[i])
  if need <= 0 then return {0, tonumber(landed[i + 1]) + window + 1 - now} end
end
return {0, window + 1}
`)

// landScript: KEYS[1] in flight, KEYS[2] landed; ARGV member, window µs, flight µs. A member
// still in flight moves to landed at Redis's now (after the answer came back).
var landScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not deadline then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], math.min(now, tonumber(deadline)), ARGV[1])
redis.call('PEXPIRE', KEYS[2], math.ceil((tonumber(ARGV[2]) + tonumber(ARGV[3])) / 1000) + 1000)
return 1
`)

// memoryID marks the ids of batches admitted by the outage fallback.
const memoryID = "m:"

func (r *RedisFlights) keys(key string) []string {
	return []string{r.prefix + key + ":flying", r.prefix + key + ":landed"}
}

// Depart implements Flights.
func (r *RedisFlights) Depart(ctx context.Context, key string, lim FlightLimit, n int) (string, bool, time.Duration, error) {
	if err := lim.check(n); err != nil {
		return "", false, 0, err
	}
	r.mu.Lock()
	r.seq++
	id := r.instance + "-" + strconv.FormatUint(r.seq, 36)
	r.mu.Unlock()
	res, err := departScript.Run(ctx, r.client, r.keys(key), n, lim.Max, lim.Window.Microseconds(),
		lim.Flight.Microseconds(), id).Int64Slice()
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return "", false, 0, err
		}
		r.warn.warn(ctx, "flights: Redis unreachable, counting in memory", err)
		id, ok, wait, err := r.fallback.Depart(ctx, key, lim, n)
		return memoryID + id, ok, wait, err
	}
	if len(res) != 2 {
		return "", false, 0, fmt.Errorf("flights: unexpected answer %v", res)
	}
	if res[0] == 1 {
		return id + ":" + strconv.Itoa(n), true, 0, nil
	}
	return "", false, time.Duration(res[1]) * time.Microsecond, nil
}

// Land implements Flights. A landing Redis does not hear of leaves the batch counting until its
// deadline (it errs on the strict side).
func (r *RedisFlights) Land(ctx context.Context, key string, lim FlightLimit, id string) error {
	if rest, ok := strings.CutPrefix(id, memoryID); ok {
		return r.fallback.Land(ctx, key, lim, rest)
	}
	if err := landScript.Run(ctx, r.client, r.keys(key), id, lim.Window.Microseconds(), lim.Flight.Microseconds()).Err(); err != nil {
		return fmt.Errorf("flights: land: %w", err)
	}
	return nil
}
