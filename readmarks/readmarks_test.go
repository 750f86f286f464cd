package readmarks_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/readmarks"
)

// TestRedisMarks: marks are shared by every client of one Redis, only ever raised, and expire.
func TestRedisMarks(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL(apitest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := redis.NewClient(opts), redis.NewClient(opts)
	defer c1.Close()
	defer c2.Close()
	prefix := "test:" + uuid.NewString() + ":rw:"
	one, two := readmarks.NewRedis(c1, prefix), readmarks.NewRedis(c2, prefix)
	ctx := context.Background()
	member := uuid.New()

	if _, ok, err := two.Get(ctx, member); err != nil || ok {
		t.Fatalf("before any write: %v %v", ok, err)
	}
	if err := one.Mark(ctx, member, 1<<40+5, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := two.Mark(ctx, member, 7, time.Minute); err != nil { // a late, older position
		t.Fatal(err)
	}
	if got, ok, err := two.Get(ctx, member); err != nil || !ok || got != 1<<40+5 {
		t.Fatalf("mark %d %v %v, want %d", got, ok, err, uint64(1<<40+5))
	}
	other := uuid.New()
	if err := one.Mark(ctx, other, 9, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, ok, err := two.Get(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("mark never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
