// Package apitest starts the real server (the same wiring as `skillswap serve`) on a fresh
// database behind a real HTTP listener, and talks GraphQL to it over HTTP and WebSocket.
package apitest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/relay"
)

// Server is a running API server for one test.
type Server struct {
	URL    string
	App    *app.App
	Config config.Config
	HTTP   *httptest.Server
}

// TestSigningKey is the JWT key tests sign with (id "test-1"), so they can forge tokens.
var TestSigningKey = auth.SigningKey{ID: "test-1", Secret: []byte("test-signing-key-0123456789abcdef-0123456789")}

// BrokerEnv names the environment variable that, set to "redis", makes Config wire the stack's
// Redis (REDIS_URL) as the realtime broker, rate limiter and connection caps, as production does,
// instead of the in-process ones. `make test` runs the chat and notification API tests and the
// e2e suite once more that way.
const BrokerEnv = "SKILLSWAP_TEST_BROKER"

// Config returns a configuration for tests: defaults, a fresh database, generous rate limits,
// cheap (but still argon2id) password hashing and quiet logs. Adjust it before Start.
func Config(t testing.TB) config.Config {
	t.Helper()
	c := config.Defaults()
	switch b := os.Getenv(BrokerEnv); b {
	case "", "memory":
	case "redis":
		c.RedisURL = RedisURL(t)
	default:
		t.Fatalf("%s=%q: want memory or redis", BrokerEnv, b)
	}
	c.DatabaseURL = testdb.New(t)
	c.JWTKeys = TestSigningKey.ID + ":" + base64.StdEncoding.EncodeToString(TestSigningKey.Secret)
	c.JWTActiveKeyID = TestSigningKey.ID
	c.MFAEncryptionKey = base64.StdEncoding.EncodeToString([]byte("test-mfa-key-0123456789abcdef-01"))
	big := config.Rate{Tokens: 100000, Interval: time.Minute}
	c.RateLogInAccount, c.RateLogInAccountIP, c.RateLogInIP, c.RateSignUpIP, c.RateRefreshIP = big, big, big, big, big
	c.RateMessagesUser, c.RateConversationsUser, c.RateConversationsNewAccount = big, big, big
	c.RateVerificationEmailUser, c.RatePasswordResetIP, c.RatePasswordResetEmail = big, big, big
	c.RateEmailChangeUser, c.RateEmailChangeAddress = big, big
	huge := config.Rate{Tokens: 1 << 30, Interval: time.Minute}
	c.RateComplexityUser, c.RateComplexityIP = huge, huge
	c.WSMaxConnsPerUser, c.WSMaxConnsPerIP = 0, 0 // tests open many sockets from one address
	// Servers of one test share limits through Redis (as instances do); other tests do not.
	c.RateLimitKeyPrefix = "test:" + uuid.NewString() + ":"
	c.PasswordMemKiB, c.PasswordIters = 1024, 1
	c.RunWorkers = false
	c.SMTPAddr = os.Getenv("SMTP_ADDR")
	// A wider batching window than production's 2 ms: under -race on two cores the goroutines of
	// one query's fields can start several milliseconds apart, and statement-count tests assert
	// what batching does, not how fast the machine is.
	c.DataloaderWait = 15 * time.Millisecond
	return c
}

// Start runs the server with cfg until the test ends.
func Start(t testing.TB, cfg config.Config, opts ...app.Options) *Server {
	t.Helper()
	level := slog.LevelWarn
	if os.Getenv("TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	var out io.Writer = testWriter{t}
	if _, fuzz := t.(*testing.F); fuzz {
		// A fuzz target may not call f.Log, and the server logs from its handlers while the
		// target runs: a fuzzing server logs to stderr.
		out = os.Stderr
	}
	log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}))
	return StartLogged(t, cfg, log, opts...)
}

