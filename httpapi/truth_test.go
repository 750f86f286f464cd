package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/internal/apitest"
)

// logBuffer collects a server's JSON log lines (debug included) for tests that assert what is
// logged, and what is not.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lines returns the decoded log lines.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range bytes.SplitSeq(b.buf.Bytes(), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// errorLines returns the log lines at ERROR level.
func (b *logBuffer) errorLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range b.lines(t) {
		if l["level"] == "ERROR" {
			out = append(out, l)
		}
	}
	return out
}

// TestIntrospectionOffIsAValidationError: with introspection off, an operation selecting
// __schema or __type (directly, in a fragment, or in an inline fragment) is refused before it
// runs, as GRAPHQL_VALIDATION_FAILED, and nothing is logged as an error.
func TestIntrospectionOffIsAValidationError(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.Introspection = false
	logs := &logBuffer{}
	srv := apitest.StartLogged(t, cfg, logs.logger())

	for name, q := range map[string]string{
		"__schema":           `{ __schema { queryType { name } } }`,
		"__type":             `{ __type(name: "User") { name } }`,
		"in a fragment":      `query { ...F } fragment F on Query { __schema { types { name } } }`,
		"in an inline frag.": `query { ... on Query { __type(name: "Query") { name } } }`,
		"beside a field":     `{ __typename __schema { queryType { name } } }`,
	} {
		t.Run(name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]string{"query": q})
			for accept, status := range map[string]int{gqlResponse: 400, appJSON: 200} {
				r := post(t, srv, string(b), appJSON, accept)
				if r.Status != status || r.Code() != "GRAPHQL_VALIDATION_FAILED" || r.HasData {
					t.Fatalf("Accept %s: status %d: %s", accept, r.Status, r.Raw)
				}
				if !strings.Contains(r.Errors[0].Message, "introspection is disabled") {
					t.Fatalf("message %q", r.Errors[0].Message)
				}
			}
		})
	}
	// __typename is not introspection: clients add it everywhere.
	apitest.Must(t, srv.Client().Do(t, `{ __typename }`, nil))
	if errs := logs.errorLines(t); len(errs) > 0 {
		t.Fatalf("error logs: %v", errs)
	}
}

// TestFieldSuggestions: "Did you mean ...?" hints name schema members; with suggestions off
// (production's default) no validation message carries one, whichever rule wrote it.
func TestFieldSuggestions(t *testing.T) {
	t.Parallel()
	queries := map[string]string{
		"unknown field":       `{ viewr { id } }`,
		"unknown input field": `mutation { signUp(input: {emial: "a@b.c", password: "x", displayName: "x"}) { accessToken } }`,
		"unknown argument":    `{ searchSkills(txt: "guitar") { edges { cursor } } }`,
		"unknown enum value":  `{ skillCategories { name(locale: FRR) } }`,
	}
	for _, on := range []bool{true, false} {
		cfg := apitest.Config(t)
		cfg.FieldSuggestions = on
		srv := apitest.Start(t, cfg)
		for name, q := range queries {
			r := srv.Client().Do(t, q, nil)
			if r.Code() != "GRAPHQL_VALIDATION_FAILED" {
				t.Fatalf("%s: %s", name, r.Raw)
			}
			if got := strings.Contains(string(r.Raw), "Did you mean"); got != on {
				t.Errorf("suggestions %v, %s: %s", on, name, r.Raw)
			}
		}
	}
}

// TestUnsupportedMethods: /graphql answers other methods than GET and POST with 405, an Allow
// header and a coded GraphQL error.
func TestUnsupportedMethods(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, "PROPFIND"} {
		req, err := http.NewRequest(method, srv.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", appJSON)
		r := srv.Client().Send(t, req)
		if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, POST" || r.Code() != "METHOD_NOT_ALLOWED" || r.HasData {
			t.Errorf("%s: status %d Allow %q: %s", method, r.Status, r.Header.Get("Allow"), r.Raw)
		}
	}
}

