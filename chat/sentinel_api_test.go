package chat_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/internal/apitest"
)

// TestAPIChatSurvivesRedisSentinelFailover runs two API instances on a real Redis Sentinel group
// (master, replica, three sentinels from Debian's redis-server) and fails the master over twice
// while a member sends messages: first with SENTINEL FAILOVER, then by killing the new master.
// Every acknowledged message is delivered to live subscriptions on both instances, in order and
// once each (subscriptions resume on the new master without resubscribing; a wake-up lost during
// the switch is made up by the next one, which makes the stream read the gap from PostgreSQL),
// and rate limits are still shared by the instances through Redis afterwards.
func TestAPIChatSurvivesRedisSentinelFailover(t *testing.T) {
	t.Parallel()
	group := apitest.StartSentinelGroup(t)
	cfg := apitest.Config(t)
	cfg.RedisURL = ""
	cfg.RedisAddrs = group.Addrs()
	cfg.RedisSentinelMaster = apitest.SentinelMaster
	cfg.RateConversationsUser = config.Rate{Tokens: 3, Interval: 24 * time.Hour}
	cfg.RateConversationsNewAccount = cfg.RateConversationsUser
	a := apitest.Start(t, cfg)
	cfgB := a.Config
	cfgB.MigrateOnStart = false
	b := apitest.Start(t, cfgB)
	servers := []*apitest.Server{a, b}

	alice, bob := signUp(t, a), signUp(t, a)
	conv := openDirect(t, alice.client, bob)
	zero := 0
	subs := []*apitest.WS{
		subscribeMessages(t, a, bob.tok.AccessToken, conv, &zero),
		subscribeMessages(t, b, bob.tok.AccessToken, conv, &zero),
	}
	received := make([][]int, len(subs))
	// A read that times out closes a WebSocket: each socket is read on a goroutine of its own,
	// until the test closes it, and the test waits on the channel instead.
	events := make([]chan seqOrErr, len(subs))
	for i, ws := range subs {
		events[i] = make(chan seqOrErr, 1024)
		go pumpSeqs(ws, events[i])
	}

	maxAcked, failed, sent := 0, 0, 0
	send := func() {
		t.Helper()
		srv := servers[sent%len(servers)]
		sent++
		r := alice.on(srv).Do(t, opSend, map[string]any{"c": conv, "k": fmt.Sprintf("f-%d", clientIDs.Add(1)), "b": "during failover"})
		if len(r.Errors) > 0 {
			// Not acknowledged: nothing is promised about it.
			failed++
			t.Logf("send %d not acknowledged: %s", sent, r.Raw)
			return
		}
		var out struct{ SendMessage struct{ Message sentMessage } }
		r.Decode(t, &out)
		maxAcked = max(maxAcked, out.SendMessage.Message.Seq)
	}

	for _, round := range []struct {
		name string
		fail func() string
	}{
		{"SENTINEL FAILOVER", group.StartFailover},
		{"master killed", group.KillMaster},
	} {
		for range 5 {
			send()
		}
		old := round.fail()
		began := time.Now()
		// Traffic goes on through the failover, and ten more messages after it.
		newMaster, after := "", 0
		for after < 10 {
			send()
			if newMaster == "" {
				newMaster = group.NewMaster(old)
			} else {
				after++
			}
			if time.Since(began) > 2*time.Minute {
				t.Fatalf("%s: no new master after 2 minutes", round.name)
			}
		}
		t.Logf("%s: master %s -> %s in about %s, %d sends so far (%d not acknowledged)",
			round.name, old, newMaster, time.Since(began).Round(time.Millisecond), sent, failed)

		// Every live subscription gets every message up to the last acknowledged one, once and in
		// order. Should the wake-up of the last message have been lost too, another message
		// (a nudge) brings the stream up to date: what the contract promises is delivery on the
		// next wake-up, not on a lost one.
		for i := range subs {
			deadline := time.Now().Add(2 * time.Minute)
			for len(received[i]) == 0 || received[i][len(received[i])-1] < maxAcked {
				if time.Now().After(deadline) {
					t.Fatalf("%s: subscription on instance %d got %v, last acknowledged %d", round.name, i, received[i], maxAcked)
				}
				select {
				case e := <-events[i]:
					if e.err != nil {
						t.Fatalf("%s: subscription on instance %d: %v", round.name, i, e.err)
					}
					received[i] = append(received[i], e.seq)
				case <-time.After(5 * time.Second):
					send() // nudge
				}
			}
			wantRange(t, received[i], 1, len(received[i]))
		}
	}
	if sent-failed < 30 {
		t.Fatalf("only %d of %d sends acknowledged", sent-failed, sent)
	}

	// Rate limits are still in Redis, shared by both instances: carol's three conversations a
	// day are used up on two instances, and the fourth is refused on either (an instance
	// limiting in memory because Redis was unreachable would have seen only its own).
	carol := signUp(t, a)
	others := make([]apiMember, 4)
	for i := range others {
		others[i] = signUp(t, b)
	}
	openDirect(t, carol.on(a), others[0])
	openDirect(t, carol.on(a), others[1])
	openDirect(t, carol.on(b), others[2])
	if r := carol.on(b).Do(t, opOpenDirect, map[string]any{"u": others[3].tok.User.ID}); r.Code() != "RATE_LIMITED" {
		t.Fatalf("fourth conversation after the failovers: %s", r.Raw)
	}
}

type seqOrErr struct {
	seq int
	err error
}

// pumpSeqs sends the seq of every messageAdded event of ws to out, until the socket fails (at the
// latest when the test ends and closes it).
func pumpSeqs(ws *apitest.WS, out chan<- seqOrErr) {
	for {
		m, err := ws.Read(time.Hour)
		if err != nil {
			out <- seqOrErr{err: err}
			return
		}
		var p struct {
			Data   struct{ MessageAdded struct{ Seq int } }
			Errors []any
		}
		if err := json.Unmarshal(m.Payload, &p); m.Type != "next" || err != nil || len(p.Errors) > 0 {
			out <- seqOrErr{err: fmt.Errorf("got %s %s, want next (%v)", m.Type, m.Payload, err)}
			return
		}
		out <- seqOrErr{seq: p.Data.MessageAdded.Seq}
	}
}
