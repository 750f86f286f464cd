-- Activity for the KPI benchmark (bench/kpis.sh), on top of bench/population/members.sql:
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f bench/population/kpis.sql
-- * Sign-ups spread evenly over the last 52 weeks (members.sql creates everyone within a day);
--   95 % of them verified their email.
-- * Members bench<n> and bench<n + half> share a DIRECT conversation (half the population is
--   paired); 70 % of pairs talk: a first message 0 to 10 days after the later sign-up, then up
--   to 11 more alternating over the following weeks (about 5 messages per member), never in
--   the future. About a quarter of the members activate within 7 days and a quarter are
--   active in their 4th week (bench/README.md shows the figures).
-- * 25 % of talking pairs book a session 2 to 5 weeks in: a proposal, then COMPLETED an hour after
--   its start when that is in the past (bookings are left out: nothing here reads them).
-- * 30 % of members answered the NPS survey 30 to 90 days after signing up (when that is in the
--   past), 35 % promoters and 35 % detractors; about 5 % of the sampled dismissed it instead.
-- Deterministic (hash-based draws) so runs are comparable.
\set ON_ERROR_STOP on

CREATE TEMP TABLE bench_n AS
  SELECT id, substring(email FROM '^bench([0-9]+)@')::int AS n FROM users WHERE email LIKE 'bench%@bench.skillswap.local';
CREATE UNIQUE INDEX ON bench_n (n);
SELECT max(n) / 2 AS half FROM bench_n \gset

UPDATE users u SET created_at = now() - (abs(hashint4(b.n * 31)) % (364 * 86400)) * interval '1 second',
                   email_verified_at = CASE WHEN b.n % 20 = 0 THEN NULL ELSE now() END
FROM bench_n b WHERE b.id = u.id;
UPDATE users SET email_verified_at = created_at + interval '10 minutes' WHERE email_verified_at IS NOT NULL AND email LIKE 'bench%@bench.skillswap.local';

CREATE TEMP TABLE bench_pairs AS
  SELECT a.n, a.id AS a_id, b.id AS b_id, uuid_v7() AS conv,
         greatest(ua.created_at, ub.created_at) + (abs(hashint4(a.n * 7)) % 240) * interval '1 hour' AS first_at,
         12 + abs(hashint4(a.n * 11)) % 96 AS gap_hours,
         1 + abs(hashint4(a.n * 13)) % 12 AS messages
  FROM bench_n a JOIN bench_n b ON b.n = a.n + :half
  JOIN users ua ON ua.id = a.id JOIN users ub ON ub.id = b.id
  WHERE a.n <= :half AND abs(hashint4(a.n * 17)) % 10 < 7;

INSERT INTO conversations (id, kind, direct_low, direct_high, created_by, created_at, last_seq, last_message_at, activity_at)
SELECT conv, 'DIRECT', least(a_id, b_id), greatest(a_id, b_id), a_id, first_at - interval '1 minute', 0, NULL, first_at - interval '1 minute'
FROM bench_pairs WHERE first_at < now();
INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at)
SELECT conv, u, 'MEMBER', first_at - interval '1 minute'
FROM bench_pairs CROSS JOIN LATERAL (VALUES (a_id), (b_id)) v (u) WHERE first_at < now();

INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at)
SELECT uuid_v7(), p.conv, k + 1, CASE WHEN k % 2 = 0 THEN p.a_id ELSE p.b_id END, 'bench-' || k,
       'Benchmark message ' || k, p.first_at + k * p.gap_hours * interval '1 hour'
FROM bench_pairs p CROSS JOIN generate_series(0, 11) k
WHERE k < p.messages AND p.first_at + k * p.gap_hours * interval '1 hour' < now();
UPDATE conversations c SET last_seq = m.seq, last_message_at = m.created_at, activity_at = m.created_at
FROM (SELECT DISTINCT ON (conversation_id) conversation_id, seq, created_at FROM messages ORDER BY conversation_id, seq DESC) m
WHERE m.conversation_id = c.id AND c.kind = 'DIRECT';

CREATE TEMP TABLE bench_skill AS
  SELECT id, row_number() OVER (ORDER BY slug) - 1 AS k FROM skills WHERE status = 'APPROVED';
SELECT count(*) AS skill_count FROM bench_skill \gset
CREATE TEMP TABLE bench_booked AS
  SELECT uuid_v7() AS id, p.a_id AS teacher_id, p.b_id AS learner_id,
         (SELECT s.id FROM bench_skill s WHERE s.k = p.n % :skill_count) AS skill_id,
         p.first_at + (14 + abs(hashint4(p.n * 19)) % 21) * interval '1 day' AS proposed_at,
         date_trunc('hour', p.first_at + (14 + abs(hashint4(p.n * 19)) % 21) * interval '1 day') + interval '3 days' AS starts_at
  FROM bench_pairs p WHERE abs(hashint4(p.n * 23)) % 4 = 0 AND p.first_at < now();
DELETE FROM bench_booked WHERE proposed_at >= now();
INSERT INTO skill_sessions (id, skill_id, teacher_id, learner_id, created_by, proposer_id, starts_at, duration_minutes, ends_at,
                            mode, link, note, state, booking_seq, teacher_confirmed_at, learner_confirmed_at, completed_at, created_at, updated_at)
SELECT id, skill_id, teacher_id, learner_id, learner_id, learner_id, starts_at, 60, starts_at + interval '1 hour',
       'ONLINE', 'https://meet.example.com/' || id, 'benchmark session',
       CASE WHEN starts_at + interval '1 hour' < now() THEN 'COMPLETED' ELSE 'CONFIRMED' END, 1,
       CASE WHEN starts_at + interval '1 hour' < now() THEN starts_at + interval '1 hour' END,
       CASE WHEN starts_at + interval '1 hour' < now() THEN starts_at + interval '1 hour' END,
       CASE WHEN starts_at + interval '1 hour' < now() THEN starts_at + interval '1 hour' END,
       proposed_at, proposed_at
FROM bench_booked;
INSERT INTO session_proposals (id, session_id, proposer_id, starts_at, duration_minutes, created_at)
SELECT uuid_v7(), id, learner_id, starts_at, 60, proposed_at FROM bench_booked;

-- Scores: 0-10 drawn with weights giving 35 % promoters, 30 % passives, 35 % detractors (NPS about 0).
INSERT INTO nps_responses (id, user_id, score, comment, created_at)
SELECT uuid_v7(), b.id,
       CASE WHEN abs(hashint4(b.n * 29)) % 100 >= 95 THEN NULL
            ELSE (ARRAY[0,2,4,5,6,6,6,7,7,7,8,8,8,9,9,9,9,10,10,10])[1 + abs(hashint4(b.n * 37)) % 20] END,
       CASE WHEN abs(hashint4(b.n * 29)) % 100 < 10 THEN 'Benchmark comment' END,
       u.created_at + (30 + abs(hashint4(b.n * 41)) % 60) * interval '1 day'
FROM bench_n b JOIN users u ON u.id = b.id
WHERE abs(hashint4(b.n * 29)) % 100 < 35 AND u.created_at + (30 + abs(hashint4(b.n * 41)) % 60) * interval '1 day' < now();

ANALYZE users; ANALYZE conversations; ANALYZE messages; ANALYZE skill_sessions; ANALYZE session_proposals; ANALYZE nps_responses;
SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM conversations) AS conversations,
       (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM skill_sessions) AS sessions,
       (SELECT count(*) FROM session_proposals) AS proposals, (SELECT count(*) FROM nps_responses) AS nps_rows;
