package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// This file holds the SQL of search (package search): the sources of search documents, the
// member_search index of the PostgreSQL backend, the reindex bookkeeping and the search queries.
// Filter keys are built and hashed by package search; here they are opaque 64-bit integers.

// MemberSearchSkill is one approved skill a member offers or wants, as search indexes it.
type MemberSearchSkill struct {
	SkillID    uuid.UUID        `json:"skill_id"`
	CategoryID uuid.UUID        `json:"category_id"`
	Kind       domain.SkillKind `json:"kind"`
	Level      domain.Level     `json:"level"`
	NameEN     string           `json:"name_en"`
	NameFR     string           `json:"name_fr"`
	Synonyms   []string         `json:"synonyms"`
}

// MemberSearchSlot is one weekly availability window in the member's time zone.
type MemberSearchSlot struct {
	Weekday     int `json:"weekday"`
	StartMinute int `json:"start_minute"`
	EndMinute   int `json:"end_minute"`
}

// MemberSearchSource is everything search needs about one member, read from the source tables
// (profile defaults applied when the member has no profile row).
type MemberSearchSource struct {
	UserID      uuid.UUID           `db:"user_id"`
	DisplayName string              `db:"display_name"`
	Status      domain.UserStatus   `db:"status"`
	Visibility  domain.Visibility   `db:"visibility"`
	Languages   []string            `db:"languages"`
	TimeZone    string              `db:"time_zone"`
	Latitude    *float64            `db:"latitude"`
	Longitude   *float64            `db:"longitude"`
	Mode        domain.Mode         `db:"mode"`
	Skills      []MemberSearchSkill `db:"skills"`
	Slots       []MemberSearchSlot  `db:"slots"`
}

// Searchable reports whether the member may appear in search at all.
func (s MemberSearchSource) Searchable() bool {
	return s.Status == domain.UserActive && s.Visibility != domain.VisibilityHidden
}

