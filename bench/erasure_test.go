package bench

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/skillswap/skillswap/internal/apitest"
)

// BenchmarkEraseHeavyMember measures the erasure of a heavy member (package erasure, as its job
// runs it): 10,000 messages sent, 500 login sessions with their refresh tokens, 200 completed
// sessions each with a payment and reviews both ways, 2,000 notifications, a profile and skills,
// in a database that also holds 200,000 messages and 100,000 notifications of other members (the
// erasure's statements must not cost what the whole tables weigh). Each iteration builds a new
// heavy member with SQL (untimed) and times Erase: the one transaction per the register, then
// the revocation broadcasts and the search-document removal. It needs the test database
// (TEST_DATABASE_URL, as the integration tests).
//
// It reports p50 and max of the erasure's duration. Issue 15's target: ≤ 10 s.
//
// Run it with: go test -run '^$' -bench EraseHeavyMember -benchtime 5x -timeout 30m ./bench/
func BenchmarkEraseHeavyMember(b *testing.B) {
	ctx := context.Background()
	cfg := apitest.Config(b)
	srv := apitest.Start(b, cfg)
	// Populate through a pool of its own, free of the server's statement timeout (which the
	// erasure itself runs under, as in production).
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	srv.Skill(b, srv.Category(b, "bench-erasure", "Bench", "Banc"), "bench-erasure-skill", "Glazing", "Émaillage")
	var skillID uuid.UUID
	if err := pool.QueryRow(ctx, `SELECT id FROM skills WHERE slug = 'bench-erasure-skill'`).Scan(&skillID); err != nil {
		b.Fatal(err)
	}
	partner := benchUser(b, pool, "partner")
	other := benchUser(b, pool, "other")
	// Background: other members' messages and notifications.
	mustExec(b, pool, `
		WITH c AS (INSERT INTO conversations (id, kind, title, created_by, created_at, last_seq, activity_at)
			VALUES (gen_random_uuid(), 'GROUP', 'background', $1, now(), 200000, now()) RETURNING id)
		INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at)
		SELECT gen_random_uuid(), c.id, g, CASE WHEN g % 2 = 0 THEN $1 ELSE $2 END::uuid, 'bg-' || g,
		       'background message number ' || g, now()
		FROM c, generate_series(1, 200000) g`, partner, other)
	mustExec(b, pool, `
		INSERT INTO notifications (id, user_id, type, payload, created_at)
		SELECT gen_random_uuid(), CASE WHEN g % 2 = 0 THEN $1 ELSE $2 END::uuid, 'NEW_MESSAGE',
		       jsonb_build_object('conversation_id', gen_random_uuid(), 'sender_id', $2::uuid, 'seq', g), now()
		FROM generate_series(1, 100000) g`, partner, other)
	mustExec(b, pool, `ANALYZE`)

	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		heavy := heavyMember(b, pool, partner, skillID)
		b.StartTimer()
		t0 := time.Now()
		out, err := srv.App.Erasure.Erase(ctx, heavy)
		d := time.Since(t0)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if len(out.SessionIDs) != 500 {
			b.Fatalf("%d login sessions ended, want 500", len(out.SessionIDs))
		}
		var left int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE sender_id = $1 AND body <> ''`, heavy).Scan(&left); err != nil || left != 0 {
			b.Fatalf("%d messages not tombstoned (%v)", left, err)
		}
		durations = append(durations, d)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(durations[len(durations)-1].Milliseconds()), "max-ms")
}

func mustExec(b *testing.B, pool *pgxpool.Pool, sql string, args ...any) {
	b.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		b.Fatalf("%s: %v", sql, err)
	}
}

func benchUser(b *testing.B, pool *pgxpool.Pool, name string) uuid.UUID {
	b.Helper()
	id := uuid.New()
	mustExec(b, pool, `INSERT INTO users (id, email, password_hash, display_name) VALUES ($1, $2, 'x', $3)`,
		id, name+"-"+id.String()+"@bench.example", "Bench "+name)
	return id
}

// heavyMember writes one heavy member's data (see BenchmarkEraseHeavyMember) and returns their id.
func heavyMember(b *testing.B, pool *pgxpool.Pool, partner, skill uuid.UUID) uuid.UUID {
	b.Helper()
	id := benchUser(b, pool, "heavy")
	mustExec(b, pool, `INSERT INTO profiles (user_id, bio, city, country, latitude, longitude)
		VALUES ($1, 'a long bio', 'Nantes', 'FR', 47.2184, -1.5536)`, id)
	mustExec(b, pool, `INSERT INTO member_skills (user_id, skill_id, kind, level, description) VALUES ($1, $2, 'OFFER', 'EXPERT', 'glazes')`, id, skill)
	mustExec(b, pool, `
		WITH c AS (INSERT INTO conversations (id, kind, title, created_by, created_at, last_seq, activity_at)
			VALUES (gen_random_uuid(), 'GROUP', 'heavy', $1, now(), 10000, now()) RETURNING id),
		p AS (INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at)
			SELECT c.id, u, 'MEMBER', now() FROM c, unnest(ARRAY[$1, $2]::uuid[]) u)
		INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at)
		SELECT gen_random_uuid(), c.id, g, $1, 'k-' || g, 'message from the heavy member, number ' || g, now()
		FROM c, generate_series(1, 10000) g`, id, partner)
	mustExec(b, pool, `
		WITH s AS (INSERT INTO auth_sessions (id, user_id, created_at, expires_at, user_agent, ip)
			SELECT gen_random_uuid(), $1, now(), now() + interval '30 days', 'Bench/1.0', '203.0.113.7'
			FROM generate_series(1, 500) RETURNING id)
		INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at)
		SELECT sha256(convert_to(gen_random_uuid()::text, 'UTF8')), s.id, now(), now() + interval '30 days' FROM s`, id)
	mustExec(b, pool, `
		WITH s AS (INSERT INTO skill_sessions (id, skill_id, teacher_id, learner_id, created_by, proposer_id, starts_at,
				duration_minutes, ends_at, mode, link, note, state, completed_at, price_amount, price_currency)
			SELECT gen_random_uuid(), $3, $1, $2, $2, $2, t, 60, t + interval '1 hour', 'ONLINE', 'https://meet.example/' || g,
			       'bring your notes', 'COMPLETED', t + interval '1 hour', 4500, 'EUR'
			FROM generate_series(1, 200) g, LATERAL (SELECT now() - g * interval '1 day' AS t) x
			RETURNING id),
		p AS (INSERT INTO payments (id, session_id, payer_id, payee_id, amount_minor, fee_minor, currency, state,
				stripe_payment_intent_id, client_secret, captured_minor, transferred_minor)
			SELECT gen_random_uuid(), s.id, $2, $1, 4500, 450, 'EUR', 'CAPTURED', 'pi_' || replace(s.id::text, '-', ''),
			       'secret_' || s.id, 4500, 4050 FROM s)
		INSERT INTO reviews (id, session_id, reviewer_id, reviewee_id, rating, comment, created_at, visible_at)
		SELECT gen_random_uuid(), s.id, r.a, r.b, 4, 'a fine session', now(), now()
		FROM s, (VALUES ($1::uuid, $2::uuid), ($2::uuid, $1::uuid)) r(a, b)`, id, partner, skill)
	mustExec(b, pool, `
		INSERT INTO notifications (id, user_id, type, payload, created_at)
		SELECT gen_random_uuid(), $1, 'NEW_MESSAGE', jsonb_build_object('sender_id', $2::uuid, 'seq', g), now()
		FROM generate_series(1, 2000) g`, id, partner)
	return id
}
