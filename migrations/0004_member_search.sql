-- Member search index of the PostgreSQL search backend (package search), and the bookkeeping that
-- keeps any search backend in step with the source tables.
--
-- Skills need no copy: searchSkills reads the skills table itself (its generated search_text with
-- the trigram and full-text indexes of 0002). Members are denormalised into member_search, one row
-- per searchable member (ACTIVE account, profile not HIDDEN), rebuilt by the reindex_member job that
-- every change of a member's searchable data inserts in its own transaction.
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

CREATE TABLE member_search (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- lower(immutable_unaccent(display_name)): trigram and prefix matching of names.
    name_text    text NOT NULL,
    -- Filter keys, all in one GIN-indexed array so that any combination of filters is one index
    -- scan (`keys @> required AND keys && any_of ...`). Each key is the 64-bit FNV-1a hash of a
    -- string built by package search (search/keys.go), which keeps rows small:
    --   OS:<skill> OS:<skill>:<rank>   offered skill (any level / exact level 1..4)
    --   WS:<skill> WS:<skill>:<rank>   wanted skill
    --   OC:<cat>   OC:<cat>:<rank>     category of an offered skill (rank = best level in it)
    --   WC:<cat>   WC:<cat>:<rank>     category of a wanted skill
    --   OL:<rank>  WL:<rank>           best offered / wanted level
    --   L:<iso639-1>  M:<mode>  V:PUBLIC
    --   A:<zone>:<D|H|Q|M><n>          weekly availability in the member's zone, as aligned blocks of
    --                                  a day / hour / quarter / minute of the local week
    keys         bigint[] NOT NULL,
    -- Facet sources (small arrays, so facets never unnest the large keys array).
    languages    text[] NOT NULL DEFAULT '{}',
    mode         text NOT NULL CHECK (mode IN ('ONLINE', 'IN_PERSON', 'BOTH')),
    offer_rank   smallint NOT NULL DEFAULT 0 CHECK (offer_rank BETWEEN 0 AND 4),
    want_rank    smallint NOT NULL DEFAULT 0 CHECK (want_rank BETWEEN 0 AND 4),
    offer_skills         uuid[] NOT NULL DEFAULT '{}',
    offer_skill_ranks    smallint[] NOT NULL DEFAULT '{}',
    want_skills          uuid[] NOT NULL DEFAULT '{}',
    want_skill_ranks     smallint[] NOT NULL DEFAULT '{}',
    offer_categories     uuid[] NOT NULL DEFAULT '{}',
    offer_category_ranks smallint[] NOT NULL DEFAULT '{}',
    want_categories      uuid[] NOT NULL DEFAULT '{}',
    want_category_ranks  smallint[] NOT NULL DEFAULT '{}',
    -- Location: ll_to_earth(latitude, longitude), NULL without coordinates. Stored (not an
    -- expression index) so no index depends on earthdistance's search_path-sensitive functions.
    geo          earth,
    time_zone    text NOT NULL,
    indexed_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(offer_skills) = cardinality(offer_skill_ranks)),
    CHECK (cardinality(want_skills) = cardinality(want_skill_ranks)),
    CHECK (cardinality(offer_categories) = cardinality(offer_category_ranks)),
    CHECK (cardinality(want_categories) = cardinality(want_category_ranks))
);
CREATE INDEX member_search_keys_idx ON member_search USING gin (keys);
-- Text search finds the skills matching the text, then their members through these.
CREATE INDEX member_search_offer_skills_idx ON member_search USING gin (offer_skills);
CREATE INDEX member_search_want_skills_idx ON member_search USING gin (want_skills);
CREATE INDEX member_search_name_trgm_idx ON member_search USING gin (name_text gin_trgm_ops);
CREATE INDEX member_search_name_fts_idx ON member_search USING gin (to_tsvector('simple', name_text));
CREATE INDEX member_search_geo_idx ON member_search USING gist (geo);

-- Every time zone ever indexed: "available at instant T" turns T into each zone's local weekday
-- and minute (in Go, at query time) and looks the resulting A:<zone>:... keys up in `keys`.
CREATE TABLE member_search_zones (
    time_zone text PRIMARY KEY
);

-- One row per member whose reindex job is queued but not started: the job is inserted only by the
-- change that creates the row, and the worker deletes the row before it reads the member, so there is
-- at most one pending job per member and no change is ever left unindexed (see search/jobs.go). No
-- foreign key: erasing a member queues their removal from the index.
CREATE TABLE search_reindex_requests (
    user_id      uuid PRIMARY KEY,
    requested_at timestamptz NOT NULL DEFAULT now()
);

-- Searches re-check, at query time, the few members that must never appear even before their
-- reindex job has run (suspended accounts, hidden profiles); these partial indexes keep it cheap.
-- Matching (store/matching.go) uses the same two sets: it removes those members from its
-- candidates with a hash anti-join before capping them, so they never take a place under the cap.
CREATE INDEX users_not_active_idx ON users (id) WHERE status <> 'ACTIVE';
CREATE INDEX profiles_hidden_idx ON profiles (user_id) WHERE visibility = 'HIDDEN';
