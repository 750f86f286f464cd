package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Claim asks for one slot under Key, of which at most Max may be held at once.
type Claim struct {
	Key string
	Max int
}

// Slots caps how many of something (open WebSocket connections) a key may hold at once.
// Implementations: MemorySlots, RedisSlots.
type Slots interface {
	// Acquire takes one slot under every claim, or none if some claim's key already holds its
	// Max (ok false). release gives the slots back; it is safe to call more than once.
	Acquire(ctx context.Context, claims []Claim) (release func(), ok bool, err error)
}

// MemorySlots counts slots in this process: the caps of one instance alone.
type MemorySlots struct {
	mu   sync.Mutex
	held map[string]int
}

var _ Slots = (*MemorySlots)(nil)

// NewMemorySlots returns empty in-memory slots.
func NewMemorySlots() *MemorySlots { return &MemorySlots{held: map[string]int{}} }

// Acquire implements Slots.
func (m *MemorySlots) Acquire(_ context.Context, claims []Claim) (func(), bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range claims {
		if c.Max > 0 && m.held[c.Key] >= c.Max {
			return func() {}, false, nil
		}
	}
	for _, c := range claims {
		m.held[c.Key]++
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, c := range claims {
				if m.held[c.Key]--; m.held[c.Key] <= 0 {
					delete(m.held, c.Key)
				}
			}
		})
	}, true, nil
}

// Held returns how many slots key holds (tests).
func (m *MemorySlots) Held(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.held[key]
}

// RedisSlots keeps slots in Redis, shared by every instance: each key is a sorted set of slot
// ids scored by when they expire. The instance holding a slot pushes its expiry forward every
// TTL/3 while it is held, so the slots of a crashed instance (or a lost release) free
// themselves within TTL instead of leaking forever.
//
// While Redis cannot be reached, slots are counted in memory (per instance) instead.
type RedisSlots struct {
	client   redis.UniversalClient
	prefix   string
	ttl      time.Duration
	instance string
	fallback *MemorySlots
	warn     *warner

	mu   sync.Mutex
	held map[string][]string // slot id -> its Redis keys
	seq  uint64
	stop chan struct{}
	done chan struct{}
}

var _ Slots = (*RedisSlots)(nil)

// acquireScript takes a slot under every key (KEYS) or none: it drops expired slots, refuses
// with the 1-based index of the first full key, else adds ARGV[1] to every set with expiry
// now+ARGV[2] ms. ARGV[3..] are the maxima. Redis's clock is used, so instances' clocks may
// disagree.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local max = tonumber(ARGV[2 + i])
  if max > 0 and redis.call('ZCARD', key) >= max then
    return i
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[1])
  redis.call('PEXPIRE', key, ttl)
end
return 0
`)

// refreshScript pushes the expiry of slots forward: KEYS[i] holds slot ARGV[i+1]; ARGV[1] is
// the TTL in ms. Only slots still present are touched (XX): one released while the refresh was
// on its way must not come back. A slot that expired meanwhile (Redis was away) stays out, which
// errs on the lenient side until its connection ends.
var refreshScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if redis.call('ZSCORE', key, ARGV[i + 1]) then
    redis.call('ZADD', key, 'XX', now + ttl, ARGV[i + 1])
    redis.call('PEXPIRE', key, ttl)
  end
end
return 0
`)

// refreshBatch bounds the slots refreshed by one script call (a script blocks Redis).
const refreshBatch = 256

// NewRedisSlots returns slots over client with keys under prefix, expiring ttl after the last
// refresh (0: one minute). Close stops the refreshing.
func NewRedisSlots(client redis.UniversalClient, prefix string, ttl time.Duration, log *slog.Logger) *RedisSlots {
	if ttl <= 0 {
		ttl = time.Minute
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	s := &RedisSlots{
		client: client, prefix: prefix, ttl: ttl, instance: hex.EncodeToString(b),
		fallback: NewMemorySlots(), warn: newWarner(log),
		held: map[string][]string{}, stop: make(chan struct{}), done: make(chan struct{}),
	}
	go s.refreshLoop()
	return s
}

// Acquire implements Slots.
func (s *RedisSlots) Acquire(ctx context.Context, claims []Claim) (func(), bool, error) {
	keys := make([]string, 0, len(claims))
	args := make([]any, 0, len(claims)+2)
	s.mu.Lock()
	s.seq++
	id := s.instance + ":" + strconv.FormatUint(s.seq, 36)
	s.mu.Unlock()
	args = append(args, id, s.ttl.Milliseconds())
	for _, c := range claims {
		keys = append(keys, s.prefix+c.Key)
		args = append(args, c.Max)
	}
	full, err := acquireScript.Run(ctx, s.client, keys, args...).Int()
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return func() {}, false, err
		}
		s.warn.warn(ctx, "connection caps: Redis unreachable, counting in memory", err)
		return s.fallback.Acquire(ctx, claims)
	}
	if full != 0 {
		return func() {}, false, nil
	}
	s.mu.Lock()
	s.held[id] = keys
	s.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { s.release(id, keys) }) }, true, nil
}

func (s *RedisSlots) release(id string, keys []string) {
	s.mu.Lock()
	delete(s.held, id)
	s.mu.Unlock()
	// A failed release is not retried: the slot expires within the TTL on its own.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pipe := s.client.Pipeline()
	for _, k := range keys {
		pipe.ZRem(ctx, k, id)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		s.warn.warn(ctx, "connection caps: release slot", err)
	}
}

func (s *RedisSlots) refreshLoop() {
	defer close(s.done)
	t := time.NewTicker(s.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.refresh()
		}
	}
}

// refresh pushes forward the expiry of every slot this instance holds, in batches.
func (s *RedisSlots) refresh() {
	s.mu.Lock()
	var keys []string
	var ids []any
	for id, ks := range s.held {
		for _, k := range ks {
			keys = append(keys, k)
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), s.ttl/3)
	defer cancel()
	for start := 0; start < len(keys); start += refreshBatch {
		end := min(start+refreshBatch, len(keys))
		args := append([]any{s.ttl.Milliseconds()}, ids[start:end]...)
		if err := refreshScript.Run(ctx, s.client, keys[start:end], args...).Err(); err != nil {
			s.warn.warn(ctx, "connection caps: refresh slots", err)
			return
		}
	}
}

// Close stops refreshing; slots still held expire within the TTL.
func (s *RedisSlots) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}
