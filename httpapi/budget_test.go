package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/internal/apitest"
)

// budgetQuery is a cheap public query; its complexity is whatever the complexity limit counts.
const budgetQuery = `{ __typename a: __typename }`

// spend sends budgetQuery as c until the budget refuses it, and returns how many operations
// passed and the refusal. It fails past 1000 operations.
func spend(t *testing.T, c *apitest.Client) (int, *apitest.Response) {
	t.Helper()
	for n := 0; n < 1000; n++ {
		r := c.Do(t, budgetQuery, nil)
		if r.Code() == "RATE_LIMITED" {
			return n, r
		}
		apitest.Must(t, r)
	}
	t.Fatal("1000 operations and the budget never refused one")
	return 0, nil
}

// warm sends budgetQuery once from a network of its own, so that the instance has the document
// cached and the clients under test pay only its complexity (a document an instance has not
// seen is also charged what reading it costs).
func warm(t *testing.T, s *apitest.Server) {
	t.Helper()
	c := s.Client()
	c.Header.Set("X-Forwarded-For", "198.51.100.1")
	apitest.Must(t, c.Do(t, budgetQuery, nil))
}

// checkRefusal checks the refusal's shape (429, Retry-After, retryAfterSeconds) and that the
// operations that passed were all the budget allowed: n of them fit, one more would not.
func checkRefusal(t *testing.T, who string, n int, r *apitest.Response, budget int) {
	t.Helper()
	if r.Status != http.StatusTooManyRequests {
		t.Errorf("%s: HTTP %d, want 429", who, r.Status)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("%s: Retry-After %q", who, r.Header.Get("Retry-After"))
	}
	ext := r.Errors[0].Extensions
	if s, ok := ext["retryAfterSeconds"].(float64); !ok || s < 1 {
		t.Errorf("%s: retryAfterSeconds missing: %s", who, r.Raw)
	}
	cost, ok := ext["complexity"].(float64)
	if !ok || cost < 1 {
		t.Fatalf("%s: complexity missing: %s", who, r.Raw)
	}
	if c := int(cost); n*c > budget || (n+1)*c <= budget {
		t.Errorf("%s: %d operations of complexity %d passed under a budget of %d", who, n, c, budget)
	}
}

// TestComplexityBudgetAcrossInstances: complexity points are charged per client network when
// signed out and per member when signed in, and two instances sharing Redis draw on one budget.
func TestComplexityBudgetAcrossInstances(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RedisURL = apitest.RedisURL(t)
	cfg.TrustProxyHeaders = true
	// 40 per network: the sign-up below (its document read, then run) fits in its network's.
	cfg.RateComplexityIP = config.Rate{Tokens: 40, Interval: time.Hour}
	cfg.RateComplexityUser = config.Rate{Tokens: 30, Interval: time.Hour}
	a := apitest.Start(t, cfg)
	cfgB := a.Config
	cfgB.MigrateOnStart = false
	b := apitest.Start(t, cfgB)
	warm(t, a)
	warm(t, b)
	tok, _ := a.SignUp(t) // sign-up itself costs points of the test client's network, not these
	from := func(s *apitest.Server, ip, token string) *apitest.Client {
		c := s.Client().WithToken(token)
		c.Header.Set("X-Forwarded-For", ip)
		return c
	}

	// Signed out: the network's budget, spent on A, is spent on B too.
	n, r := spend(t, from(a, "203.0.113.20", ""))
	checkRefusal(t, "signed out", n, r, 40)
	if r := from(b, "203.0.113.20", "").Do(t, budgetQuery, nil); r.Code() != "RATE_LIMITED" {
		t.Fatalf("instance B after A spent the network's budget: %s", r.Raw)
	}
	// Another network has its own budget; so does a member on the spent network.
	apitest.Must(t, from(b, "203.0.113.21", "").Do(t, budgetQuery, nil))
	apitest.Must(t, from(b, "203.0.113.20", tok.AccessToken).Do(t, budgetQuery, nil))

	// Signed in: the member's budget follows them across networks and instances.
	n, r = spend(t, from(b, "203.0.113.22", tok.AccessToken))
	checkRefusal(t, "signed in", n+1, r, 30) // +1: the operation sent above
	if r := from(a, "203.0.113.23", tok.AccessToken).Do(t, budgetQuery, nil); r.Code() != "RATE_LIMITED" {
		t.Fatalf("the member on another network and instance: %s", r.Raw)
	}
}

// TestComplexityBudgetInMemory: without Redis one instance enforces the budget alone, and a
// member whose budget is spent over HTTP gets RATE_LIMITED for a WebSocket subscribe.
func TestComplexityBudgetInMemory(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RateComplexityIP = config.Rate{Tokens: 40, Interval: time.Hour}
	cfg.RateComplexityUser = config.Rate{Tokens: 10, Interval: time.Hour}
	cfg.TrustProxyHeaders = true
	srv := apitest.Start(t, cfg)
	warm(t, srv)
	tok, member := srv.SignUp(t)
	stranger := srv.Client()
	stranger.Header.Set("X-Forwarded-For", "203.0.113.30") // not the sign-up's network
	n, r := spend(t, stranger)
	checkRefusal(t, "signed out", n, r, 40)
	n, r = spend(t, member)
	checkRefusal(t, "signed in", n, r, 10)

	ws := srv.Connect(t, transportWS, tok.AccessToken)
	ws.Subscribe("1", `subscription { viewerUpdated { id } }`, nil)
	// A request error, as for a validation error: one result with the error, then complete.
	m := ws.Expect("next")
	var res struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &res); err != nil || len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != "RATE_LIMITED" {
		t.Fatalf("subscribe with a spent budget: %s", m.Payload)
	}
	ws.Expect("complete")
}