// TestDependencyOutageIsServiceUnavailable cuts the server off PostgreSQL, then Redis (through
// TCP proxies, so the shared services stay up): operations that need them answer
// SERVICE_UNAVAILABLE with retryAfterSeconds, never INTERNAL_SERVER_ERROR or raw error text,
// and work again once the service is back.
func TestDependencyOutageIsServiceUnavailable(t *testing.T) {
	t.Parallel()
	redisServer := apitest.StartRedis(t)
	cfg := apitest.Config(t)
	dbURL, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	pg := apitest.StartProxy(t, dbURL.Host)
	dbURL.Host = pg.Addr()
	cfg.DatabaseURL = dbURL.String()
	redisURL, _ := url.Parse(redisServer.URL())
	rd := apitest.StartProxy(t, redisURL.Host)
	redisURL.Host = rd.Addr()
	cfg.RedisURL = redisURL.String()
	cfg.SessionCacheTTL = 0 // every signed-in request reads its session from PostgreSQL
	logs := &logBuffer{}
	srv := apitest.StartLogged(t, cfg, logs.logger())
	member, client := srv.SignUp(t)

	wantUnavailable := func(t *testing.T, r *apitest.Response) {
		t.Helper()
		if r.Code() != "SERVICE_UNAVAILABLE" {
			t.Fatalf("want SERVICE_UNAVAILABLE: %s", r.Raw)
		}
		if s, _ := r.Errors[0].Extensions["retryAfterSeconds"].(float64); s < 1 {
			t.Fatalf("retryAfterSeconds missing: %s", r.Raw)
		}
		for _, leak := range []string{pg.Addr(), rd.Addr(), "dial", "refused", "EOF"} {
			if strings.Contains(string(r.Raw), leak) {
				t.Fatalf("response leaks %q: %s", leak, r.Raw)
			}
		}
	}
	ops := []struct {
		name   string
		client *apitest.Client
		query  string
		vars   map[string]any
	}{
		{"anonymous query", srv.Client(), `{ searchSkills(text: "guitar") { edges { cursor } } }`, nil},
		{"signed-in query", client, `{ viewer { id displayName } }`, nil},
		{"mutation", srv.Client(), `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`, map[string]any{"in": map[string]any{
			"email": "outage@example.com", "password": apitest.StrongPassword, "displayName": "Outage"}}},
	}

	pg.Cut()
	t.Run("PostgreSQL down", func(t *testing.T) {
		// Each operation several times: the first ones find the pool's broken idle connections,
		// the later ones a refused connect.
		for range 3 {
			for _, op := range ops {
				t.Run(op.name, func(t *testing.T) { wantUnavailable(t, op.client.Do(t, op.query, op.vars)) })
			}
		}
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("/readyz = %d", resp.StatusCode)
		}
	})
	pg.Restore()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := client.Do(t, `{ viewer { id } }`, nil)
		if len(r.Errors) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL is back but: %s", r.Raw)
		}
		time.Sleep(100 * time.Millisecond)
	}

	rd.Cut()
	t.Run("Redis down", func(t *testing.T) {
		// A new subscription needs a Redis subscription.
		ws := srv.Connect(t, "graphql-transport-ws", member.AccessToken)
		ws.Subscribe("s1", `subscription { viewerUpdated { id } }`, nil)
		m, err := ws.Read(20 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// The subscription's field fails: a result with errors (then complete), as any
		// resolver error of a subscription.
		var p struct{ Errors []apitest.Error }
		if m.Type != "next" || m.ID != "s1" || json.Unmarshal(m.Payload, &p) != nil || len(p.Errors) == 0 {
			t.Fatalf("got %s %s", m.Type, m.Payload)
		}
		wantUnavailable(t, &apitest.Response{Raw: m.Payload, Errors: p.Errors})
	})
	rd.Restore()

	for _, l := range logs.errorLines(t) {
		t.Errorf("logged as an error: %v", l)
	}
}

// TestClientGoneIsNotLoggedAsAnError: a request whose client disconnects while it waits on
// PostgreSQL ends without an ERROR log line (it is a debug line).
func TestClientGoneIsNotLoggedAsAnError(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	logs := &logBuffer{}
	srv := apitest.StartLogged(t, cfg, logs.logger())
	tok, _ := srv.SignUp(t)
	ctx := context.Background()

	for _, tc := range []struct {
		name, table, token, query string
	}{
		{"anonymous", "skills", "", `{ searchSkills(text: "guitar") { edges { cursor } } }`},
		// The session check in the authentication middleware waits, not a resolver.
		{"signed in", "auth_sessions", tok.AccessToken, `{ viewer { id } }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Hold a lock the request's statement will wait for, so it is surely waiting on
			// PostgreSQL when its client goes away.
			release, waiting := lockTable(t, cfg.DatabaseURL, tc.table)
			defer release()
			reqCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			reqID := "gone-" + strings.ReplaceAll(tc.name, " ", "-")
			// GET: net/http notices a client gone only once the request body has been read,
			// and the middleware checking a token runs before that for a POST.
			req, _ := http.NewRequestWithContext(reqCtx, http.MethodGet, srv.URL+"/graphql?"+url.Values{"query": {tc.query}}.Encode(), nil)
			req.Header.Set("X-Request-ID", reqID)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			done := make(chan error, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
				done <- err
			}()
			waitFor(t, "the request to wait for the lock", waiting)
			cancel()
			if err := <-done; err == nil {
				t.Fatal("the request completed although its client went away")
			}
			// The access log line comes once the handler has returned.
			waitFor(t, "the request's access log line", func() bool {
				for _, l := range logs.lines(t) {
					if l["msg"] == "request" && l["request_id"] == reqID {
						return true
					}
				}
				return false
			})
			canceled := false
			for _, l := range logs.lines(t) {
				if l["request_id"] != reqID {
					continue
				}
				if l["level"] == "ERROR" || l["level"] == "WARN" {
					t.Errorf("logged: %v", l)
				}
				if l["level"] == "DEBUG" {
					canceled = true
				}
			}
			if !canceled {
				t.Error("no debug line says the client went away")
			}
		})
	}
}

// waitFor polls cond with a generous deadline (loaded CI machines).
// lockTable holds an ACCESS EXCLUSIVE lock on table, so that a request's statement on it waits
// inside PostgreSQL, until release is called (or the test ends). waiting reports whether a
// statement of a server (application_name skillswap) is waiting for a lock.
func lockTable(t *testing.T, databaseURL, table string) (release func(), waiting func() bool) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(ctx) })
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release = func() { _ = tx.Rollback(ctx) }
	t.Cleanup(release)
	if _, err := tx.Exec(ctx, "LOCK TABLE "+pgx.Identifier{table}.Sanitize()+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close(ctx) })
	waiting = func() bool {
		var n int
		err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'skillswap'`).Scan(&n)
		return err == nil && n > 0
	}
	return release, waiting
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
