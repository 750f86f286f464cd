package bench

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/relay"
)

// BenchmarkDataExport measures building a heavy member's data export (issue 15's target: ≤ 10 s):
// the member sent 10,000 messages (100-200 characters each) in 20 conversations, took part in 500
// skill sessions of which 200 were paid, and has 2,000 notifications. One operation is the build
// job's whole work (exports.Service.Build): every file of the archive read from one read-only
// snapshot and streamed into the zip, then the archive stored in PostgreSQL and the email job
// queued. It needs the test database (TEST_DATABASE_URL, as the integration tests).
//
// Run it with: go test -run '^$' -bench DataExport -benchtime 5x -count 3 ./bench/
func BenchmarkDataExport(b *testing.B) {
	cfg := apitest.Config(b)
	srv := apitest.Start(b, cfg)
	heavy, _ := srv.SignUp(b)
	cat := srv.Category(b, "bench-export", "Export", "Export")
	skill := srv.Skill(b, cat, "bench-export-skill", "Pottery", "Poterie")
	ctx := context.Background()
	parse := func(kind, gid string) uuid.UUID {
		id, err := relay.ParseID(kind, gid, "id")
		if err != nil {
			b.Fatal(err)
		}
		return id
	}
	userID, skillID := parse(relay.KindUser, heavy.User.ID), parse(relay.KindSkill, skill)
	partners := make([]uuid.UUID, 20)
	for i := range partners {
		p, _ := srv.SignUp(b)
		partners[i] = parse(relay.KindUser, p.User.ID)
	}
	exec := func(sql string, args ...any) {
		b.Helper()
		if _, err := srv.App.Pool.Exec(ctx, sql, args...); err != nil {
			b.Fatalf("populate: %v\n%s", err, sql)
		}
	}
	// 20 direct conversations of 500 messages each from the heavy member.
	exec(`WITH c AS (
			INSERT INTO conversations (id, kind, direct_low, direct_high, created_by, created_at, last_seq, activity_at)
			SELECT gen_random_uuid(), 'DIRECT', least($1::uuid, p), greatest($1::uuid, p), $1, now() - interval '30 days', 500, now()
			FROM unnest($2::uuid[]) AS p RETURNING id, direct_low, direct_high)
		INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at)
		SELECT id, u, 'MEMBER', now() - interval '30 days' FROM c, LATERAL (VALUES (direct_low), (direct_high)) AS v(u)`,
		userID, partners)
	exec(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at)
		SELECT gen_random_uuid(), p.conversation_id, s, $1, 'bench-' || s,
		       repeat('lorem ipsum dolor sit amet, ', 4 + s % 4) || s, now() - interval '30 days' + s * interval '1 minute'
		FROM conversation_participants p, generate_series(1, 500) AS s WHERE p.user_id = $1`, userID)
	// 500 sessions (heavy member teaching the partners in turn), 200 of them paid.
	exec(`INSERT INTO skill_sessions (id, skill_id, teacher_id, learner_id, created_by, proposer_id, starts_at,
			duration_minutes, ends_at, mode, link, note, state, price_amount, price_currency)
		SELECT gen_random_uuid(), $2, $1, p, p, p, now() + s * interval '3 hours', 60, now() + s * interval '3 hours' + interval '1 hour',
		       'ONLINE', 'https://meet.example.com/' || s, 'session note ' || s, 'CONFIRMED',
		       CASE WHEN s <= 200 THEN 3000 END, CASE WHEN s <= 200 THEN 'EUR' END
		FROM generate_series(1, 500) AS s, LATERAL (SELECT ($3::uuid[])[1 + s % 20] AS p) x`, userID, skillID, partners)
	exec(`INSERT INTO payments (id, session_id, payer_id, payee_id, amount_minor, fee_minor, currency, state,
			stripe_payment_intent_id, client_secret, captured_minor, transferred_minor)
		SELECT gen_random_uuid(), s.id, s.learner_id, s.teacher_id, 3000, 300, 'EUR', 'CAPTURED',
		       'pi_bench_' || s.id, 'secret_' || s.id, 3000, 2700
		FROM skill_sessions s WHERE s.teacher_id = $1 AND s.price_amount IS NOT NULL`, userID)
	exec(`INSERT INTO notifications (id, user_id, type, payload, created_at)
		SELECT gen_random_uuid(), $1, 'NEW_MESSAGE', jsonb_build_object('n', s), now() - s * interval '1 minute'
		FROM generate_series(1, 2000) AS s`, userID)
	exec(`ANALYZE`)
	var msgs, sessions, payments int
	if err := srv.App.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM messages WHERE sender_id = $1),
		(SELECT count(*) FROM skill_sessions WHERE teacher_id = $1), (SELECT count(*) FROM payments WHERE payee_id = $1)`,
		userID).Scan(&msgs, &sessions, &payments); err != nil || msgs != 10_000 || sessions != 500 || payments != 200 {
		b.Fatalf("population: %d messages, %d sessions, %d payments (%v)", msgs, sessions, payments, err)
	}

	var size int64
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		id := uuid.Must(uuid.NewV7())
		exec(`INSERT INTO data_exports (id, user_id, state, requested_at) VALUES ($1, $2, 'PENDING', now())`, id, userID)
		b.StartTimer()
		if err := srv.App.Exports.Build(ctx, id); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := srv.App.Pool.QueryRow(ctx, `SELECT size_bytes FROM data_exports WHERE id = $1 AND state = 'READY'`, id).Scan(&size); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(size), "archive-bytes")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/export")
}
