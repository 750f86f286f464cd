-- What matching reads of a candidate, one row per member, so that the profile step of candidate
-- generation (store.MatchProfiles) is one primary-key probe per candidate instead of three (users,
-- profiles, availability_slots): about 500 to 750 candidates per request.
--
-- Derived data, kept in step by the triggers below in the transaction that changes the source
-- rows, not by a job after commit: matches must reflect a suspension, a hidden profile or a new
-- availability at once (as they did when matching read the source tables), and rows written by
-- plain SQL (seed, bench population, tests) must be covered too.
CREATE TABLE match_profiles (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    -- users.status = 'ACTIVE'
    active     boolean NOT NULL,
    -- profiles.visibility = 'HIDDEN'
    hidden     boolean NOT NULL DEFAULT false,
    -- The profile's fields; a member without a profile has these defaults.
    languages  text[] NOT NULL DEFAULT '{}',
    time_zone  text NOT NULL DEFAULT 'UTC',
    -- Snapped to 0.01° (about 1 km), the only precision matching ever shows or filters on.
    latitude   double precision,
    longitude  double precision,
    mode       text NOT NULL DEFAULT 'BOTH',
    -- Weekly availability, each slot encoded (weekday * 1441 + start_minute) * 1441 + end_minute,
    -- in (weekday, start_minute) order.
    slots      int[] NOT NULL DEFAULT '{}'
);

CREATE FUNCTION match_profiles_from_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO match_profiles (user_id, created_at, active)
        SELECT n.id, n.created_at, n.status = 'ACTIVE' FROM new_users n
        ON CONFLICT (user_id) DO UPDATE SET created_at = EXCLUDED.created_at, active = EXCLUDED.active;
    ELSE
        UPDATE match_profiles m SET created_at = n.created_at, active = n.status = 'ACTIVE'
        FROM new_users n
        WHERE m.user_id = n.id AND (m.created_at, m.active) IS DISTINCT FROM (n.created_at, n.status = 'ACTIVE');
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION match_profiles_from_profiles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE match_profiles m
        SET hidden = false, languages = '{}', time_zone = 'UTC', latitude = NULL, longitude = NULL, mode = 'BOTH'
        FROM old_profiles o
        WHERE m.user_id = o.user_id;
    ELSE
        UPDATE match_profiles m
        SET hidden = n.hidden, languages = n.languages, time_zone = n.time_zone,
            latitude = n.latitude, longitude = n.longitude, mode = n.mode
        FROM (SELECT p.user_id, p.visibility = 'HIDDEN' AS hidden, p.languages, p.time_zone,
                  round(p.latitude::numeric, 2)::float8 AS latitude, round(p.longitude::numeric, 2)::float8 AS longitude, p.mode
              FROM new_profiles p) n
        WHERE m.user_id = n.user_id
          AND (m.hidden, m.languages, m.time_zone, m.latitude, m.longitude, m.mode)
              IS DISTINCT FROM (n.hidden, n.languages, n.time_zone, n.latitude, n.longitude, n.mode);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION match_profiles_from_slots() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT s.user_id) INTO ids FROM new_slots s;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT s.user_id) INTO ids FROM old_slots s;
    ELSE
        SELECT array_agg(DISTINCT x.user_id) INTO ids
        FROM (SELECT user_id FROM new_slots UNION ALL SELECT user_id FROM old_slots) x;
    END IF;
    -- Lock the rows first, then read the slots in a statement of its own: under READ COMMITTED
    -- it sees what a concurrent transaction changing the same member's slots committed while
    -- this one waited for the lock, so the last writer leaves the complete list.
    PERFORM 1 FROM match_profiles WHERE user_id = ANY (ids) ORDER BY user_id FOR NO KEY UPDATE;
    UPDATE match_profiles m
    SET slots = ARRAY(SELECT (s.weekday * 1441 + s.start_minute) * 1441 + s.end_minute
                      FROM availability_slots s WHERE s.user_id = m.user_id
                      ORDER BY s.weekday, s.start_minute)
    WHERE m.user_id = ANY (ids);
    RETURN NULL;
END
$$;

-- Writers wait until the table is filled and the triggers are in place, so no change falls
-- between the two.
LOCK TABLE users, profiles, availability_slots IN SHARE ROW EXCLUSIVE MODE;

-- Statement-level triggers with transition tables: one statement per bulk change (PostgreSQL
-- allows one event per trigger with transition tables).
CREATE TRIGGER match_profiles_users_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_users FOR EACH STATEMENT EXECUTE FUNCTION match_profiles_from_users();
CREATE TRIGGER match_profiles_users_update AFTER UPDATE ON users
    REFERENCING NEW TABLE AS new_users FOR EACH STATEMENT EXECUTE FUNCTION match_profiles_from_users();
CREATE TRIGGER match_profiles_profiles_insert AFTER INSERT ON profiles
    REFERENCING NEW TABLE AS new_profiles FOR EACH STATEMENT EXECUTE FUNCTION match_profiles_from_profiles();
CREATE TRIGGER match_profiles_profiles_update AFTER UPDATE ON profiles
    REFERENCING NEW TABLE AS new_profiles FOR EACH STATEMENT EXECUTE FUNCTION match_profiles_from_profiles();
CREATE TRIGGER match_profiles_profiles_delete AFTER DELETE ON profiles
    REFERENCING OLD TABLE AS old_profiles FOR EACH STATEMENT EXECUTE FUNCTION match_profiles_from_profiles();
CREATE TRIGGER match_profiles_slots_insert AFTER INSERT ON availability_slots
    REFERENCING NEW TABLE AS new_slots FOR EACH STATEMENT EXECUTE FUNCTION match_profiles_from_slots();
CREATE TRIGGER match_profiles_slots_update AFTER UPDATE ON availability_slots
    REFERENCING OLD TABLE AS old_slots NEW TABLE AS new_slots FOR EACH STATEMENT EXECUTE FUNCTION match_profiles_from_slots();
CREATE TRIGGER match_profiles_slots_delete AFTER DELETE ON availability_slots
    REFERENCING OLD TABLE AS old_slots FOR EACH STATEMENT EXECUTE FUNCTION match_profiles_from_slots();

INSERT INTO match_profiles (user_id, created_at, active, hidden, languages, time_zone, latitude, longitude, mode, slots)
SELECT u.id, u.created_at, u.status = 'ACTIVE', coalesce(p.visibility = 'HIDDEN', false),
       coalesce(p.languages, '{}'), coalesce(p.time_zone, 'UTC'),
       round(p.latitude::numeric, 2)::float8, round(p.longitude::numeric, 2)::float8, coalesce(p.mode, 'BOTH'),
       ARRAY(SELECT (s.weekday * 1441 + s.start_minute) * 1441 + s.end_minute
             FROM availability_slots s WHERE s.user_id = u.id
             ORDER BY s.weekday, s.start_minute)
FROM users u
LEFT JOIN profiles p ON p.user_id = u.id;
