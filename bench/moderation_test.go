package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
)

// queueCapture remembers the last statement of the moderation queue the server ran, with its
// arguments, so the benchmark can EXPLAIN exactly what store.ModerationQueue sends.
type queueCapture struct {
	mu   sync.Mutex
	sql  string
	args []any
}

func (c *queueCapture) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "FROM moderation_cases") && strings.Contains(d.SQL, "ORDER BY (NOT urgent)") {
		c.mu.Lock()
		c.sql, c.args = d.SQL, slices.Clone(d.Args)
		c.mu.Unlock()
	}
	return ctx
}

func (c *queueCapture) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// moderationPopulation is 100,000 members and 100,000 reports grouped into 65,388 cases the way
// reports arrive: 54,988 cases of one reporter, 10,000 of 2 to 5, 400 of 10 to 40 (a viral scam,
// a harasser reported by a whole group); 3.75 % urgent (SAFETY); 20 % OPEN, 10 % IN_REVIEW
// (assigned), 70 % DECIDED; targets half messages, a quarter members, a fifth reviews, the rest
// skill proposals; a note on one case in five, three on one in fifteen; every report with a
// snapshot of about 300 bytes. Deterministic, so runs compare.
const moderationPopulation = `
INSERT INTO users (id, email, password_hash, display_name, roles, status, created_at, updated_at)
SELECT uuid_v7(), 'bench' || g || '@bench.skillswap.local', 'x', 'Bench Member ' || g,
       CASE WHEN g <= 10 THEN '{MEMBER,MODERATOR}'::text[] ELSE '{MEMBER}'::text[] END, 'ACTIVE',
       now() - (g || ' minutes')::interval, now()
FROM generate_series(1, 100000) g;

CREATE TEMP TABLE bench_members AS
SELECT id, row_number() OVER (ORDER BY email) - 1 AS n FROM users WHERE email LIKE 'bench%@bench.skillswap.local';
CREATE UNIQUE INDEX ON bench_members (n);
ANALYZE bench_members;

CREATE TEMP TABLE bench_cases AS
SELECT g AS i, uuid_v7() AS id,
       CASE WHEN g <= 54988 THEN 1 WHEN g <= 64988 THEN 2 + g % 4 ELSE 10 + g % 31 END AS reporters,
       (ARRAY['MESSAGE','MESSAGE','MEMBER','REVIEW','MESSAGE','MEMBER','REVIEW','MESSAGE','REVIEW','MESSAGE',
              'MESSAGE','MEMBER','REVIEW','MESSAGE','MEMBER','MESSAGE','REVIEW','MESSAGE','MEMBER','SKILL_PROPOSAL'])[1 + g % 20] AS target_type,
       CASE WHEN g % 10 < 2 THEN 'OPEN' WHEN g % 10 = 2 THEN 'IN_REVIEW' ELSE 'DECIDED' END AS state,
       g % 80 IN (1, 13, 27) AS urgent,
       now() - ((65388 - g) || ' minutes')::interval AS created_at
FROM generate_series(1, 65388) g;

INSERT INTO moderation_cases (id, target_type, target_id, subject_id, state, urgent, reporter_count, assignee_id,
                              decision, statement_of_reasons, decided_by, decided_at, created_at, updated_at)
SELECT c.id, c.target_type, gen_random_uuid(), s.id, c.state, c.urgent, c.reporters,
       CASE WHEN c.state <> 'OPEN' THEN m.id END,
       CASE WHEN c.state = 'DECIDED' THEN (CASE WHEN c.i % 3 = 0 THEN 'ACTION_TAKEN' ELSE 'NO_ACTION' END) END,
       CASE WHEN c.state = 'DECIDED' THEN 'Reviewed against the community rules: see the reports.' END,
       CASE WHEN c.state = 'DECIDED' THEN m.id END,
       CASE WHEN c.state = 'DECIDED' THEN c.created_at + interval '1 hour' END,
       c.created_at, c.created_at
FROM bench_cases c
JOIN bench_members s ON s.n = 10 + (c.i * 7919) % 99990
JOIN bench_members m ON m.n = c.i % 10;

INSERT INTO moderation_reports (id, case_id, reporter_id, category, text, snapshot, created_at)
SELECT uuid_v7(), c.id, r.id,
       CASE WHEN c.urgent AND k = 0 THEN 'SAFETY' ELSE (ARRAY['SPAM','HARASSMENT','INAPPROPRIATE','SCAM','OTHER'])[1 + (c.i + k) % 5] END,
       'Reported from the app: ' || repeat('they keep asking ', 1 + (c.i + k) % 4),
       jsonb_build_object('messageId', gen_random_uuid(), 'senderName', 'Bench Member ' || c.i,
           'body', repeat('Send the deposit to my private account, it is faster. ', 4), 'sentAt', c.created_at),
       c.created_at + k * interval '1 minute'
FROM bench_cases c
CROSS JOIN LATERAL generate_series(0, c.reporters - 1) k
JOIN bench_members r ON r.n = 10 + (c.i * 31 + k * 997) % 99990;

INSERT INTO moderation_notes (id, case_id, author_id, body, created_at)
SELECT uuid_v7(), c.id, m.id, 'Checked the conversation; waiting for more context (' || k || ').', c.created_at + k * interval '10 minutes'
FROM bench_cases c
CROSS JOIN LATERAL generate_series(1, CASE WHEN c.i % 15 = 0 THEN 3 ELSE 1 END) k
JOIN bench_members m ON m.n = k % 10
WHERE c.i % 5 = 0;

ANALYZE users; ANALYZE moderation_cases; ANALYZE moderation_reports; ANALYZE moderation_notes;
`