// StartLogged is Start with the server logging to log (tests that assert what is logged).
func StartLogged(t testing.TB, cfg config.Config, log *slog.Logger, opts ...app.Options) *Server {
	t.Helper()
	ctx := context.Background()
	var o app.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	a, err := app.New(ctx, cfg, log, o)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	if err := a.StartWorkers(ctx); err != nil {
		t.Fatalf("start workers: %v", err)
	}
	hs := httptest.NewServer(a.HTTP)
	t.Cleanup(func() {
		a.HTTP.StartDraining()
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	return &Server{URL: hs.URL, App: a, Config: cfg, HTTP: hs}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Client sends GraphQL requests, optionally with a bearer token.
type Client struct {
	Server *Server
	Token  string
	// Header is added to every request.
	Header http.Header
}

// Client returns an anonymous client.
func (s *Server) Client() *Client { return &Client{Server: s, Header: http.Header{}} }

// WithToken returns a copy of c that sends token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.Token = token
	return &cp
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Response is a decoded GraphQL response plus its HTTP envelope.
type Response struct {
	Status  int
	Header  http.Header
	Raw     []byte
	Data    json.RawMessage `json:"data"`
	Errors  []Error         `json:"errors"`
	HasData bool
}

// Code returns the first error's extensions.code ("" when there is no error).
func (r *Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	code, _ := r.Errors[0].Extensions["code"].(string)
	return code
}

// Field returns the first error's extensions.field.
func (r *Response) Field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// Decode unmarshals data into v, failing the test on GraphQL errors.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected GraphQL errors: %s", r.Raw)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data: %v (%s)", err, r.Raw)
	}
}

var requestCounter atomic.Int64

// Do POSTs a query with variables and returns the decoded response.
func (c *Client) Do(t testing.TB, query string, vars map[string]any) *Response {
	t.Helper()
	r, err := c.do(query, vars)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Go POSTs a query from a goroutine of its own, for a test that acts while the request is in
// flight, and delivers the response on the returned channel. t.Fatal must not be called off
// the test's goroutine, so a failure to send is reported with t.Errorf and delivers nil.
func (c *Client) Go(t testing.TB, query string, vars map[string]any) <-chan *Response {
	out := make(chan *Response, 1)
	go func() {
		r, err := c.do(query, vars)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
		}
		out <- r
	}()
	return out
}

func (c *Client) do(query string, vars map[string]any) (*Response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, c.Server.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json;q=0.9")
	return c.send(req)
}

// Send sends a prepared request (adding the token and headers) and decodes the response.
func (c *Client) Send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	r, err := c.send(req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (c *Client) send(req *http.Request) (*Response, error) {
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("X-Request-ID", fmt.Sprintf("test-%d", requestCounter.Add(1)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("graphql request: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("graphql response: %w", err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	var probe map[string]json.RawMessage
	if json.Unmarshal(raw, &probe) == nil {
		_, out.HasData = probe["data"]
	}
	_ = json.Unmarshal(raw, out)
	return out, nil
}

// Tokens are what signUp and logIn return.
type Tokens struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	User         struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
		Email       string `json:"email"`
	} `json:"user"`
	Session struct {
		ID string `json:"id"`
	} `json:"session"`
}

// AuthFields is the selection tests use on AuthPayload.
const AuthFields = `accessToken refreshToken user { id displayName email } session { id }`

// StrongPassword is a password that passes the policy.
const StrongPassword = "correct-horse-battery-staple-42"

var userCounter atomic.Int64

// SignUp creates a member with a unique email and returns their tokens and an authenticated client.
func (s *Server) SignUp(t testing.TB) (Tokens, *Client) {
	t.Helper()
	n := userCounter.Add(1)
	email := fmt.Sprintf("member%d-%d@example.com", n, time.Now().UnixNano())
	return s.SignUpAs(t, email, fmt.Sprintf("Member %d", n))
}

// SignUpAs creates a member with the given email and name.
func (s *Server) SignUpAs(t testing.TB, email, name string) (Tokens, *Client) {
	t.Helper()
	r := s.Client().Do(t, `mutation($in: SignUpInput!) { signUp(input: $in) { `+AuthFields+` } }`,
		map[string]any{"in": s.signUpInput(email, name)})
	var out struct {
		SignUp Tokens `json:"signUp"`
	}
	r.Decode(t, &out)
	// Members of tests have verified their email, as nearly every real one soon has: tests of
	// chat and booking then run under the default UNVERIFIED_MAY. Tests of verification sign up
	// with SignUpUnverified. Nothing has authenticated with the token yet, so no cached session
	// holds the unverified account.
	if s.App != nil { // nil for a server run by serve (TestGracefulShutdown)
		if _, err := s.App.Pool.Exec(context.Background(),
			`UPDATE users SET email_verified_at = created_at WHERE email = $1`, email); err != nil {
			t.Fatalf("verify %s: %v", email, err)
		}
	}
	return out.SignUp, s.Client().WithToken(out.SignUp.AccessToken)
}

// signUpInput is a sign-up form that accepts the server's current terms and privacy policy, as
// the app's does: members of tests may message and book. Tests of consent send their own.
func (s *Server) signUpInput(email, name string) map[string]any {
	in := map[string]any{"email": email, "password": StrongPassword, "displayName": name}
	if v := s.Config.TermsVersion; v != "" {
		in["termsVersion"] = v
	}
	if v := s.Config.PrivacyPolicyVersion; v != "" {
		in["privacyPolicyVersion"] = v
	}
	return in
}

// SignUpUnverified creates a member with the given email whose address is not verified yet.
func (s *Server) SignUpUnverified(t testing.TB, email, name string) (Tokens, *Client) {
	t.Helper()
	r := s.Client().Do(t, `mutation($in: SignUpInput!) { signUp(input: $in) { `+AuthFields+` } }`,
		map[string]any{"in": s.signUpInput(email, name)})
	var out struct {
		SignUp Tokens `json:"signUp"`
	}
	r.Decode(t, &out)
	return out.SignUp, s.Client().WithToken(out.SignUp.AccessToken)
}

// SetRoles gives the user with global id gid the roles, directly in the database (test setup).
func (s *Server) SetRoles(t testing.TB, gid string, roles ...domain.Role) {
	t.Helper()
	id, err := relay.ParseID(relay.KindUser, gid, "id")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.Store.Q().SetUserRoles(context.Background(), id, domain.NormalizeRoles(roles)); err != nil {
		t.Fatal(err)
	}
}

// Must fails the test when r carries errors.
func Must(t testing.TB, r *Response) *Response {
	t.Helper()
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("unexpected failure (HTTP %d): %s", r.Status, r.Raw)
	}
	return r
}

// RedisURL returns REDIS_URL, failing under `make test` and skipping a bare `go test` without it.
func RedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		if testdb.RequireServices() {
			t.Fatal("REDIS_URL is not set (the Redis service of make test)")
		}
		t.Skip("REDIS_URL not set: run `make test` to bring Redis up (service missing)")
	}
	return u
}

// ForStatementCounts adjusts cfg for tests that count SQL statements: no session cache, so
// every request authenticates in SQL whatever a cache entry's age, and a batching window wide
// enough that a loaded machine running -race never splits one loader batch in two (those tests
// assert what batching does, not how fast it is). 100 ms split a batch at load averages above
// 30 (TestMatchesStatementCount: 16-17 statements instead of 14); 500 ms costs these few tests
// a second or two.
func ForStatementCounts(cfg config.Config) config.Config {
	cfg.SessionCacheTTL = 0
	cfg.DataloaderWait = 500 * time.Millisecond
	// Their documents are deliberately wide (50 matches with every nested list), priced well
	// above MAX_COMPLEXITY's default now that every list counts its items: they measure batching.
	cfg.MaxComplexity = 1_000_000
	return cfg
}
