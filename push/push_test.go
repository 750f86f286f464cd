package push_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/skillswap/skillswap/internal/expotest"
	"github.com/skillswap/skillswap/push"
	"github.com/skillswap/skillswap/ratelimit"
)

func token(i int) string {
	return "ExponentPushToken[test-device-" + strings.Repeat("x", 4) + string(rune('a'+i%26)) + "]"
}

// noWait makes the client's backoff instant and records what it was asked to wait.
func noWait(waits *[]time.Duration) func(context.Context, time.Duration) error {
	return func(_ context.Context, d time.Duration) error { *waits = append(*waits, d); return nil }
}

func TestValidToken(t *testing.T) {
	t.Parallel()
	for tok, want := range map[string]bool{
		"ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]":           true,
		"ExpoPushToken[AbC_12-3456789]":                       true,
		"ExponentPushToken[]":                                 false,
		"ExponentPushToken[short]":                            false,
		"ExponentPushToken[xxxxxxxxxxxx":                      false,
		"xxxxxxxxxxxxxxxxxxxxxx":                              false,
		"ExponentPushToken[xxxxxxxx xxxxxxxx]":                false,
		"ExponentPushToken[" + strings.Repeat("x", 201) + "]": false,
	} {
		if got := push.ValidToken(tok); got != want {
			t.Errorf("ValidToken(%q) = %v, want %v", tok, got, want)
		}
	}
}

// TestSendRetries429And5xxWithTheSameContent: Expo's 429 and 5xx are retried with backoff, the
// very same bytes each time; a 400 is not retried.
func TestSendRetries429And5xxWithTheSameContent(t *testing.T) {
	t.Parallel()
	srv := expotest.New(t)
	var waits []time.Duration
	c := push.NewClient(push.Config{BaseURL: srv.URL, Sleep: noWait(&waits)})
	srv.Fail(http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable)
	msgs := []push.Message{{To: token(0), Title: "T", Body: "B"}, {To: token(1), Title: "T", Body: "C"}}
	tickets, err := c.Send(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if len(tickets) != 2 || tickets[0].Status != "ok" || tickets[0].ID == "" {
		t.Fatalf("tickets %+v", tickets)
	}
	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4 (three failures, then success)", len(reqs))
	}
	for i, r := range reqs[1:] {
		if !bytes.Equal(r.Body, reqs[0].Body) {
			t.Fatalf("attempt %d sent other content:\n%s\n%s", i+2, r.Body, reqs[0].Body)
		}
	}
	if len(waits) != 3 || waits[0] != time.Second || waits[1] != 2*time.Second || waits[2] != 4*time.Second {
		t.Fatalf("backoff %v, want 1s 2s 4s", waits)
	}

	// Exhausted: the error says it is retryable (the job retries later).
	srv.Fail(500, 500, 500, 500)
	if _, err := c.Send(context.Background(), msgs); !push.Retryable(err) {
		t.Fatalf("after four 500s: %v, want a retryable error", err)
	}

	// Refused as malformed: not retried.
	before := len(srv.Requests())
	srv.Fail(http.StatusBadRequest)
	_, err = c.Send(context.Background(), msgs)
	var re *push.RequestError
	if !errors.As(err, &re) || re.Status != http.StatusBadRequest || push.Retryable(err) || len(srv.Requests()) != before+1 {
		t.Fatalf("400: %v after %d requests", err, len(srv.Requests())-before)
	}
}

