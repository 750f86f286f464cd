package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/store"
)

// BenchmarkDigest100000 runs the digest for 100,000 members due at the same instant, with two
// runners at once (two instances), each claiming batches of notifications.DigestBatchSize
// (1,000) members per transaction with FOR UPDATE SKIP LOCKED. The members live in four time
// zones and read new matches in their digest; half have a new match and 10,000 have a
// conversation with unread messages, so about half the members get a digest job, the others
// only move on to their next period.
//
// It reports the run's wall time (the target: within 2 minutes), the average batch
// transaction (each runner's time over its batches), and checks that every member was advanced and got at most one digest job.
//
// Run it with: go test -run '^$' -bench Digest100000 -benchtime 1x -count 2 -timeout 20m ./bench/
func BenchmarkDigest100000(b *testing.B) {
	const members = 100000
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
	users := make([]uuid.UUID, members)
	for i := range users {
		users[i] = uuid.New()
	}
	now := time.Date(2026, 10, 25, 7, 0, 0, 0, time.UTC)
	mustExec(b, pool, `INSERT INTO users (id, email, password_hash, display_name)
		SELECT u, u::text || '@bench.example', 'x', 'Bench' FROM unnest($1::uuid[]) u`, users)
	mustExec(b, pool, `INSERT INTO profiles (user_id, time_zone)
		SELECT u, (ARRAY['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'UTC'])[1 + i % 4]
		FROM unnest($1::uuid[]) WITH ORDINALITY AS t(u, i)`, users)
	mustExec(b, pool, `INSERT INTO notification_preferences (user_id, type, in_app, email, updated_at, email_digest)
		SELECT u, 'NEW_MUTUAL_MATCH', true, true, $2, true FROM unnest($1::uuid[]) u`, users, now)
	// Half the members have a new match since their last digest.
	mustExec(b, pool, `INSERT INTO notifications (id, user_id, type, payload, created_at)
		SELECT gen_random_uuid(), u, 'NEW_MUTUAL_MATCH', '{}', $2::timestamptz - interval '2 hours'
		FROM unnest($1::uuid[]) WITH ORDINALITY AS t(u, i) WHERE i % 2 = 0`, users, now)
	// 10,000 members (odd ones among the first 20,000) have 3 unread messages from a partner.
	mustExec(b, pool, `WITH pairs AS (
			SELECT ($1::uuid[])[2 * k + 1] AS reader, ($1::uuid[])[2 * k + 2] AS sender, gen_random_uuid() AS conv
			FROM generate_series(0, 9999) k),
		c AS (INSERT INTO conversations (id, kind, created_at, activity_at, last_seq)
			SELECT conv, 'GROUP', $2, $2, 3 FROM pairs),
		p AS (INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at, last_read_seq)
			SELECT conv, reader, 'MEMBER', $2, 0 FROM pairs UNION ALL SELECT conv, sender, 'OWNER', $2, 3 FROM pairs)
		INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at)
		SELECT gen_random_uuid(), conv, s, sender, 'c' || s, 'hello', $2 FROM pairs, generate_series(1, 3) s`,
		users, now.Add(-3*time.Hour))
	// Everybody's daily digest is due now (set a day ago).
	mustExec(b, pool, `INSERT INTO notification_digest_schedules (user_id, frequency, minute, next_digest_at, last_digest_at, updated_at)
		SELECT u, 'DAILY', 480, $2, $2::timestamptz - interval '1 day', $2::timestamptz - interval '1 day' FROM unnest($1::uuid[]) u`, users, now)
	mustExec(b, pool, `ANALYZE`)

	b.ResetTimer()
	for range b.N {
		mustExec(b, pool, `UPDATE notification_digest_schedules SET next_digest_at = $1, last_digest_at = $1::timestamptz - interval '1 day'`, now)
		mustExec(b, pool, `DELETE FROM river_job WHERE kind = 'notification_digest_email'`)
		start := time.Now()
		var wg sync.WaitGroup
		stats := make([]notifications.DigestRunStats, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() {
				stats[i], errs[i] = notifications.NewDigestRunner(st, log, func() time.Time { return now }).Run(ctx)
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
		claimed := stats[0].Claimed + stats[1].Claimed
		emailed := stats[0].Emailed + stats[1].Emailed
		batches := stats[0].Batches + stats[1].Batches
		due := countRows(b, pool, fmt.Sprintf(`SELECT count(*) FROM notification_digest_schedules WHERE next_digest_at <= '%s'`, now.Format(time.RFC3339)))
		jobs := countRows(b, pool, `SELECT count(*) FROM river_job WHERE kind = 'notification_digest_email'`)
		dup := countRows(b, pool, `SELECT count(*) FROM (SELECT args->>'user_id' FROM river_job WHERE kind = 'notification_digest_email'
			GROUP BY 1 HAVING count(*) > 1) d`)
		if claimed != members || due != 0 || jobs != emailed || dup != 0 {
			b.Fatalf("claimed %d (want %d), still due %d, jobs %d (runners said %d), duplicated %d", claimed, members, due, jobs, emailed, dup)
		}
		b.ReportMetric(elapsed.Seconds(), "s_run")
		b.ReportMetric(float64(members)/elapsed.Seconds(), "members/s")
		b.ReportMetric(float64(emailed), "digest_jobs")
		b.ReportMetric(float64(batches), "batches")
		b.ReportMetric(elapsed.Seconds()/float64(batches)*2, "s_per_batch_avg")
		if elapsed > 2*time.Minute {
			b.Logf("target unmet: %s > 2 minutes", elapsed)
		}
	}
}
