package chat_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/skillswap/skillswap/config"
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

// TestAPIConversationsOpenedPerDay: accounts younger than NEW_ACCOUNT_AGE open fewer
// conversations a day than established ones; reopening an existing conversation is free; past
// the budget openDirectConversation is RATE_LIMITED on input.userId with retryAfterSeconds.
func TestAPIConversationsOpenedPerDay(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RateConversationsNewAccount = config.Rate{Tokens: 2, Interval: 24 * time.Hour}
	cfg.RateConversationsUser = config.Rate{Tokens: 4, Interval: 24 * time.Hour}
	cfg.NewAccountAge = 7 * 24 * time.Hour
	srv := apitest.Start(t, cfg)
	newbie, veteran := signUp(t, srv), signUp(t, srv)
	// Back-dated before the veteran's first authenticated request (no session caches it yet).
	if _, err := srv.App.Pool.Exec(context.Background(),
		`UPDATE users SET created_at = created_at - interval '30 days' WHERE email = $1`, veteran.tok.User.Email); err != nil {
		t.Fatal(err)
	}
	others := make([]apiMember, 5)
	for i := range others {
		others[i] = signUp(t, srv)
	}
	for _, tc := range []struct {
		name   string
		who    apiMember
		budget int
	}{{"new account", newbie, 2}, {"established account", veteran, 4}} {
		for i := range tc.budget {
			openDirect(t, tc.who.client, others[i])
		}
		openDirect(t, tc.who.client, others[0]) // reopening costs nothing
		r := tc.who.client.Do(t, opOpenDirect, map[string]any{"u": others[tc.budget].tok.User.ID})
		if r.Code() != "RATE_LIMITED" || r.Field() != "input.userId" {
			t.Fatalf("%s: conversation %d: %s", tc.name, tc.budget+1, r.Raw)
		}
		if s, ok := r.Errors[0].Extensions["retryAfterSeconds"].(float64); !ok || s < 1 {
			t.Fatalf("%s: retryAfterSeconds missing: %s", tc.name, r.Raw)
		}
	}
	// The member the newbie could not reach may still open the conversation themself.
	openDirect(t, others[2].client, newbie)
}
