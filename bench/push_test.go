package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/expotest"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/push"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/store"
)

// BenchmarkPush10000 sends 10,000 push notifications to 10,000 devices through the real path:
// NotifyOnce writes the outbox and the flush jobs in the events' transactions (20 of 500
// members), two River worker clients (two instances) work the jobs, their senders pace through
// ratelimit.Flights in Redis (REDIS_URL, one client each; one shared in-memory Flights without
// it) at Expo's cap of 600 in any second, and a local Expo-compatible server (internal/expotest:
// Expo cannot run here) answers, refusing with 429 whatever would put more than 600 messages in
// its last second.
//
// It reports the sustained rate (the least-squares slope of messages accepted against the
// server's clock), messages over first-to-last arrival and over the whole run, the most messages
// that arrived (refused or not) in any window of one second at the server, 429s received, and
// the messages lost (a device never reached) or duplicated (reached twice); it fails when the cap
// was exceeded, or anything was refused, lost or duplicated. The target: sustained at the
// cap without exceeding it, none lost nor duplicated.
//
// Run it with: go test -run '^$' -bench Push10000 -benchtime 1x -timeout 10m ./bench/
func BenchmarkPush10000(b *testing.B) {
	const members = 10000
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	pool, err := pgxpool.New(ctx, testdb.New(b))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	st := store.New(pool, inserter, log)
	svc := notifications.NewService(st, realtime.NewHub(realtime.NewMemory()), log, notifications.Options{Push: true})

	users := make([]uuid.UUID, members)
	tokens := make(map[string]bool, members)
	for i := range users {
		users[i] = uuid.New()
		tokens[fmt.Sprintf("ExponentPushToken[bench-%s]", users[i])] = true
	}
	mustExec(b, pool, `INSERT INTO users (id, email, password_hash, display_name)
		SELECT u, u::text || '@bench.example', 'x', 'Bench' FROM unnest($1::uuid[]) u`, users)
	mustExec(b, pool, `INSERT INTO push_devices (id, user_id, token, platform, created_at, last_registered_at)
		SELECT gen_random_uuid(), u, 'ExponentPushToken[bench-' || u || ']', 'ANDROID', now(), now() FROM unnest($1::uuid[]) u`, users)

	expo := expotest.New(b)
	expo.RatePerSecond = push.ProjectRatePerSecond
	// Two instances: each its own limiter client over one Redis (one in-memory limiter shared
	// without it).
	var flights [2]push.Flights
	shared := ratelimit.NewMemoryFlights(nil)
	flights[0], flights[1] = shared, shared
	if url := os.Getenv("REDIS_URL"); url != "" {
		opts, err := redis.ParseURL(url)
		if err != nil {
			b.Fatal(err)
		}
		prefix := fmt.Sprintf("bench:push:%d:", time.Now().UnixNano())
		for i := range flights {
			rc := redis.NewClient(opts)
			defer rc.Close()
			flights[i] = ratelimit.NewRedisFlights(rc, prefix, log)
		}
	}
	for i := range 2 {
		sender := notifications.NewPushSender(st, push.NewClient(push.Config{BaseURL: expo.URL}),
			push.NewPacer(flights[i], push.ProjectRatePerSecond, nil), log, notifications.PushConfig{})
		workers, err := jobs.NewWorkerClient(pool, []jobs.Register{notifications.PushJobs(sender, true)}, log)
		if err != nil {
			b.Fatal(err)
		}
		if err := workers.Start(ctx); err != nil {
			b.Fatal(err)
		}
		defer func() { _ = workers.Stop(ctx) }()
	}

	b.ResetTimer()
	for range b.N {
		before := len(expo.Messages())
		start := time.Now()
		for i := 0; i < members; i += 500 {
			err := st.InTx(ctx, func(q *store.Queries) error {
				_, err := svc.NotifyOnce(ctx, q, users[i:i+500], domain.NotificationSessionReminder, "", nil)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		deadline := time.Now().Add(5 * time.Minute)
		for len(expo.Messages())-before < members {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d pushes arrived in 5 minutes", len(expo.Messages())-before, members)
			}
			time.Sleep(100 * time.Millisecond)
		}
		elapsed := time.Since(start)
		// Let anything duplicated arrive too.
		time.Sleep(2 * time.Second)
		msgs := expo.Messages()[before:]
		seen := make(map[string]int, members)
		for _, m := range msgs {
			seen[m.To]++
		}
		dup, lost := 0, 0
		for tok := range tokens {
			switch n := seen[tok]; {
			case n == 0:
				lost++
			case n > 1:
				dup += n - 1
			}
		}
		refused := 0
		var ok []expotest.Request
		for _, r := range expo.Requests() {
			switch r.Status {
			case http.StatusTooManyRequests:
				refused++
			case http.StatusOK:
				ok = append(ok, r)
			}
		}
		sort.Slice(ok, func(i, j int) bool { return ok[i].At.Before(ok[j].At) })
		first, last := ok[0].At, ok[len(ok)-1].At
		most := expo.MaxArrivedInAnySecond()
		b.ReportMetric(float64(members)/elapsed.Seconds(), "pushes/s_end_to_end")
		b.ReportMetric(float64(len(msgs))/last.Sub(first).Seconds(), "pushes/s_first_to_last")
		b.ReportMetric(sustained(ok), "pushes/s_sustained")
		b.ReportMetric(float64(most), "max_in_any_1s")
		b.ReportMetric(float64(refused), "429s")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(dup), "duplicated")
		if n := countRows(b, pool, `SELECT count(*) FROM push_outbox`); n != 0 {
			b.Fatalf("%d pushes left in the outbox", n)
		}
		if most > push.ProjectRatePerSecond || refused > 0 || lost > 0 || dup > 0 {
			b.Fatalf("%d in one second (cap %d), %d refused, %d lost, %d duplicated", most, push.ProjectRatePerSecond, refused, lost, dup)
		}
	}
}

// sustained is the slope of the messages accepted so far against the server's clock (least
// squares over the requests, in order of arrival): the rate held over the run. Messages over
// first-to-last time overstates it when the pacer sends its window's worth in bursts (the
// last burst adds messages but almost no time), and end-to-end time adds the ramp-up.
func sustained(reqs []expotest.Request) float64 {
	var n, sx, sy, sxx, sxy float64
	total := 0
	for _, r := range reqs {
		total += len(r.Messages)
		x := r.At.Sub(reqs[0].At).Seconds()
		y := float64(total)
		n++
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

func countRows(b *testing.B, pool *pgxpool.Pool, sql string) int {
	b.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}
