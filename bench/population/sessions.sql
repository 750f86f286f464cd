-- Skill sessions for the sessions benchmark, on top of bench/population/members.sql:
--   psql "$DATABASE_URL" -v viewers=20 -v upcoming=60 -v grid=40 -v ON_ERROR_STOP=1 -f bench/population/sessions.sql
-- * bench1..bench<viewers> each teach <upcoming> CONFIRMED sessions in the coming days (every
--   3 hours from tomorrow), each to a different learner, and taught each of those learners once
--   30 days ago: a COMPLETED session reviewed both ways (visible), so every partner has a rating.
-- * A <grid> x <grid> square of CONFIRMED sessions that have ended (teachers bench5001.., learners
--   bench6001..), for confirmSessionCompleted: session (i, j) sits in slot (i + j) mod grid, so
--   nobody has two overlapping bookings. Its participants hold credit accounts with the starter
--   grant, so completions measure the steady-state ledger move.
-- Everything respects the schema's constraints (bookings under the exclusion constraint,
-- balanced ledger transactions, rating aggregates equal to the visible reviews).
\set ON_ERROR_STOP on

CREATE TEMP TABLE bench_n AS
  SELECT id, substring(email FROM '^bench([0-9]+)@')::int AS n FROM users WHERE email LIKE 'bench%@bench.skillswap.local';
CREATE UNIQUE INDEX ON bench_n (n);
CREATE TEMP TABLE bench_skill AS
  SELECT id, row_number() OVER (ORDER BY slug) - 1 AS k FROM skills WHERE status = 'APPROVED';
SELECT count(*) AS skill_count FROM bench_skill \gset

-- (viewer, k) pairs: learner bench(1001 + 100 v + k) is never a suspended member (n % 500 = 0).
CREATE TEMP TABLE bench_pairs AS
  SELECT v.id AS teacher_id, l.id AS learner_id, v.n AS vn, g.k,
         (SELECT s.id FROM bench_skill s WHERE s.k = (v.n * 7 + g.k) % :skill_count) AS skill_id
  FROM bench_n v
  CROSS JOIN generate_series(0, :upcoming - 1) AS g (k)
  JOIN bench_n l ON l.n = 1001 + 100 * v.n + g.k
  WHERE v.n BETWEEN 1 AND :viewers;

CREATE TEMP TABLE bench_sessions AS
  SELECT uuid_v7() AS id, skill_id, teacher_id, learner_id,
         date_trunc('hour', now()) + interval '1 day' + k * interval '3 hours' AS starts_at, 'CONFIRMED'::text AS state
  FROM bench_pairs
  UNION ALL
  SELECT uuid_v7(), skill_id, teacher_id, learner_id,
         date_trunc('hour', now()) - interval '30 days' + k * interval '3 hours', 'COMPLETED'
  FROM bench_pairs;

-- The confirmSessionCompleted square: ended an hour or more ago, never overlapping per person.
INSERT INTO bench_sessions
  SELECT uuid_v7(), (SELECT id FROM bench_skill WHERE bench_skill.k = (i * 13 + j) % :skill_count), t.id, l.id,
         date_trunc('hour', now()) - interval '3 days' - ((i + j) % :grid) * interval '2 hours', 'CONFIRMED'
  FROM generate_series(0, :grid - 1) i
  CROSS JOIN generate_series(0, :grid - 1) j
  JOIN bench_n t ON t.n = 5001 + i
  JOIN bench_n l ON l.n = 6001 + j;

INSERT INTO skill_sessions (id, skill_id, teacher_id, learner_id, created_by, proposer_id, starts_at, duration_minutes,
                            ends_at, mode, link, note, state, booking_seq, teacher_confirmed_at, learner_confirmed_at,
                            completed_at, created_at, updated_at)