func TestSendAndReceiptLimits(t *testing.T) {
	t.Parallel()
	srv := expotest.New(t)
	srv.AccessToken = "secret"
	ctx := context.Background()
	var waits []time.Duration
	c := push.NewClient(push.Config{BaseURL: srv.URL, AccessToken: "secret", Sleep: noWait(&waits)})
	if _, err := c.Send(ctx, make([]push.Message, push.MaxMessages+1)); err == nil {
		t.Fatal("101 messages in one request accepted")
	}
	if _, err := c.Receipts(ctx, make([]string, push.MaxReceiptIDs+1)); err == nil {
		t.Fatal("1,001 receipt ids in one request accepted")
	}
	srv.UnregisterLater(token(2))
	srv.Unregister(token(3))
	tickets, err := c.Send(ctx, []push.Message{{To: token(2), Body: "a"}, {To: token(3), Body: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if tickets[0].Status != "ok" || tickets[1].ErrorCode() != push.DeviceNotRegistered {
		t.Fatalf("tickets %+v", tickets)
	}
	receipts, err := c.Receipts(ctx, []string{tickets[0].ID, "unknown"})
	if err != nil {
		t.Fatal(err)
	}
	if len(receipts) != 1 || receipts[tickets[0].ID].ErrorCode() != push.DeviceNotRegistered {
		t.Fatalf("receipts %+v", receipts)
	}
	// The access token is required by this server: without it, 401 (not retried).
	bad := push.NewClient(push.Config{BaseURL: srv.URL, Sleep: noWait(&waits)})
	var re *push.RequestError
	if _, err := bad.Send(ctx, []push.Message{{To: token(4)}}); !errors.As(err, &re) || re.Status != http.StatusUnauthorized {
		t.Fatalf("without the access token: %v", err)
	}
}

// TestFitCutsTheBodyOnARuneBoundary: an oversized body is cut to the limit, never inside a UTF-8
// sequence, and a message that fits is left alone.
func TestFitCutsTheBodyOnARuneBoundary(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		strings.Repeat("é", 5000),   // 2 bytes a rune
		strings.Repeat("日本語", 2000), // 3 bytes a rune
		strings.Repeat("🙂a", 1500),  // 4 bytes and 1
		strings.Repeat(`"\`, 3000),  // escaped by JSON: 2 bytes become 4
		strings.Repeat("x", 10000),
	} {
		m := push.Message{To: token(0), Title: "SkillSwap", Body: body, Data: []byte(`{"type":"NEW_MESSAGE"}`)}
		got, err := push.Fit(m, push.MaxPayloadBytes)
		if err != nil {
			t.Fatal(err)
		}
		size := push.PayloadSize(got)
		if size > push.MaxPayloadBytes || size < push.MaxPayloadBytes-8 {
			t.Errorf("payload %d bytes, want just under %d", size, push.MaxPayloadBytes)
		}
		if !utf8.ValidString(got.Body) || !strings.HasSuffix(got.Body, "…") || !strings.HasPrefix(body, strings.TrimSuffix(got.Body, "…")) {
			t.Errorf("body cut badly: ...%q", got.Body[max(0, len(got.Body)-12):])
		}
		if got.To != m.To || got.Title != m.Title {
			t.Error("Fit changed more than the body")
		}
	}
	small := push.Message{To: token(0), Body: "hello"}
	if got, err := push.Fit(small, push.MaxPayloadBytes); err != nil || got.Body != small.Body {
		t.Fatalf("a small message changed: %+v %v", got, err)
	}
	if _, err := push.Fit(push.Message{Title: strings.Repeat("x", 5000)}, push.MaxPayloadBytes); err == nil {
		t.Fatal("a title over the limit fitted")
	}
}

// TestPacerKeepsTheCapAtTheServer is the pacer's promise measured where it matters: at the
// Expo-compatible server, on the server's clock. Several senders on two "instances" (two
// pacers) wait for slots and send batches of 1 to 20 messages through latency that varies on
// both legs (a random pause between the slot and the request, and the server holding each
// request before answering), the server accepting everything (no 429 to hide an excess). No
// window of one second at the server may hold more than the cap, whatever the timing: the
// assertion holds on a loaded machine as on an idle one. Run over a shared in-memory limiter
// (one instance's) and over Redis (two instances, one budget).
func TestPacerKeepsTheCapAtTheServer(t *testing.T) {
	t.Parallel()
	const perSecond, messages = 100, 400
	for name, flights := range map[string][2]push.Flights{
		"memory": func() [2]push.Flights { f := ratelimit.NewMemoryFlights(nil); return [2]push.Flights{f, f} }(),
		"redis": func() [2]push.Flights {
			c := redisClient(t)
			prefix := "test:push:" + time.Now().Format(time.RFC3339Nano) + ":"
			return [2]push.Flights{ratelimit.NewRedisFlights(c, prefix, nil), ratelimit.NewRedisFlights(c, prefix, nil)}
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := expotest.New(t)
			var mu sync.Mutex
			rnd := rand.New(rand.NewPCG(1, 2))
			random := func(n int) int { mu.Lock(); defer mu.Unlock(); return rnd.IntN(n) }
			srv.Delay = func() time.Duration { return time.Duration(random(40)) * time.Millisecond }
			client := push.NewClient(push.Config{BaseURL: srv.URL})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var left atomic.Int64
			left.Store(messages)
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 6 {
				pacer := push.NewPacer(flights[i%2], perSecond, nil)
				wg.Go(func() {
					for {
						n := 1 + random(20)
						if left.Add(-int64(n)) < -int64(n) {
							return
						}
						slot, err := pacer.Wait(ctx, n)
						if err != nil {
							errs <- err
							return
						}
						time.Sleep(time.Duration(random(30)) * time.Millisecond)
						msgs := make([]push.Message, n)
						for j := range msgs {
							msgs[j] = push.Message{To: token(j), Body: "x"}
						}
						_, err = client.Send(ctx, msgs)
						if lerr := slot.Land(ctx); err == nil {
							err = lerr
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if got := len(srv.Messages()); got < messages {
				t.Fatalf("%d messages arrived, want at least %d", got, messages)
			}
			if most := srv.MaxArrivedInAnySecond(); most > perSecond {
				t.Fatalf("%d messages arrived within one second at the server, cap %d", most, perSecond)
			}
		})
	}
}

func TestPacerRefusesOversizedBatches(t *testing.T) {
	t.Parallel()
	p := push.NewPacer(ratelimit.NewMemoryFlights(nil), push.ProjectRatePerSecond, nil)
	if p.Batch() != push.MaxMessages {
		t.Fatalf("batch %d, want %d", p.Batch(), push.MaxMessages)
	}
	for _, n := range []int{0, push.MaxMessages + 1} {
		if _, err := p.Wait(context.Background(), n); err == nil {
			t.Errorf("a wait for %d messages accepted", n)
		}
	}
	if small := push.NewPacer(ratelimit.NewMemoryFlights(nil), 30, nil); small.Batch() != 30 {
		t.Fatalf("batch %d under a cap of 30, want 30", small.Batch())
	}
}

func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		if os.Getenv("SKILLSWAP_REQUIRE_SERVICES") != "" {
			t.Fatal("REDIS_URL is not set")
		}
		t.Skip("REDIS_URL is not set")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	return client
}
