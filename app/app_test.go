package app_test

import (
	"context"
	"log/slog"
	"net"
	"testing"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/internal/apitest"
)

// TestStartFailsCleanlyWithoutRedis: an unreachable REDIS_URL is an error from New, not a panic
// while it closes what it had opened (a nil *Redis once reached Close through the interface).
func TestStartFailsCleanlyWithoutRedis(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	cfg := apitest.Config(t)
	cfg.RedisURL = "redis://" + addr + "/0"
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), app.Options{})
	if err == nil {
		a.Close(context.Background())
		t.Fatal("New succeeded with an unreachable Redis")
	}
}