SELECT id, skill_id, teacher_id, learner_id, learner_id, learner_id, starts_at, 60, starts_at + interval '1 hour',
       'ONLINE', 'https://meet.example.com/' || id, 'benchmark session', state, 1,
       CASE WHEN state = 'COMPLETED' THEN starts_at + interval '1 hour' END,
       CASE WHEN state = 'COMPLETED' THEN starts_at + interval '1 hour' END,
       CASE WHEN state = 'COMPLETED' THEN starts_at + interval '1 hour' END,
       least(now(), starts_at) - interval '7 days', least(now(), starts_at) - interval '7 days'
FROM bench_sessions;

INSERT INTO session_proposals (id, session_id, proposer_id, starts_at, duration_minutes, created_at)
SELECT uuid_v7(), id, learner_id, starts_at, 60, least(now(), starts_at) - interval '7 days' FROM bench_sessions;

-- Confirmed and completed sessions hold their participants' time (plus the 15-minute buffer).
INSERT INTO session_bookings (session_id, user_id, during)
SELECT s.id, u, tstzrange(s.starts_at, s.starts_at + interval '75 minutes', '[)')
FROM bench_sessions s CROSS JOIN LATERAL (VALUES (s.teacher_id), (s.learner_id)) p (u);

-- Both sides reviewed the completed sessions: visible reviews, and the aggregates they make.
INSERT INTO reviews (id, session_id, reviewer_id, reviewee_id, rating, comment, tags, created_at, visible_at)
SELECT uuid_v7(), s.id, r.reviewer, r.reviewee, 3 + abs(hashtext(s.id::text || r.reviewer::text)) % 3, 'Benchmark review',
       '{clear}', s.starts_at + interval '2 hours', s.starts_at + interval '3 hours'
FROM bench_sessions s
CROSS JOIN LATERAL (VALUES (s.teacher_id, s.learner_id), (s.learner_id, s.teacher_id)) r (reviewer, reviewee)
WHERE s.state = 'COMPLETED';

INSERT INTO member_ratings (user_id, count, sum, bayesian, updated_at)
SELECT reviewee_id, count(*), sum(rating), (5 * 4.0 + sum(rating)) / (5 + count(*)), now()
FROM reviews WHERE visible_at IS NOT NULL GROUP BY reviewee_id
ON CONFLICT (user_id) DO UPDATE SET count = EXCLUDED.count, sum = EXCLUDED.sum, bayesian = EXCLUDED.bayesian;

-- Credit accounts with the starter grant (120 minutes) for the square's participants, as
-- sign-up opens them: one balanced STARTER_GRANT transaction each.
CREATE TEMP TABLE bench_accounts AS
  SELECT user_id, uuid_v7() AS account_id, uuid_v7() AS tx_id
  FROM (SELECT DISTINCT u AS user_id
        FROM bench_sessions s CROSS JOIN LATERAL (VALUES (s.teacher_id), (s.learner_id)) p (u)
        WHERE s.state = 'CONFIRMED' AND s.starts_at < now()) x
  WHERE NOT EXISTS (SELECT 1 FROM credit_accounts a WHERE a.user_id = x.user_id);
INSERT INTO credit_accounts (id, user_id) SELECT account_id, user_id FROM bench_accounts;
INSERT INTO credit_transactions (id, kind, memo) SELECT tx_id, 'STARTER_GRANT', 'Welcome credits' FROM bench_accounts;
INSERT INTO credit_entries (transaction_id, account_id, amount)
SELECT tx_id, a, m FROM bench_accounts
CROSS JOIN LATERAL (VALUES ('00000000-0000-7000-8000-000000000001'::uuid, -120::bigint), (account_id, 120::bigint)) l (a, m);

SELECT (SELECT count(*) FROM skill_sessions) AS sessions, (SELECT count(*) FROM reviews) AS reviews,
       (SELECT count(*) FROM member_ratings) AS rated_members, (SELECT count(*) FROM credit_accounts) AS credit_accounts;
