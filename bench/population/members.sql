-- Synthetic population for the search and matching benchmarks:
--   psql "$DATABASE_URL" -v members=100000 -v ON_ERROR_STOP=1 -f bench/population/members.sql
-- Members get a profile (one of 12 time zones and cities, jittered coordinates, 1-3 languages,
-- a mode), 2-3 weekly evening slots, 3 offered and 3 wanted skills (~6 skills each) drawn from
-- the seeded taxonomy with a skew towards popular skills, like a real platform. Deterministic
-- (hash-based draws) so runs are comparable. Every member's password is the demo password.
\set ON_ERROR_STOP on

CREATE TEMP TABLE bench_places (i int PRIMARY KEY, tz text, city text, country text, lat float8, lon float8, lang text);
INSERT INTO bench_places VALUES
  (0, 'Europe/Paris', 'Paris', 'FR', 48.8566, 2.3522, 'fr'), (1, 'Europe/Paris', 'Lyon', 'FR', 45.7640, 4.8357, 'fr'),
  (2, 'Europe/London', 'London', 'GB', 51.5074, -0.1278, 'en'), (3, 'Europe/Berlin', 'Berlin', 'DE', 52.5200, 13.4050, 'de'),
  (4, 'Europe/Madrid', 'Madrid', 'ES', 40.4168, -3.7038, 'es'), (5, 'America/New_York', 'New York', 'US', 40.7128, -74.0060, 'en'),
  (6, 'America/Los_Angeles', 'Los Angeles', 'US', 34.0522, -118.2437, 'en'), (7, 'Asia/Tokyo', 'Tokyo', 'JP', 35.6762, 139.6503, 'ja'),
  (8, 'Africa/Dakar', 'Dakar', 'SN', 14.7167, -17.4677, 'fr'), (9, 'America/Montreal', 'Montréal', 'CA', 45.5017, -73.5673, 'fr'),
  (10, 'Europe/Rome', 'Rome', 'IT', 41.9028, 12.4964, 'it'), (11, 'America/Sao_Paulo', 'São Paulo', 'BR', -23.5505, -46.6333, 'pt');

CREATE TEMP TABLE bench_skills AS
  SELECT id, row_number() OVER (ORDER BY slug) - 1 AS n FROM skills WHERE status = 'APPROVED';
SELECT count(*) AS skills FROM bench_skills \gset

-- One password hash for everyone: hashing 100,000 times would only measure argon2.
SELECT password_hash AS demo_hash FROM users WHERE email = 'admin@demo.skillswap.local' \gset

CREATE TEMP TABLE bench_users AS
  SELECT uuid_v7() AS id, g AS n, (g % 12) AS place FROM generate_series(1, :members) g;

INSERT INTO users (id, email, password_hash, display_name, roles, status, created_at, updated_at)
SELECT id, 'bench' || n || '@bench.skillswap.local', :'demo_hash', 'Bench Member ' || n, '{MEMBER}',
       CASE WHEN n % 500 = 0 THEN 'SUSPENDED' ELSE 'ACTIVE' END, now() - (n || ' seconds')::interval, now()
FROM bench_users;

INSERT INTO profiles (user_id, bio, languages, time_zone, city, country, latitude, longitude, mode, visibility, updated_at)
SELECT u.id, 'Synthetic member', ARRAY[p.lang] || CASE WHEN u.n % 3 = 0 THEN ARRAY['en'] ELSE ARRAY[]::text[] END,
       p.tz, p.city, p.country, p.lat + ((abs(hashint4(u.n)) % 1000) / 1000.0 - 0.5) * 0.6, p.lon + ((abs(hashint4(u.n + 1)) % 1000) / 1000.0 - 0.5) * 0.6,
       (ARRAY['ONLINE', 'IN_PERSON', 'BOTH'])[1 + u.n % 3],
       CASE WHEN u.n % 97 = 0 THEN 'HIDDEN' ELSE 'MEMBERS' END, now()
FROM bench_users u JOIN bench_places p ON p.i = u.place;

INSERT INTO availability_slots (user_id, weekday, start_minute, end_minute)
SELECT DISTINCT ON (u.id, d.weekday) u.id, d.weekday, 17 * 60 + (u.n % 4) * 30, 20 * 60 + (u.n % 3) * 30
FROM bench_users u
CROSS JOIN LATERAL (SELECT 1 + ((u.n + k * 2) % 7) AS weekday FROM generate_series(0, 1 + u.n % 2) k) d;

-- About six distinct skills per member (seven draws, duplicates dropped): draws 1-3 are offered,
-- 4-7 wanted. Squaring a
-- uniform draw skews towards low-numbered (popular) skills. The draw hashes the member number:
-- an uncorrelated random() in the LATERAL would be computed once and give everyone the same skills.
INSERT INTO member_skills (user_id, skill_id, kind, level, years_of_practice, created_at, updated_at)
SELECT user_id, skill_id, CASE WHEN k <= 3 THEN 'OFFER' ELSE 'WANT' END,
       (ARRAY['BEGINNER', 'INTERMEDIATE', 'ADVANCED', 'EXPERT'])[1 + (abs(hashint4(n * 7 + k)) % 4)],
       CASE WHEN k <= 3 THEN abs(hashint4(n + k)) % 20 END, now(), now()
FROM (
  SELECT DISTINCT ON (u.id, s.id) u.id AS user_id, s.id AS skill_id, u.n, pick.k
  FROM bench_users u
  CROSS JOIN LATERAL (
    SELECT k, floor(power((abs(hashint4(u.n * 7919 + k * 104729)) % 1000000) / 1000000.0, 2) * :skills)::int AS n
    FROM generate_series(1, 7) k
  ) pick
  JOIN bench_skills s ON s.n = pick.n
) x;

ANALYZE users; ANALYZE profiles; ANALYZE availability_slots; ANALYZE member_skills;
SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM member_skills) AS member_skills,
       round((SELECT count(*) FROM member_skills)::numeric / :members, 2) AS skills_per_member;
