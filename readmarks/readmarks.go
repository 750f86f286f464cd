// Package readmarks keeps members' write positions (store.WriteMarks) in Redis, so that
// read-your-writes holds whichever instance serves a member's next request.
package readmarks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/skillswap/skillswap/store"
)

// Redis is store.WriteMarks in Redis: one key per member with a TTL, raised only (two instances
// marking at once keep the higher position).
type Redis struct {
	client redis.UniversalClient
	prefix string
}

var _ store.WriteMarks = (*Redis)(nil)

// NewRedis returns marks stored under prefix in client.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// raise sets KEYS[1] to ARGV[1] unless it holds a higher number, with a TTL of ARGV[2] ms. LSNs
// stay below 2^53 (8 PiB of WAL), exact in Lua's numbers.
var raise = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// Mark implements store.WriteMarks.
func (r *Redis) Mark(ctx context.Context, member uuid.UUID, lsn store.LSN, ttl time.Duration) error {
	err := raise.Run(ctx, r.client, []string{r.prefix + member.String()},
		strconv.FormatUint(uint64(lsn), 10), ttl.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("mark write position: %w", err)
	}
	return nil
}

// Get implements store.WriteMarks.
func (r *Redis) Get(ctx context.Context, member uuid.UUID) (store.LSN, bool, error) {
	v, err := r.client.Get(ctx, r.prefix+member.String()).Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read write position: %w", err)
	}
	return store.LSN(v), true, nil
}
