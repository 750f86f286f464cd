-- Skill taxonomy, member profiles, offered/wanted skills and blocks.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- UUIDv7 for rows created in SQL (seeded taxonomy); the application generates its own in Go.
CREATE FUNCTION uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(
        set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
            PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
            FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

-- unaccent() is only STABLE; an IMMUTABLE wrapper (pinned to the dictionary) lets indexes use it.
CREATE FUNCTION immutable_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT public.unaccent('public.unaccent'::regdictionary, $1)
$$;

CREATE TABLE skill_categories (
    id       uuid PRIMARY KEY DEFAULT uuid_v7(),
    slug     text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name_en  text NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 80),
    name_fr  text NOT NULL CHECK (char_length(name_fr) BETWEEN 1 AND 80),
    position int  NOT NULL DEFAULT 0
);

CREATE TABLE skills (
    id          uuid PRIMARY KEY DEFAULT uuid_v7(),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    category_id uuid NOT NULL REFERENCES skill_categories (id),
    name_en     text NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 80),
    name_fr     text NOT NULL CHECK (char_length(name_fr) BETWEEN 1 AND 80),
    synonyms    text[] NOT NULL DEFAULT '{}',
    status      text NOT NULL DEFAULT 'APPROVED' CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'MERGED')),
    merged_into uuid REFERENCES skills (id),
    proposed_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT skills_merged_has_target CHECK ((status = 'MERGED') = (merged_into IS NOT NULL))
);
CREATE INDEX skills_category_idx ON skills (category_id) WHERE status = 'APPROVED';

CREATE TABLE skill_relations (
    skill_id   uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    related_id uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    PRIMARY KEY (skill_id, related_id),
    CHECK (skill_id <> related_id)
);

-- Members propose missing skills; a MODERATOR approves, merges or rejects them.
CREATE INDEX skills_pending_idx ON skills (created_at, id) WHERE status = 'PENDING';

-- Text search over both languages and synonyms, accent-insensitive: a generated column feeds the
-- trigram index (typos, prefixes) and the full-text index (word matches).
CREATE FUNCTION skill_search_text(name_en text, name_fr text, synonyms text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(immutable_unaccent(name_en || ' ' || name_fr || ' ' || array_to_string(synonyms, ' ')))
$$;
ALTER TABLE skills ADD COLUMN search_text text GENERATED ALWAYS AS (skill_search_text(name_en, name_fr, synonyms)) STORED;
CREATE INDEX skills_search_trgm_idx ON skills USING gin (search_text gin_trgm_ops);
CREATE INDEX skills_search_fts_idx ON skills USING gin (to_tsvector('simple', search_text));

CREATE TABLE profiles (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    bio        text NOT NULL DEFAULT '' CHECK (char_length(bio) <= 2000),
    avatar_url text CHECK (avatar_url IS NULL OR (char_length(avatar_url) <= 2048 AND avatar_url LIKE 'https://%')),
    languages  text[] NOT NULL DEFAULT '{}' CHECK (cardinality(languages) <= 20),
    time_zone  text NOT NULL DEFAULT 'UTC' CHECK (char_length(time_zone) BETWEEN 1 AND 64),
    city       text CHECK (char_length(city) <= 100),
    country    text CHECK (country ~ '^[A-Z]{2}$'),
    latitude   double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude  double precision CHECK (longitude BETWEEN -180 AND 180),
    mode       text NOT NULL DEFAULT 'BOTH' CHECK (mode IN ('ONLINE', 'IN_PERSON', 'BOTH')),
    visibility text NOT NULL DEFAULT 'MEMBERS' CHECK (visibility IN ('PUBLIC', 'MEMBERS', 'HIDDEN')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT profiles_coordinates_paired CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE INDEX profiles_languages_idx ON profiles USING gin (languages);

-- Weekly availability in the member's own time zone (ISO weekday 1 = Monday .. 7 = Sunday,
-- minutes since local midnight), so "18:00 Paris" stays 18:00 Paris across DST changes.
CREATE TABLE availability_slots (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    weekday      smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute smallint NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   smallint NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    PRIMARY KEY (user_id, weekday, start_minute),
    CHECK (end_minute > start_minute)
);

-- What members offer and want. One row per (member, skill): a member cannot offer and want the
-- same skill at once.
CREATE TABLE member_skills (
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    skill_id          uuid NOT NULL REFERENCES skills (id),
    kind              text NOT NULL CHECK (kind IN ('OFFER', 'WANT')),
    level             text NOT NULL CHECK (level IN ('BEGINNER', 'INTERMEDIATE', 'ADVANCED', 'EXPERT')),
    years_of_practice smallint CHECK (years_of_practice BETWEEN 0 AND 80),
    description       text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, skill_id),
    CONSTRAINT member_skills_years_only_offers CHECK (kind = 'OFFER' OR years_of_practice IS NULL)
);
CREATE INDEX member_skills_skill_idx ON member_skills (skill_id, kind, level, user_id);

CREATE TABLE blocks (
    blocker_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id, blocker_id);