// wsFrom dials s as if from ip (the server trusts X-Forwarded-For) and sends connection_init.
func wsFrom(t *testing.T, s *apitest.Server, ip, token string) *apitest.WS {
	t.Helper()
	ws := s.DialWSHeader(t, transportWS, http.Header{"X-Forwarded-For": []string{ip}})
	ws.Init(token)
	return ws
}

// TestWebSocketConnectionCaps: open connections are capped per member and per client network,
// over every instance when Redis is configured and per instance in memory otherwise; a refused
// connection_init closes with 4008, and a closed connection frees its slot.
func TestWebSocketConnectionCaps(t *testing.T) {
	t.Parallel()
	for _, withRedis := range []bool{true, false} {
		t.Run(fmt.Sprintf("redis=%v", withRedis), func(t *testing.T) {
			t.Parallel()
			cfg := apitest.Config(t)
			if withRedis {
				cfg.RedisURL = apitest.RedisURL(t)
			}
			cfg.TrustProxyHeaders = true
			cfg.WSMaxConnsPerUser, cfg.WSMaxConnsPerIP = 2, 3
			a := apitest.Start(t, cfg)
			instances := []*apitest.Server{a, a}
			if withRedis {
				cfgB := a.Config
				cfgB.MigrateOnStart = false
				instances[1] = apitest.Start(t, cfgB)
			}
			alice, _ := a.SignUp(t)
			bob, _ := a.SignUp(t)
			carol, _ := a.SignUp(t)
			const office = "203.0.113.40"

			first := wsFrom(t, instances[0], office, alice.AccessToken)
			first.Expect("connection_ack")
			wsFrom(t, instances[1], office, alice.AccessToken).Expect("connection_ack")
			// Alice holds 2 of 2, whichever instance she tries.
			for _, s := range instances {
				wsFrom(t, s, "198.51.100.40", alice.AccessToken).ExpectClose(4008, 5*time.Second)
			}
			// The office holds 3 of 3 once Bob connects: Carol is refused there, not elsewhere.
			wsFrom(t, instances[1], office, bob.AccessToken).Expect("connection_ack")
			wsFrom(t, instances[0], office, carol.AccessToken).ExpectClose(4008, 5*time.Second)
			wsFrom(t, instances[0], "198.51.100.41", carol.AccessToken).Expect("connection_ack")

			// Alice closes one connection: its slot comes back (the release runs as the
			// connection ends, so poll with a generous deadline).
			_ = first.Conn.CloseNow()
			deadline := time.Now().Add(30 * time.Second)
			for {
				ws := wsFrom(t, instances[1], "198.51.100.42", alice.AccessToken)
				m, err := ws.Read(5 * time.Second)
				if err == nil && m.Type == "connection_ack" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("alice's closed connection never freed its slot: %v %v", m, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestDocumentsNotSeenBeforePayForTheirReading: a document the instance has not cached is charged
// what parsing and validating it costs, even when it then fails validation (which charges no
// complexity), so distinct or invalid documents sent in a loop to defeat the document cache
// spend the client's budget like any other work.
func TestDocumentsNotSeenBeforePayForTheirReading(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.TrustProxyHeaders = true
	cfg.RateComplexityIP = config.Rate{Tokens: 6000, Interval: time.Hour}
	srv := apitest.Start(t, cfg)
	c := srv.Client()
	c.Header.Set("X-Forwarded-For", "203.0.113.40")
	// 100 fields sharing one response name with differing arguments: the preflight's widest
	// set, and a validation error (they cannot be merged), about 2,600 points to read.
	conflicting := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range 100 {
			fmt.Fprintf(&b, ` skill(slug: "s%d-%d") { id }`, n, i)
		}
		return b.String() + " }"
	}
	for i, doc := range []string{conflicting(1), conflicting(1), conflicting(2)} {
		r := c.Do(t, doc, nil)
		want := "GRAPHQL_VALIDATION_FAILED"
		if i == 2 {
			want = "RATE_LIMITED" // two readings spent most of the 6,000 points
		}
		if r.Code() != want {
			t.Fatalf("document %d: %s, want %s", i, r.Raw, want)
		}
	}
	// A cached document pays only its complexity: another network reads it first.
	other := srv.Client()
	other.Header.Set("X-Forwarded-For", "203.0.113.41")
	apitest.Must(t, other.Do(t, budgetQuery, nil))
	if r := c.Do(t, budgetQuery, nil); r.Code() != "" {
		t.Fatalf("a cached document with the budget almost spent: %s", r.Raw)
	}
}
