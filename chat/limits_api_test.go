package chat_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestAPIMessagesRateLimitedPerMember: a member's sends are limited over all conversations and
// instances (two servers sharing Redis); the other member is not affected.
func TestAPIMessagesRateLimitedPerMember(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RedisURL = apitest.RedisURL(t)
	cfg.RateMessagesUser.Tokens, cfg.RateMessagesUser.Interval = 3, time.Hour
	a := apitest.Start(t, cfg)
	cfgB := a.Config
	cfgB.MigrateOnStart = false
	b := apitest.Start(t, cfgB)
	alice, bob, carol := signUp(t, a), signUp(t, a), signUp(t, a)
	withBob := openDirect(t, alice.client, bob)
	withCarol := openDirect(t, alice.client, carol)

	sendMsg(t, alice.on(a), withBob, "one")
	sendMsg(t, alice.on(b), withCarol, "two")
	sendMsg(t, alice.on(a), withCarol, "three")
	for i, srv := range []*apitest.Server{a, b} {
		r := alice.on(srv).Do(t, opSend, map[string]any{"c": withBob, "k": fmt.Sprintf("over-%d", i), "b": "four"})
		if r.Code() != "RATE_LIMITED" {
			t.Fatalf("4th message on instance %d: %s", i, r.Raw)
		}
		if s, ok := r.Errors[0].Extensions["retryAfterSeconds"].(float64); !ok || s < 1 {
			t.Fatalf("retryAfterSeconds missing: %s", r.Raw)
		}
	}
	sendMsg(t, bob.on(b), withBob, "bob is not limited by alice")
}
