package push_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
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

// fakeClock is a clock that only moves when the pacer sleeps.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return nil
}

// TestPacerNeverExceedsTheCapInAnySecond drives the pacer with a clock that moves only when it
// waits, and checks its decisions: no window of one second holds more than the cap, a burst
// beyond one batch is refused, and the sustained rate is the cap less one batch.
func TestPacerNeverExceedsTheCapInAnySecond(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	limiter := ratelimit.NewMemory(clock.Now)
	p := push.NewPacer(limiter, push.ProjectRatePerSecond, clock.Sleep)
	if p.Batch() != 100 {
		t.Fatalf("batch %d, want 100", p.Batch())
	}
	ctx := context.Background()
	// Decisions at one instant: one batch passes; one more message must wait for its share of
	// the refill (500/s: 2 ms).
	rate, _ := push.PaceRate(push.ProjectRatePerSecond)
	if ok, _, _ := limiter.Allow(ctx, "probe", rate, 100); !ok {
		t.Fatal("first batch refused")
	}
	if ok, wait, _ := limiter.Allow(ctx, "probe", rate, 1); ok || wait != 2*time.Millisecond {
		t.Fatalf("a message beyond the burst: ok=%v wait=%v", ok, wait)
	}

	var sent []time.Time // one entry per message, at the instant it was allowed
	start := clock.now
	sizes := []int{100, 37, 100, 100, 1, 64, 100}
	for i := range 200 {
		n := sizes[i%len(sizes)]
		if err := p.Wait(ctx, n); err != nil {
			t.Fatal(err)
		}
		for range n {
			sent = append(sent, clock.now)
		}
	}
	most, lo := 0, 0
	for hi := range sent {
		for sent[hi].Sub(sent[lo]) > time.Second {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	if most > push.ProjectRatePerSecond {
		t.Fatalf("%d messages in one second, cap %d", most, push.ProjectRatePerSecond)
	}
	elapsed := sent[len(sent)-1].Sub(start).Seconds()
	if rate := float64(len(sent)) / elapsed; rate < 490 || rate > 600 {
		t.Fatalf("sustained %.0f/s, want about 500/s (the cap less one batch)", rate)
	}
	if err := p.Wait(ctx, 101); err == nil {
		t.Fatal("a wait for more than a batch accepted")
	}
}

// TestPacerIsSharedThroughRedis: two instances over one Redis spend one budget.
func TestPacerIsSharedThroughRedis(t *testing.T) {
	t.Parallel()
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
	prefix := "test:push:" + time.Now().Format(time.RFC3339Nano) + ":"
	// A cap of 2/s: one message per second per project, so the second instance's first try is
	// refused unless a whole second passed between the two calls.
	var refused []time.Duration
	stop := errors.New("refused")
	a := push.NewPacer(ratelimit.NewRedis(client, prefix, nil), 2, nil)
	b := push.NewPacer(ratelimit.NewRedis(client, prefix, nil), 2, func(_ context.Context, d time.Duration) error {
		refused = append(refused, d)
		return stop
	})
	ctx := context.Background()
	if err := a.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := b.Wait(ctx, 1); !errors.Is(err, stop) || len(refused) != 1 || refused[0] <= 0 {
		t.Fatalf("second instance: %v, waits %v; want a refusal (shared budget)", err, refused)
	}
}