// MemberSearchSources loads the search sources of the given members; unknown ids are absent.
// withNames adds the skills' names and synonyms (the Typesense backend indexes them; PostgreSQL
// matches text on the skills table itself).
func (q *Queries) MemberSearchSources(ctx context.Context, ids []uuid.UUID, withNames bool) ([]MemberSearchSource, error) {
	rows, err := q.db.Query(ctx, `
		WITH sk AS (
		    SELECT ms.user_id, jsonb_agg(jsonb_build_object(
		               'skill_id', s.id, 'category_id', s.category_id, 'kind', ms.kind, 'level', ms.level,
		               'name_en', CASE WHEN $2 THEN s.name_en END, 'name_fr', CASE WHEN $2 THEN s.name_fr END,
		               'synonyms', CASE WHEN $2 THEN s.synonyms END) ORDER BY s.id) AS skills
		    FROM member_skills ms JOIN skills s ON s.id = ms.skill_id AND s.status = 'APPROVED'
		    WHERE ms.user_id = ANY($1)
		    GROUP BY ms.user_id
		),
		sl AS (
		    SELECT a.user_id, jsonb_agg(jsonb_build_object(
		               'weekday', a.weekday, 'start_minute', a.start_minute, 'end_minute', a.end_minute)
		               ORDER BY a.weekday, a.start_minute) AS slots
		    FROM availability_slots a WHERE a.user_id = ANY($1)
		    GROUP BY a.user_id
		)
		SELECT u.id AS user_id, u.display_name, u.status,
		       coalesce(p.visibility, 'MEMBERS') AS visibility,
		       coalesce(p.languages, '{}') AS languages,
		       coalesce(p.time_zone, 'UTC') AS time_zone,
		       -- Indexed coordinates are snapped to 0.01° (about 1 km): radius filters and the
		       -- distances shown must not let a searcher locate a member exactly.
		       round(p.latitude::numeric, 2)::float8 AS latitude,
		       round(p.longitude::numeric, 2)::float8 AS longitude,
		       coalesce(p.mode, 'BOTH') AS mode,
		       coalesce(sk.skills, '[]') AS skills,
		       coalesce(sl.slots, '[]') AS slots
		FROM users u
		LEFT JOIN profiles p ON p.user_id = u.id
		LEFT JOIN sk ON sk.user_id = u.id
		LEFT JOIN sl ON sl.user_id = u.id
		WHERE u.id = ANY($1)
		ORDER BY u.id`, ids, withNames)
	if err != nil {
		return nil, mapErr(err, "select member search sources", "member", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[MemberSearchSource])
	return out, mapErr(err, "select member search sources", "member", "")
}

// MemberIDsAfter pages every account id in order (full reindexing).
func (q *Queries) MemberIDsAfter(ctx context.Context, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, mapErr(err, "page member ids", "member", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return out, mapErr(err, "page member ids", "member", "")
}

// MemberIDsWithSkill returns the members who offer or want the skill, plus those whose index entry
// still mentions it (after a merge moved them to another skill).
func (q *Queries) MemberIDsWithSkill(ctx context.Context, skillID uuid.UUID) ([]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `
		SELECT user_id FROM member_skills WHERE skill_id = $1
		UNION
		SELECT user_id FROM member_search WHERE offer_skills @> ARRAY[$1::uuid]
		UNION
		SELECT user_id FROM member_search WHERE want_skills @> ARRAY[$1::uuid]
		ORDER BY 1`, skillID)
	if err != nil {
		return nil, mapErr(err, "select members of skill", "member", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return out, mapErr(err, "select members of skill", "member", "")
}

// MemberSearchDoc is one row of the PostgreSQL member index, built by package search.
type MemberSearchDoc struct {
	UserID             uuid.UUID
	DisplayName        string
	Keys               []int64
	Languages          []string
	Mode               domain.Mode
	OfferRank          int
	WantRank           int
	OfferSkills        []uuid.UUID
	OfferSkillRanks    []int
	WantSkills         []uuid.UUID
	WantSkillRanks     []int
	OfferCategories    []uuid.UUID
	OfferCategoryRanks []int
	WantCategories     []uuid.UUID
	WantCategoryRanks  []int
	Latitude           *float64
	Longitude          *float64
	TimeZone           string
}

// WriteMemberSearch upserts docs into member_search and deletes the rows of remove, in one
// statement; the documents' time zones are recorded in member_search_zones. Columns travel as
// parallel arrays (binary protocol); the per-row lists as space-separated text, since PostgreSQL
// arrays cannot be ragged (no key, language, zone or id contains a space).
func (q *Queries) WriteMemberSearch(ctx context.Context, docs []MemberSearchDoc, remove []uuid.UUID) error {
	if remove == nil {
		remove = []uuid.UUID{}
	}
	n := len(docs)
	var (
		ids                              = make([]uuid.UUID, n)
		names, keys, langs, modes, zones = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		offerRank, wantRank              = make([]int32, n), make([]int32, n)
		offerSkills, offerSkillRanks     = make([]string, n), make([]string, n)
		wantSkills, wantSkillRanks       = make([]string, n), make([]string, n)
		offerCats, offerCatRanks         = make([]string, n), make([]string, n)
		wantCats, wantCatRanks           = make([]string, n), make([]string, n)
		lats, lons                       = make([]*float64, n), make([]*float64, n)
		joinIDs                          = func(list []uuid.UUID) string {
			parts := make([]string, len(list))
			for i, id := range list {
				parts[i] = id.String()
			}
			return strings.Join(parts, " ")
		}
		joinInts = func(list []int) string {
			parts := make([]string, len(list))
			for i, v := range list {
				parts[i] = strconv.Itoa(v)
			}
			return strings.Join(parts, " ")
		}
	)
	for i, d := range docs {
		ids[i], names[i], modes[i], zones[i] = d.UserID, d.DisplayName, string(d.Mode), d.TimeZone
		keys[i], langs[i] = joinInt64s(d.Keys), strings.Join(d.Languages, " ")
		offerRank[i], wantRank[i] = int32(d.OfferRank), int32(d.WantRank)
		offerSkills[i], offerSkillRanks[i] = joinIDs(d.OfferSkills), joinInts(d.OfferSkillRanks)
		wantSkills[i], wantSkillRanks[i] = joinIDs(d.WantSkills), joinInts(d.WantSkillRanks)
		offerCats[i], offerCatRanks[i] = joinIDs(d.OfferCategories), joinInts(d.OfferCategoryRanks)
		wantCats[i], wantCatRanks[i] = joinIDs(d.WantCategories), joinInts(d.WantCategoryRanks)
		if d.Latitude != nil && d.Longitude != nil {
			lats[i], lons[i] = d.Latitude, d.Longitude
		}
	}
	_, err := q.db.Exec(ctx, `
		WITH d AS (
		    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int2[], $7::int2[],
		                         $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
		                         $16::float8[], $17::float8[], $18::text[])
		        AS d(user_id, display_name, keys, languages, mode, offer_rank, want_rank,
		             offer_skills, offer_skill_ranks, want_skills, want_skill_ranks,
		             offer_categories, offer_category_ranks, want_categories, want_category_ranks,
		             latitude, longitude, time_zone)
		),
		removed AS (DELETE FROM member_search WHERE user_id = ANY($19::uuid[])),
		zones AS (
		    INSERT INTO member_search_zones (time_zone) SELECT DISTINCT time_zone FROM d
		    ON CONFLICT DO NOTHING
		)
		INSERT INTO member_search AS m (
		    user_id, name_text, keys, languages, mode, offer_rank, want_rank,
		    offer_skills, offer_skill_ranks, want_skills, want_skill_ranks,
		    offer_categories, offer_category_ranks, want_categories, want_category_ranks,
		    geo, time_zone, indexed_at)
		SELECT d.user_id, lower(immutable_unaccent(d.display_name)),
		       string_to_array(d.keys, ' ')::int8[], string_to_array(d.languages, ' '), d.mode, d.offer_rank, d.want_rank,
		       string_to_array(d.offer_skills, ' ')::uuid[], string_to_array(d.offer_skill_ranks, ' ')::int2[],
		       string_to_array(d.want_skills, ' ')::uuid[], string_to_array(d.want_skill_ranks, ' ')::int2[],
		       string_to_array(d.offer_categories, ' ')::uuid[], string_to_array(d.offer_category_ranks, ' ')::int2[],
		       string_to_array(d.want_categories, ' ')::uuid[], string_to_array(d.want_category_ranks, ' ')::int2[],
		       CASE WHEN d.latitude IS NOT NULL AND d.longitude IS NOT NULL THEN ll_to_earth(d.latitude, d.longitude) END,
		       d.time_zone, now()
		FROM d
		ON CONFLICT (user_id) DO UPDATE SET
		    name_text = EXCLUDED.name_text, keys = EXCLUDED.keys, languages = EXCLUDED.languages,
		    mode = EXCLUDED.mode, offer_rank = EXCLUDED.offer_rank, want_rank = EXCLUDED.want_rank,
		    offer_skills = EXCLUDED.offer_skills, offer_skill_ranks = EXCLUDED.offer_skill_ranks,
		    want_skills = EXCLUDED.want_skills, want_skill_ranks = EXCLUDED.want_skill_ranks,
		    offer_categories = EXCLUDED.offer_categories, offer_category_ranks = EXCLUDED.offer_category_ranks,
		    want_categories = EXCLUDED.want_categories, want_category_ranks = EXCLUDED.want_category_ranks,
		    geo = EXCLUDED.geo, time_zone = EXCLUDED.time_zone, indexed_at = EXCLUDED.indexed_at
		-- An unchanged document is not rewritten (no dead tuple, no index churn on full reindexes).
		WHERE (m.name_text, m.keys, m.languages, m.mode, m.offer_rank, m.want_rank, m.offer_skills,
		       m.offer_skill_ranks, m.want_skills, m.want_skill_ranks, m.offer_categories, m.offer_category_ranks,
		       m.want_categories, m.want_category_ranks, m.geo::text, m.time_zone)
		  IS DISTINCT FROM
		      (EXCLUDED.name_text, EXCLUDED.keys, EXCLUDED.languages, EXCLUDED.mode, EXCLUDED.offer_rank,
		       EXCLUDED.want_rank, EXCLUDED.offer_skills, EXCLUDED.offer_skill_ranks, EXCLUDED.want_skills,
		       EXCLUDED.want_skill_ranks, EXCLUDED.offer_categories, EXCLUDED.offer_category_ranks,
		       EXCLUDED.want_categories, EXCLUDED.want_category_ranks, EXCLUDED.geo::text, EXCLUDED.time_zone)`,
		ids, names, keys, langs, modes, offerRank, wantRank,
		offerSkills, offerSkillRanks, wantSkills, wantSkillRanks, offerCats, offerCatRanks, wantCats, wantCatRanks,
		lats, lons, zones, remove)
	return mapErr(err, "write member search", "member", "")
}

func joinInt64s(list []int64) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(parts, " ")
}

// MemberSearchZones returns every time zone of indexed members.
func (q *Queries) MemberSearchZones(ctx context.Context) ([]string, error) {
	rows, err := q.db.Query(ctx, `SELECT time_zone FROM member_search_zones ORDER BY time_zone`)
	if err != nil {
		return nil, mapErr(err, "select search zones", "time zone", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, mapErr(err, "select search zones", "time zone", "")
}

// AddMemberSearchZones records time zones of members indexed elsewhere (Typesense).
func (q *Queries) AddMemberSearchZones(ctx context.Context, zones []string) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO member_search_zones (time_zone) SELECT DISTINCT z FROM unnest($1::text[]) z
		ON CONFLICT DO NOTHING`, zones)
	return mapErr(err, "record search zones", "time zone", "")
}

// UnsearchableMembers returns those of ids that must not appear in search right now: suspended
// accounts and hidden profiles (whatever the index says).
func (q *Queries) UnsearchableMembers(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id FROM users WHERE id = ANY($1) AND status <> 'ACTIVE'
		UNION
		SELECT user_id FROM profiles WHERE user_id = ANY($1) AND visibility = 'HIDDEN'`, ids)
	if err != nil {
		return nil, mapErr(err, "select unsearchable members", "member", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return out, mapErr(err, "select unsearchable members", "member", "")
}

// RequestMemberReindex records, in the caller's transaction, that a member's searchable data
// changed. It reports whether the caller must enqueue the reindex job: true unless a request is
// already pending (its job has not started yet and will read this change). A request pending for
// more than ten minutes is treated as lost (its job deleted by hand, say) and re-enqueued; a
// duplicate job only costs a reindex. The upsert locks the request row until the caller commits,
// so a worker claiming it waits for the change to be visible.
func (q *Queries) RequestMemberReindex(ctx context.Context, userID uuid.UUID) (bool, error) {
	if q.tx == nil {
		// Outside a transaction the request would outlive a failed job insert.
		return false, errors.New("request reindex: must run inside store.InTx")
	}
	rows, err := q.db.Query(ctx, `
		WITH pending AS (SELECT requested_at FROM search_reindex_requests WHERE user_id = $1),
		upsert AS (
		    INSERT INTO search_reindex_requests AS r (user_id, requested_at) VALUES ($1, now())
		    ON CONFLICT (user_id) DO UPDATE SET requested_at =
		        CASE WHEN r.requested_at < now() - interval '10 minutes' THEN now() ELSE r.requested_at END
		    RETURNING xmax = 0 AS inserted, requested_at = now() AS touched
		)
		-- Enqueue when the row is new, or was stale and refreshed now; not when this transaction
		-- had already requested it (the row read before this statement then carries now()).
		SELECT inserted OR (touched AND NOT EXISTS (SELECT 1 FROM pending WHERE requested_at = now()))
		FROM upsert`, userID)
	if err != nil {
		return false, mapErr(err, "request reindex", "member", "")
	}
	enqueue, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[bool])
	return enqueue, mapErr(err, "request reindex", "member", "")
}

// ClaimMemberReindex deletes the member's pending reindex request; the reindex job calls it before
// reading the member, so any change committed afterwards queues a new job. It waits for changes
// that hold the request row to commit.
func (q *Queries) ClaimMemberReindex(ctx context.Context, userID uuid.UUID) error {
	_, err := q.db.Exec(ctx, `DELETE FROM search_reindex_requests WHERE user_id = $1`, userID)
	return mapErr(err, "claim reindex", "member", "")
}

// memberIndexLockSpace is the first key of the two-key advisory locks that serialise indexing of
// one member (the one-key lock space of migrations and tests cannot collide with it).
const memberIndexLockSpace = 0x5EA6C4

// WithMemberIndexLocks runs fn on a dedicated connection (not in a transaction) while holding a
// session advisory lock per member, so two indexers of one member never interleave their read and
// their write (an older snapshot must not overwrite a newer document). Locks are taken in one
// order, so concurrent callers cannot deadlock.
func (s *Store) WithMemberIndexLocks(ctx context.Context, ids []uuid.UUID, fn func(q *Queries) error) (err error) {
	keys := make([]int32, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, int32(binary.BigEndian.Uint32(id[12:16])^binary.BigEndian.Uint32(id[0:4])))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("index lock: acquire connection: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, k) FROM unnest($2::int4[]) k`, memberIndexLockSpace, keys); err != nil {
		// Some locks may be held: never hand such a connection back to the pool.
		_ = conn.Hijack().Close(context.WithoutCancel(ctx))
		return fmt.Errorf("index lock: %w", err)
	}
	defer func() {
		ctx := context.WithoutCancel(ctx)
		if _, uerr := conn.Exec(ctx, `SELECT pg_advisory_unlock($1, k) FROM unnest($2::int4[]) k`, memberIndexLockSpace, keys); uerr != nil {
			_ = conn.Hijack().Close(ctx)
			if err == nil {
				err = fmt.Errorf("index unlock: %w", uerr)
			}
			return
		}
		conn.Release()
	}()
	return fn(&Queries{db: conn, jobs: s.jobs})
}

// SkillSearchSource is an approved skill as the Typesense backend indexes it.
type SkillSearchSource struct {
	ID         uuid.UUID          `db:"id"`
	CategoryID uuid.UUID          `db:"category_id"`
	NameEN     string             `db:"name_en"`
	NameFR     string             `db:"name_fr"`
	Synonyms   []string           `db:"synonyms"`
	Status     domain.SkillStatus `db:"status"`
}

// SkillSearchSources pages skills (every status, so callers can drop unapproved ones) by id.
func (q *Queries) SkillSearchSources(ctx context.Context, after uuid.UUID, limit int) ([]SkillSearchSource, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, category_id, name_en, name_fr, synonyms, status FROM skills
		WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, mapErr(err, "page skills", "skill", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[SkillSearchSource])
	return out, mapErr(err, "page skills", "skill", "")
}

// SkillSearchSource loads one skill's search source.
func (q *Queries) SkillSearchSource(ctx context.Context, id uuid.UUID) (SkillSearchSource, error) {
	rows, err := q.db.Query(ctx, `SELECT id, category_id, name_en, name_fr, synonyms, status FROM skills WHERE id = $1`, id)
	if err != nil {
		return SkillSearchSource{}, mapErr(err, "select skill", "skill", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[SkillSearchSource])
	return out, mapErr(err, "select skill", "skill", "")
}

// FacetCount is one facet value and how many results have it.
type FacetCount struct {
	Facet string
	Value string
	Count int
}

// searchRow is one row of a search statement: a hit, the total, or a facet count.
type searchRow struct {
	RowKind  string     `db:"row_kind"`
	ID       *uuid.UUID `db:"id"`
	Score    *float64   `db:"score"`
	Distance *float64   `db:"distance_m"`
	Facet    *string    `db:"facet"`
	Value    *string    `db:"value"`
	N        *int64     `db:"n"`
}

// args collects positional parameters while SQL is assembled from fixed fragments.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// textQueryCTEs normalises the search text like skills.search_text (lower-case, unaccented) and
// turns it into a prefix tsquery: every word must start a word of the document ("guit elec" ->
// 'guit':* & 'elec':*). tsq is NULL when the text has no word characters.
func textQueryCTEs(text string, a *args) string {
	return `input AS (SELECT btrim(regexp_replace(lower(immutable_unaccent(` + a.add(text) + `::text)), '\s+', ' ', 'g')) AS q),
		query AS (
		    SELECT i.q, (SELECT to_tsquery('simple', string_agg(w || ':*', ' & '))
		                 FROM regexp_split_to_table(i.q, '[^[:alnum:]]+') w WHERE w <> '') AS tsq
		    FROM input i
		)`
}

// skillMatch is the text condition on skills s: every query word is a prefix of a word (full text
// index), or the query is similar to a word sequence of the text (trigram index: typos).
const skillMatch = `(to_tsvector('simple', s.search_text) @@ query.tsq OR s.search_text %> query.q)`

// skillScore ranks a matching skill: trigram word similarity (0..1, typo distance), +0.5 when every
// word is a prefix of a word, +0.5 when a name starts with the query (autocomplete), +0.5 for an
// exact name, +0.3 x the trigram similarity of the whole query to the closer name (so "guittar"
// ranks Guitar above Bass guitar), +0.1 when the name in the reader's language starts with it.
// Rounded so that cursors compare exactly.
func skillScore(locale string, a *args) string {
	l := a.add(locale)
	return `round((word_similarity(query.q, s.search_text)
		    + CASE WHEN to_tsvector('simple', s.search_text) @@ query.tsq THEN 0.5 ELSE 0 END
		    + CASE WHEN starts_with(lower(immutable_unaccent(s.name_en)), query.q)
		             OR starts_with(lower(immutable_unaccent(s.name_fr)), query.q) THEN 0.5 ELSE 0 END
		    + CASE WHEN lower(immutable_unaccent(s.name_en)) = query.q
		             OR lower(immutable_unaccent(s.name_fr)) = query.q THEN 0.5 ELSE 0 END
		    + 0.3 * greatest(similarity(query.q, lower(immutable_unaccent(s.name_en))),
		                     similarity(query.q, lower(immutable_unaccent(s.name_fr))))
		    + CASE WHEN (` + l + ` = 'EN' AND starts_with(lower(immutable_unaccent(s.name_en)), query.q))
		             OR (` + l + ` = 'FR' AND starts_with(lower(immutable_unaccent(s.name_fr)), query.q)) THEN 0.1 ELSE 0 END
		)::numeric, 6)::float8`
}

// SkillSearchParams is a validated skill search.
type SkillSearchParams struct {
	Text       string
	Locale     string // "EN", "FR" or ""
	CategoryID *uuid.UUID
	// After is the (score, id) of the last hit of the previous page.
	AfterScore *float64
	AfterID    uuid.UUID
	Limit      int
}

// SkillSearchHit is one matching skill.
type SkillSearchHit struct {
	SkillID uuid.UUID
	Score   float64
}

// SkillSearchResult is a page of skills, the total number of matches and their count per category.
type SkillSearchResult struct {
	Hits   []SkillSearchHit
	Total  int
	Facets []FacetCount
}

// SearchSkills finds approved skills by name (either language) or synonym, with typos and
// prefixes, best first, keyset-paginated on (score, id), in one statement.
func (q *Queries) SearchSkills(ctx context.Context, p SkillSearchParams) (SkillSearchResult, error) {
	var a args
	ctes := textQueryCTEs(p.Text, &a)
	where := []string{`s.status = 'APPROVED'`, skillMatch}
	if p.CategoryID != nil {
		where = append(where, `s.category_id = `+a.add(*p.CategoryID))
	}
	score := skillScore(p.Locale, &a)
	keyset := "true"
	if p.AfterScore != nil {
		s, id := a.add(*p.AfterScore), a.add(p.AfterID)
		keyset = `(score < ` + s + `::float8 OR (score = ` + s + `::float8 AND id > ` + id + `::uuid))`
	}
	sql := `WITH ` + ctes + `,
		matched AS MATERIALIZED (
		    SELECT s.id, s.category_id, ` + score + ` AS score
		    FROM skills s, query
		    WHERE ` + strings.Join(where, " AND ") + `
		),
		page AS (
		    SELECT id, score FROM matched
		    WHERE ` + keyset + ` ORDER BY score DESC, id LIMIT ` + a.add(p.Limit) + `
		)
		SELECT 'hit' AS row_kind, id, score, NULL::float8 AS distance_m, NULL::text AS facet, NULL::text AS value, NULL::bigint AS n FROM page
		UNION ALL
		SELECT 'total', NULL, NULL, NULL, NULL, NULL, count(*) FROM matched
		UNION ALL
		SELECT 'facet', NULL, NULL, NULL, 'category', category_id::text, count(*) FROM matched GROUP BY category_id`
	rows, err := q.db.Query(ctx, sql, a...)
	if err != nil {
		return SkillSearchResult{}, mapErr(err, "search skills", "skill", "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[searchRow])
	if err != nil {
		return SkillSearchResult{}, mapErr(err, "search skills", "skill", "")
	}
	var out SkillSearchResult
	hits, total, facets := splitRows(list)
	for _, h := range hits {
		out.Hits = append(out.Hits, SkillSearchHit{SkillID: *h.ID, Score: *h.Score})
	}
	slices.SortFunc(out.Hits, func(x, y SkillSearchHit) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		return bytes.Compare(x.SkillID[:], y.SkillID[:])
	})
	out.Total, out.Facets = total, facets
	return out, nil
}

// GeoCircle is a search area.
type GeoCircle struct {
	Latitude, Longitude float64
	RadiusMeters        float64
}

// LevelFacetSource says which level the level facet counts: of one skill, the best in a category,
// or the best overall (both nil).
type LevelFacetSource struct {
	SkillID    *uuid.UUID
	CategoryID *uuid.UUID
}

// MemberSearchParams is a validated member search over member_search.
type MemberSearchParams struct {
	// ViewerID is excluded, and members blocked by or blocking them; uuid.Nil for nobody.
	ViewerID uuid.UUID
	// Text matches display names, and the skills of the searched kind by name or synonym.
	Text string
	// Want searches what members want instead of what they offer (skill text, facets).
	Want bool
	// AllKeys must all be in the member's keys; each group of AnyKeys must meet them at least once.
	AllKeys []int64
	AnyKeys [][]int64
	Near    *GeoCircle
	// Facets asks for facet counts (the total is always counted).
	Facets bool
	// LevelFacet picks what the level facet counts; CategoryFacetMinRank is the level a category
	// counts from (1 = any).
	LevelFacet           LevelFacetSource
	CategoryFacetMinRank int
	// After is the sort key of the last hit of the previous page.
	After *MemberSearchKey
	Limit int
}

// MemberSearchKey is the keyset position of a hit: score descending, then distance, then id.
type MemberSearchKey struct {
	Score     float64
	DistanceM float64
	UserID    uuid.UUID
}

// MemberSearchHit is one matching member.
type MemberSearchHit struct {
	UserID    uuid.UUID
	Score     float64
	DistanceM *float64
}

// MemberSearchResult is a page of members, the number of matches and facet counts: "mode"
// (ONLINE, IN_PERSON, BOTH: members that a request for that mode matches), "level" (1..4: members
// at that level or above), "language" and "category" (category id).
type MemberSearchResult struct {
	Hits   []MemberSearchHit
	Total  int
	Facets []FacetCount
}

// SearchMembers runs a member search in one statement: filters are containment tests on the
// GIN-indexed keys, the distance filter an earth_box (GiST) refined by earth_distance, the text a
// match on display names or on skills (trigram + prefix full text). Members the viewer blocked or
// who blocked them, suspended accounts and hidden profiles are excluded at query time too.
func (q *Queries) SearchMembers(ctx context.Context, p MemberSearchParams) (MemberSearchResult, error) {
	var a args
	kind := "offer"
	if p.Want {
		kind = "want"
	}
	var ctes []string
	viewer := a.add(p.ViewerID)
	where := []string{
		`m.user_id <> ` + viewer + `::uuid`,
		`m.user_id NOT IN (SELECT blocked_id FROM blocks WHERE blocker_id = ` + viewer + `::uuid
		                   UNION ALL SELECT blocker_id FROM blocks WHERE blocked_id = ` + viewer + `::uuid)`,
		`m.user_id NOT IN (SELECT id FROM users WHERE status <> 'ACTIVE')`,
		`m.user_id NOT IN (SELECT user_id FROM profiles WHERE visibility = 'HIDDEN')`,
	}
	if len(p.AllKeys) > 0 {
		where = append(where, `m.keys @> `+a.add(p.AllKeys)+`::int8[]`)
	}
	for _, group := range p.AnyKeys {
		where = append(where, `m.keys && `+a.add(group)+`::int8[]`)
	}
	distance := `0::float8`
	if p.Near != nil {
		center := `ll_to_earth(` + a.add(p.Near.Latitude) + `::float8, ` + a.add(p.Near.Longitude) + `::float8)`
		radius := a.add(p.Near.RadiusMeters) + `::float8`
		where = append(where, `earth_box(`+center+`, `+radius+`) @> m.geo`, `earth_distance(`+center+`, m.geo) <= `+radius)
		distance = `earth_distance(` + center + `, m.geo)`
	}
	filters := strings.Join(where, "\n\t\t      AND ")
	from, score := `member_search m`, `0::float8`
	if p.Text != "" {
		// Both ways to match text (a skill of the searched kind, the display name) apply every filter
		// themselves, so the planner starts from the text matches and never joins a broad filter
		// result with them.
		ctes = append(ctes, textQueryCTEs(p.Text, &a))
		ctes = append(ctes, `text_skills AS (
		    SELECT s.id, `+skillScore("", &a)+` AS score FROM skills s, query
		    WHERE s.status = 'APPROVED' AND `+skillMatch+`
		    ORDER BY score DESC, s.id LIMIT 50
		)`, `text_hits AS (
		    SELECT user_id, max(score) AS score FROM (
		        SELECT m.user_id, t.score FROM text_skills t
		        JOIN member_search m ON m.`+kind+`_skills @> ARRAY[t.id]
		        WHERE `+filters+`
		        UNION ALL
		        SELECT m.user_id, round((word_similarity(query.q, m.name_text)
		            + CASE WHEN to_tsvector('simple', m.name_text) @@ query.tsq THEN 0.5 ELSE 0 END
		            + CASE WHEN starts_with(m.name_text, query.q) THEN 0.5 ELSE 0 END
		            + CASE WHEN m.name_text = query.q THEN 0.5 ELSE 0 END)::numeric, 6)::float8
		        FROM member_search m, query
		        WHERE (to_tsvector('simple', m.name_text) @@ query.tsq OR m.name_text %> query.q)
		          AND `+filters+`
		    ) h GROUP BY user_id
		)`)
		from, score, filters = `text_hits t JOIN member_search m ON m.user_id = t.user_id`, `t.score`, `true`
	}
	// matched carries only what the page and the facets read (it may spill to disk when large).
	columns := `m.user_id, ` + score + ` AS score, ` + distance + ` AS distance_m`
	if p.Facets {
		level := `m.` + kind + `_rank`
		switch {
		case p.LevelFacet.SkillID != nil:
			level = `coalesce(m.` + kind + `_skill_ranks[array_position(m.` + kind + `_skills, ` + a.add(*p.LevelFacet.SkillID) + `::uuid)], 0)`
		case p.LevelFacet.CategoryID != nil:
			level = `coalesce(m.` + kind + `_category_ranks[array_position(m.` + kind + `_categories, ` + a.add(*p.LevelFacet.CategoryID) + `::uuid)], 0)`
		}
		columns += `, m.mode, m.languages, ` + level + ` AS lvl, m.` + kind + `_categories AS cats, m.` + kind + `_category_ranks AS cat_ranks`
	}
	ctes = append(ctes, `matched AS MATERIALIZED (
		    SELECT `+columns+`
		    FROM `+from+`
		    WHERE `+filters+`
		)`)
	keyset := "true"
	if p.After != nil {
		s, d, id := a.add(p.After.Score), a.add(p.After.DistanceM), a.add(p.After.UserID)
		keyset = `(score < ` + s + `::float8 OR (score = ` + s + `::float8 AND (distance_m, user_id) > (` + d + `::float8, ` + id + `::uuid)))`
	}
	hitDistance := `NULL::float8`
	if p.Near != nil {
		hitDistance = `distance_m`
	}
	sql := `WITH ` + strings.Join(ctes, ",\n\t\t") + `
		SELECT 'hit' AS row_kind, user_id AS id, score, ` + hitDistance + ` AS distance_m,
		       NULL::text AS facet, NULL::text AS value, NULL::bigint AS n
		FROM (SELECT user_id, score, distance_m FROM matched WHERE ` + keyset + `
		      ORDER BY score DESC, distance_m, user_id LIMIT ` + a.add(p.Limit) + `) page`
	if !p.Facets {
		sql += `
		UNION ALL
		SELECT 'total', NULL, NULL, NULL, NULL, NULL, count(*) FROM matched`
	} else {
		sql += `
		UNION ALL
		SELECT CASE v.facet WHEN 'total' THEN 'total' ELSE 'facet' END, NULL, NULL, NULL, v.facet, v.value, v.n
		FROM (
		    SELECT count(*) AS total,
		           count(*) FILTER (WHERE mode <> 'IN_PERSON') AS online,
		           count(*) FILTER (WHERE mode <> 'ONLINE') AS in_person,
		           count(*) FILTER (WHERE mode = 'BOTH') AS both_modes,
		           count(*) FILTER (WHERE lvl >= 1) AS l1, count(*) FILTER (WHERE lvl >= 2) AS l2,
		           count(*) FILTER (WHERE lvl >= 3) AS l3, count(*) FILTER (WHERE lvl >= 4) AS l4
		    FROM matched
		) c CROSS JOIN LATERAL (VALUES
		    ('total', '', c.total), ('mode', 'ONLINE', c.online), ('mode', 'IN_PERSON', c.in_person),
		    ('mode', 'BOTH', c.both_modes), ('level', '1', c.l1), ('level', '2', c.l2), ('level', '3', c.l3),
		    ('level', '4', c.l4)) v(facet, value, n)
		UNION ALL
		SELECT 'facet', NULL, NULL, NULL, 'language', l, count(*)
		FROM (SELECT unnest(languages) AS l FROM matched) x GROUP BY l
		UNION ALL
		SELECT 'facet', NULL, NULL, NULL, 'category', id::text, count(*)
		FROM (SELECT unnest(cats) AS id, unnest(cat_ranks) AS r FROM matched) x
		WHERE r >= ` + a.add(max(p.CategoryFacetMinRank, 1)) + `::int GROUP BY id`
	}
	rows, err := q.db.Query(ctx, sql, a...)
	if err != nil {
		return MemberSearchResult{}, mapErr(err, "search members", "member", "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[searchRow])
	if err != nil {
		return MemberSearchResult{}, mapErr(err, "search members", "member", "")
	}
	var out MemberSearchResult
	hits, total, facets := splitRows(list)
	for _, h := range hits {
		out.Hits = append(out.Hits, MemberSearchHit{UserID: *h.ID, Score: *h.Score, DistanceM: h.Distance})
	}
	// The page's own order, restored (UNION ALL does not keep it): score, distance, id.
	slices.SortFunc(out.Hits, func(x, y MemberSearchHit) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(deref(x.DistanceM), deref(y.DistanceM)); c != 0 {
			return c
		}
		return bytes.Compare(x.UserID[:], y.UserID[:])
	})
	out.Total = total
	for _, f := range facets {
		if f.Count > 0 {
			out.Facets = append(out.Facets, f)
		}
	}
	return out, nil
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// splitRows sorts the rows of a search statement into hits, total and facets.
func splitRows(list []searchRow) (hits []searchRow, total int, facets []FacetCount) {
	for _, r := range list {
		switch r.RowKind {
		case "hit":
			hits = append(hits, r)
		case "total":
			total = int(*r.N)
		case "facet":
			facets = append(facets, FacetCount{Facet: *r.Facet, Value: *r.Value, Count: int(*r.N)})
		}
	}
	return hits, total, facets
}
