-- Chat population for the real-time benchmarks (bench/realtime.sh):
--   psql "$DATABASE_URL" -v groups=200 -v size=10 -v ON_ERROR_STOP=1 -f bench/population/chat.sql
-- Creates :groups GROUP conversations of :size members each; member n of group g is the account
-- chat<g*size+n>@bench.skillswap.local (created here, with the demo members' password hash so the
-- benchmark can log in as them). Idempotent for the same parameters: existing rows are kept.
\set ON_ERROR_STOP on

SELECT password_hash AS demo_hash FROM users WHERE email = 'admin@demo.skillswap.local' \gset

INSERT INTO users (id, email, password_hash, display_name, roles, status, created_at, updated_at)
SELECT uuid_v7(), 'chat' || n || '@bench.skillswap.local', :'demo_hash', 'Chat Member ' || n, '{MEMBER}', 'ACTIVE', now(), now()
FROM generate_series(0, :groups * :size - 1) n
ON CONFLICT (email) DO NOTHING;

CREATE TEMP TABLE bench_groups AS
SELECT g, uuid_v7() AS id FROM generate_series(0, :groups - 1) g;

-- A group exists when its first member already belongs to a group titled with its number.
DELETE FROM bench_groups b WHERE EXISTS (SELECT 1 FROM conversations c WHERE c.title = 'Bench group ' || b.g);

INSERT INTO conversations (id, kind, title, created_by, created_at, activity_at)
SELECT b.id, 'GROUP', 'Bench group ' || b.g, u.id, now(), now()
FROM bench_groups b JOIN users u ON u.email = 'chat' || (b.g * :size) || '@bench.skillswap.local';

INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at)
SELECT b.id, u.id, CASE WHEN n = 0 THEN 'OWNER' ELSE 'MEMBER' END, now()
FROM bench_groups b
CROSS JOIN generate_series(0, :size - 1) n
JOIN users u ON u.email = 'chat' || (b.g * :size + n) || '@bench.skillswap.local';

SELECT (SELECT count(*) FROM conversations WHERE title LIKE 'Bench group %') AS groups,
       (SELECT count(*) FROM users WHERE email LIKE 'chat%@bench.skillswap.local') AS members;