// moderationQueuePage is the moderation queue page the staff panel shows: the first 20 OPEN
// cases with their subject, assignee, every report with its reporter, and the notes with their
// authors (snapshots are read in the case's detail view). Its complexity, 9,000-odd points, is
// near MAX_COMPLEXITY (10,000): reports and notes are priced at 50 a case.
const moderationQueuePage = `query($after: String) { moderationCases(first: 20, after: $after) {
	edges { cursor node { id targetType state urgent reporterCount createdAt
		subject { id displayName } assignee { displayName }
		reports { id category text createdAt reporter { id displayName } }
		notes { id text createdAt author { id displayName } } } }
	pageInfo { hasNextPage endCursor } } }`

// BenchmarkModerationQueue measures the moderation queue page (moderationQueuePage) over HTTP
// through the whole GraphQL handler, as a moderator, on 100,000 members with 100,000 reports
// (moderationPopulation). Each operation is one page request; it reports the p50, p95 and p99
// of the first page and of a page 50 deep (after 1,000 cases), and checks that the queue's
// statement range-scans moderation_cases_queue_idx (EXPLAIN ANALYZE of the statement the
// server ran, with its arguments, logged with -v). The dataloader batching window is
// production's 2 ms. It needs the test database (TEST_DATABASE_URL, as the integration tests).
// Issue 16's target: p95 ≤ 20 ms.
//
// Run it with: go test -run '^$' -bench ModerationQueue -benchtime 400x -count 3 -v ./bench/
func BenchmarkModerationQueue(b *testing.B) {
	ctx := context.Background()
	capture := &queueCapture{}
	cfg := apitest.Config(b)
	cfg.DataloaderWait = 2 * time.Millisecond // production's window, not the tests' wide one
	srv := apitest.Start(b, cfg, app.Options{Tracer: capture})
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	start := time.Now()
	if _, err := pool.Exec(ctx, moderationPopulation); err != nil {
		b.Fatalf("populate: %v", err)
	}
	var members, cases, reports, open int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM moderation_cases),
		(SELECT count(*) FROM moderation_reports), (SELECT count(*) FROM moderation_cases WHERE state = 'OPEN')`).
		Scan(&members, &cases, &reports, &open); err != nil || members < 100_000 || reports != 100_000 {
		b.Fatalf("population: %d members, %d cases, %d reports (%v)", members, cases, reports, err)
	}
	b.Logf("population: %d members, %d cases (%d open), %d reports, loaded in %s", members, cases, open, reports, time.Since(start).Round(time.Second))

	mod, c := srv.SignUp(b)
	srv.SetRoles(b, mod.User.ID, domain.RoleModerator)
	var deep struct {
		ModerationCases struct {
			Edges    []struct{ Cursor string }
			PageInfo struct{ EndCursor string }
		}
	}
	after := ""
	for range 50 { // the cursor after 1,000 cases; also warms the server's caches
		vars := map[string]any{}
		if after != "" {
			vars["after"] = after
		}
		apitest.Must(b, c.Do(b, moderationQueuePage, vars)).Decode(b, &deep)
		after = deep.ModerationCases.PageInfo.EndCursor
	}
	explain(b, pool, capture, "page 51")
	apitest.Must(b, c.Do(b, moderationQueuePage, nil))
	explain(b, pool, capture, "page 1")

	// Timed requests are plain HTTP: the body prepared once, the answer read whole and checked
	// for errors without decoding it (apitest's client decodes every answer twice, which is the
	// client's time, not the server's).
	body := func(vars map[string]any) []byte {
		raw, err := json.Marshal(map[string]any{"query": moderationQueuePage, "variables": vars})
		if err != nil {
			b.Fatal(err)
		}
		return raw
	}
	pages := []struct {
		name string
		body []byte
	}{{"first", body(nil)}, {"deep", body(map[string]any{"after": after})}}
	times := make([][]time.Duration, len(pages))
	var size int
	cpu0 := cpuTime(b)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		p := i % len(pages)
		t0 := time.Now()
		raw := post(b, srv.URL, mod.AccessToken, pages[p].body)
		times[p] = append(times[p], time.Since(t0))
		if bytes.Contains(raw[:min(len(raw), 16)], []byte(`"errors"`)) {
			b.Fatalf("queue page: %s", raw)
		}
		size = len(raw)
		i++
	}
	b.StopTimer()
	// The Go process's CPU (server and client, not PostgreSQL) per page: what a page costs
	// whatever else the machine runs, where the percentiles above include waiting for a core.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(i), "go-cpu-ms/op")
	for p, ts := range times {
		if len(ts) == 0 {
			continue
		}
		slices.Sort(ts)
		at := func(q float64) float64 {
			return float64(ts[min(len(ts)-1, int(q*float64(len(ts))))].Microseconds()) / 1000
		}
		b.ReportMetric(at(0.50), pages[p].name+"-p50-ms")
		b.ReportMetric(at(0.95), pages[p].name+"-p95-ms")
		b.ReportMetric(at(0.99), pages[p].name+"-p99-ms")
	}
	b.ReportMetric(float64(size), "response-bytes")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// post sends one GraphQL request and returns the answer's bytes.
func post(b *testing.B, url, token string, body []byte) []byte {
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("queue page: HTTP %d %s (%v)", resp.StatusCode, raw, err)
	}
	return raw
}

// explain runs EXPLAIN ANALYZE of the last queue statement the server ran, with its arguments,
// and fails unless it is a range scan of moderation_cases_queue_idx without a sort.
func explain(b *testing.B, pool *pgxpool.Pool, c *queueCapture, label string) {
	b.Helper()
	c.mu.Lock()
	sql, args := c.sql, c.args
	c.mu.Unlock()
	if sql == "" {
		b.Fatal("the queue statement was not captured")
	}
	rows, err := pool.Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	b.Logf("queue statement plan (%s):\n%s", label, plan)
	if !strings.Contains(plan, "moderation_cases_queue_idx") || strings.Contains(plan, "Sort") {
		b.Fatalf("the queue statement (%s) does not range-scan moderation_cases_queue_idx", label)
	}
}
