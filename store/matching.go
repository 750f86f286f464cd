package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// This file holds the SQL of matching (package matching). Candidate generation takes two
// statements around a step in Go:
//
//  1. MatchPostings reads, for each key (the viewer's own skills and the skills related to
//     them), the members holding it at each level: one index-only range scan of
//     member_skills_skill_idx (skill_id, kind, level, user_id) per key and level, returned as
//     uuid arrays (posting lists), with the members who can never match (suspended, HIDDEN,
//     blocked either way).
//  2. Package matching merges the lists into a cheap skill pre-score per member, removes the
//     excluded members and keeps the best few hundred, in order. (This used to be a hash
//     aggregate in SQL; in Go it is an order of magnitude cheaper for the popular skills, whose
//     lists hold thousands of members.)
//  3. MatchProfiles probes match_profiles (migration 0010: users, profiles and weekly slots
//     in one row per member) by primary key for those members, best first, and stops as soon
//     as enough of them pass the profile checks and filters.
//
// Everything else (language, availability, distance, reliability, reasons) is scored in Go.

// rankSQL maps a member_skills.level column to its rank (BEGINNER 1 .. EXPERT 4), as
// domain.Level.Rank does. col is always a constant of this file.
func rankSQL(col string) string {
	return "CASE " + col + " WHEN 'BEGINNER' THEN 1 WHEN 'INTERMEDIATE' THEN 2 WHEN 'ADVANCED' THEN 3 ELSE 4 END"
}

// customPlan makes PostgreSQL plan matching statements for their actual parameters on every
// execution (the unnamed prepared statement, with the description cached): their best plan
// depends on how many keys and candidates the viewer has, and a cached generic plan, built on
// default estimates for unnest() and aggregates, was measured 2x slower.
const customPlan = pgx.QueryExecModeCacheDescribe

// MatchViewerSkill is one of the viewer's skills with the approved skills related to it, and
// their English names (for the texts of match reasons).
type MatchViewerSkill struct {
	SkillID uuid.UUID        `db:"skill_id"`
	Kind    domain.SkillKind `db:"kind"`
	Level   domain.Level     `db:"level"`
	Name    string           `db:"name"`
	Related []uuid.UUID      `db:"related"`
	// RelatedNames[i] is the name of Related[i].
	RelatedNames []string `db:"related_names"`
}

// MatchViewerSkills returns what the member offers and wants, each with its approved related
// skills, in one statement.
func (q *Queries) MatchViewerSkills(ctx context.Context, userID uuid.UUID) ([]MatchViewerSkill, error) {
	rows, err := q.db.Query(ctx, `
		SELECT m.skill_id, m.kind, m.level, sk.name_en AS name,
			ARRAY(SELECT r.related_id FROM skill_relations r
				JOIN skills s ON s.id = r.related_id AND s.status = 'APPROVED'
				WHERE r.skill_id = m.skill_id ORDER BY r.related_id) AS related,
			ARRAY(SELECT s.name_en FROM skill_relations r
				JOIN skills s ON s.id = r.related_id AND s.status = 'APPROVED'
				WHERE r.skill_id = m.skill_id ORDER BY r.related_id) AS related_names
		FROM member_skills m
		JOIN skills sk ON sk.id = m.skill_id
		WHERE m.user_id = $1
		ORDER BY m.kind, m.skill_id`, userID)
	if err != nil {
		return nil, mapErr(err, "select viewer skills for matching", "member skill", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[MatchViewerSkill])
	return out, mapErr(err, "select viewer skills for matching", "member skill", "")
}

// MatchKey is one lookup of candidate generation: members who hold SkillID with TheirKind.
type MatchKey struct {
	SkillID   uuid.UUID
	TheirKind domain.SkillKind
	// TheyTeach: the candidate would teach the viewer (TheirKind OFFER); else learn from them.
	TheyTeach bool
	// Exact: SkillID is the viewer's own skill; false when it is only related to it.
	Exact bool
	// Hit: the key involves the skill the caller filters on (always true without a skill filter).
	// A candidate needs at least one hit.
	Hit bool
}

// MatchPostingsQuery parameterises MatchPostings.
type MatchPostingsQuery struct {
	ViewerID uuid.UUID
	// Keys to read; posting lists refer to them by index.
	Keys []MatchKey
	// RelatedBelow: the lists of related keys (Exact false) are read only when the exact keys'
	// lists hold fewer distinct members than this (a related-only candidate rarely outranks an
	// exact one, and related keys are the bulk of the scan). The caller passes its pre-limit.
	RelatedBelow int
}

// MatchPostingList is the members (the viewer left out) holding Keys[Key].SkillID with
// Keys[Key].TheirKind at level rank Rank (1..4), in user id order. Ids are raw [16]byte
// values, which pgx decodes directly (uuid.UUID would go through its Scanner).
type MatchPostingList struct {
	Key     int        `db:"key"`
	Rank    int        `db:"rank"`
	Members [][16]byte `db:"members"`
}

// MatchPostings is the input of the pre-score (see the top of this file).
type MatchPostings struct {
	// Lists: the non-empty posting lists, by key and rank.
	Lists []MatchPostingList
	// Excluded members can never match the viewer: suspended or deleted accounts, HIDDEN
	// profiles, and blocks either way. Read from small partial indexes (migration 0004) and
	// the viewer's blocks; they may also appear in Lists.
	Excluded [][16]byte
}

// MatchPostings runs step 1 of candidate generation (see the top of this file) in one
// statement.
func (q *Queries) MatchPostings(ctx context.Context, in MatchPostingsQuery) (MatchPostings, error) {
	n := len(in.Keys)
	skillIDs, kinds, exact := make([]uuid.UUID, n), make([]string, n), make([]bool, n)
	for i, k := range in.Keys {
		skillIDs[i], kinds[i], exact[i] = k.SkillID, string(k.TheirKind), k.Exact
	}
	rows, err := q.db.Query(ctx, matchPostingsSQL, customPlan, in.ViewerID, uuidArgs(skillIDs), kinds, exact, in.RelatedBelow)
	if err != nil {
		return MatchPostings{}, mapErr(err, "select match postings", "user", "")
	}
	lists, err := pgx.CollectRows(rows, pgx.RowToStructByName[MatchPostingList])
	if err != nil {
		return MatchPostings{}, mapErr(err, "select match postings", "user", "")
	}
	var out MatchPostings
	for _, l := range lists {
		switch {
		case l.Key < 0:
			out.Excluded = l.Members
		case len(l.Members) > 0:
			out.Lists = append(out.Lists, l)
		}
	}
	return out, nil
}

// matchPostingsSQL: $1 viewer, $2..$4 keys (skill, their kind, exact), $5 related-below.
// Rows: (key index, level rank, members) per key and level, then one row with key -1 holding
// the excluded members.
//
// Plan: one index-only scan of member_skills_skill_idx per key and level (each ARRAY() is a
// parameterised subplan); the distinct-member count that decides on the related keys is only
// computed when the cheap bounds (the largest key's list, the total) do not settle it.
var matchPostingsSQL = `
WITH keys AS (
	SELECT * FROM unnest($2::uuid[], $3::text[], $4::bool[]) WITH ORDINALITY AS k(skill_id, kind, exact, ord)
),
levels (level, rank) AS (
	VALUES ('BEGINNER', 1), ('INTERMEDIATE', 2), ('ADVANCED', 3), ('EXPERT', 4)
),
exact_lists AS MATERIALIZED (
	SELECT k.ord, l.rank, ARRAY(SELECT m.user_id FROM member_skills m
		WHERE m.skill_id = k.skill_id AND m.kind = k.kind AND m.level = l.level AND m.user_id <> $1) AS members
	FROM keys k CROSS JOIN levels l
	WHERE k.exact
),
related AS (
	SELECT CASE WHEN max(c.n) >= $5::int THEN false
		WHEN coalesce(sum(c.n), 0) < $5::int THEN true
		ELSE (SELECT count(DISTINCT u) FROM exact_lists e CROSS JOIN unnest(e.members) u) < $5::int END AS read
	FROM (SELECT sum(cardinality(e.members)) AS n FROM exact_lists e GROUP BY e.ord) c
)
SELECT (e.ord - 1)::int AS key, e.rank, e.members FROM exact_lists e
UNION ALL
SELECT (k.ord - 1)::int, l.rank, ARRAY(SELECT m.user_id FROM member_skills m
		WHERE m.skill_id = k.skill_id AND m.kind = k.kind AND m.level = l.level AND m.user_id <> $1)
	FROM keys k CROSS JOIN levels l
	WHERE NOT k.exact AND (SELECT r.read FROM related r)
UNION ALL
SELECT -1, 0, ARRAY(
	SELECT id FROM users WHERE status <> 'ACTIVE'
	UNION ALL SELECT user_id FROM profiles WHERE visibility = 'HIDDEN'
	UNION ALL SELECT blocked_id FROM blocks WHERE blocker_id = $1
	UNION ALL SELECT blocker_id FROM blocks WHERE blocked_id = $1)`

// MatchProfileQuery parameterises MatchProfiles.
type MatchProfileQuery struct {
	ViewerID uuid.UUID
	// Ranked: the candidates, best first.
	Ranked [][16]byte
	// Limit caps the candidates returned: the first ones of Ranked that pass.
	Limit int
	// Mode keeps candidates meeting that way (their mode or BOTH).
	Mode *domain.Mode
	// Language keeps candidates speaking it (ISO 639-1).
	Language *string
	// MaxDistanceKm keeps in-person-capable candidates within that great-circle distance of
	// the viewer's location.
	MaxDistanceKm *float64
}

// MatchCandidate is a member who offers what the viewer wants or wants what the viewer offers
// (exactly or through a related skill), after exclusions (self, suspended, HIDDEN profile,
// blocks either way, meeting modes that cannot meet), with what scoring needs of them.
type MatchCandidate struct {
	UserID    uuid.UUID   `db:"user_id"`
	CreatedAt time.Time   `db:"created_at"`
	Languages []string    `db:"languages"`
	TimeZone  string      `db:"time_zone"`
	Latitude  *float64    `db:"latitude"`
	Longitude *float64    `db:"longitude"`
	Mode      domain.Mode `db:"mode"`
	// Slots is the candidate's weekly availability.
	Slots     []domain.AvailabilitySlot `db:"-"`
	SlotCodes []int32                   `db:"slots"`
}

// MatchProfiles runs step 3 of candidate generation (see the top of this file) in one
// statement: the first Limit members of Ranked, in that order, who are still active, not
// HIDDEN, not blocked either way, can meet the viewer (meeting modes) and pass the filters,
// with their profile fields and weekly slots.
func (q *Queries) MatchProfiles(ctx context.Context, in MatchProfileQuery) ([]MatchCandidate, error) {
	var mode *string
	if in.Mode != nil {
		m := string(*in.Mode)
		mode = &m
	}
	rows, err := q.db.Query(ctx, matchProfilesSQL, customPlan,
		in.ViewerID, in.Ranked, in.Limit, mode, in.Language, in.MaxDistanceKm)
	if err != nil {
		return nil, mapErr(err, "select match candidates", "user", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[MatchCandidate])
	if err != nil {
		return nil, mapErr(err, "select match candidates", "user", "")
	}
	for i := range out {
		c := &out[i]
		c.Slots = make([]domain.AvailabilitySlot, len(c.SlotCodes))
		for j, code := range c.SlotCodes {
			c.Slots[j] = domain.AvailabilitySlot{UserID: c.UserID,
				Weekday: int(code / (1441 * 1441)), StartMinute: int(code / 1441 % 1441), EndMinute: int(code % 1441)}
		}
		c.SlotCodes = nil
	}
	return out, nil
}

// uuidArgs passes ids as [16]byte values, which pgx encodes directly (uuid.UUID goes through
// driver.Valuer and a string round trip, measurably slow for hundreds of ids).
func uuidArgs(ids []uuid.UUID) [][16]byte {
	out := make([][16]byte, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// matchProfilesSQL: $1 viewer, $2 ranked candidates, $3 limit, $4 mode, $5 language,
// $6 max distance (km).
//
// Plan: the ranked ids in order (unnest WITH ORDINALITY is known to be sorted on its
// ordinality), one primary-key probe of match_profiles per id (LATERAL ... OFFSET 0 keeps it a
// parameterised nested loop whatever the estimates; migration 0010 keeps that table in step
// with users, profiles and availability_slots), the viewer's profile read once (MATERIALIZED,
// else it is re-probed per row) and a hashed check of the viewer's blocks; the order needs no
// sort, so the limit stops the probes as soon as enough members passed. The exclusions were
// already applied to the ranking; they are checked again here (cheap, and exact for what the
// cap let in).
var matchProfilesSQL = `
WITH viewer AS MATERIALIZED (
	SELECT coalesce(p.mode, 'BOTH') AS mode, p.latitude, p.longitude
	FROM (SELECT 1) one LEFT JOIN profiles p ON p.user_id = $1
),
blocked AS (
	SELECT blocked_id AS user_id FROM blocks WHERE blocker_id = $1
	UNION ALL SELECT blocker_id FROM blocks WHERE blocked_id = $1
)
-- Partners' coordinates are snapped to 0.01° (about 1 km) in match_profiles: the distance
-- filter and the distances shown must not let a viewer locate anyone exactly.
SELECT c.user_id, m.created_at, m.languages, m.time_zone, m.latitude, m.longitude, m.mode, m.slots
FROM unnest($2::uuid[]) WITH ORDINALITY AS c(user_id, pos)
CROSS JOIN LATERAL (SELECT m.* FROM match_profiles m WHERE m.user_id = c.user_id OFFSET 0) m
CROSS JOIN viewer v
WHERE m.active AND NOT m.hidden
	AND c.user_id NOT IN (SELECT b.user_id FROM blocked b)
	AND NOT (v.mode = 'ONLINE' AND m.mode = 'IN_PERSON')
	AND NOT (v.mode = 'IN_PERSON' AND m.mode = 'ONLINE')
	AND ($4::text IS NULL OR m.mode IN ($4::text, 'BOTH'))
	AND ($5::text IS NULL OR m.languages @> ARRAY[$5::text])
	AND ($6::float8 IS NULL OR (m.latitude IS NOT NULL AND v.latitude IS NOT NULL
		AND m.mode <> 'ONLINE'
		AND 12742.0 * asin(least(1.0, sqrt(
			power(sin(radians(m.latitude - v.latitude) / 2), 2)
			+ cos(radians(v.latitude)) * cos(radians(m.latitude))
			* power(sin(radians(m.longitude - v.longitude) / 2), 2)
		))) <= $6::float8))
ORDER BY c.pos
LIMIT $3::int`

// LastActiveByUserIDs returns when each member last used the API (the latest last_used_at of
// their login sessions); members who never signed in are absent. Served by
// auth_sessions_user_idx.
func (q *Queries) LastActiveByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]time.Time, error) {
	type row struct {
		UserID     uuid.UUID `db:"user_id"`
		LastActive time.Time `db:"last_active"`
	}
	return keyedValues(ctx, q.db, "select last activity", "user",
		func(r row) (uuid.UUID, time.Time) { return r.UserID, r.LastActive }, `
		SELECT user_id, max(last_used_at) AS last_active FROM auth_sessions
		WHERE user_id = ANY($1) GROUP BY user_id`, uuidArgs(ids))
}

// SwapCircleQuery parameterises SwapCircleCandidates. Keys are the viewer's exact skills only
// (TheyTeach: the viewer wants it, so candidates must OFFER it).
type SwapCircleQuery struct {
	ViewerID uuid.UUID
	Keys     []MatchKey
	// Points as in MatchCandidateQuery, used to keep each side's best members.
	Points []int32
	// GapPoints[gap+3] ranks a B-teaches-C edge by teacher rank minus learner target rank.
	GapPoints []int32
	// SideLimit caps the members kept on each side (learners of the viewer, teachers of the
	// viewer) before pairing them.
	SideLimit int
	// Limit caps the (B, C) pairs returned.
	Limit int
	Seed  int32
}

// SwapCircleRow is one candidate three-member cycle: the viewer teaches B AB, B teaches C BC,
// C teaches the viewer CA. Ranks are level ranks (1..4).
type SwapCircleRow struct {
	B          uuid.UUID   `db:"b"`
	C          uuid.UUID   `db:"c"`
	ABSkill    uuid.UUID   `db:"ab_skill"`
	BWantRank  int         `db:"b_want_rank"`
	BCSkill    uuid.UUID   `db:"bc_skill"`
	BOfferRank int         `db:"b_offer_rank"`
	CWantRank  int         `db:"c_want_rank"`
	CASkill    uuid.UUID   `db:"ca_skill"`
	COfferRank int         `db:"c_offer_rank"`
	BLanguages []string    `db:"b_languages"`
	BMode      domain.Mode `db:"b_mode"`
	CLanguages []string    `db:"c_languages"`
	CMode      domain.Mode `db:"c_mode"`
}

// SwapCircleCandidates finds members B who want what the viewer offers and members C who offer
// what the viewer wants such that B offers something C wants, in one statement. B and C pass
// the same exclusions as match candidates (active, not HIDDEN, no block with the viewer) and
// do not block each other. Each (B, C) pair comes once, with its best B-teaches-C skill.
func (q *Queries) SwapCircleCandidates(ctx context.Context, in SwapCircleQuery) ([]SwapCircleRow, error) {
	n := len(in.Keys)
	skillIDs, kinds, teach := make([]uuid.UUID, n), make([]string, n), make([]bool, n)
	for i, k := range in.Keys {
		skillIDs[i], kinds[i], teach[i] = k.SkillID, string(k.TheirKind), k.TheyTeach
	}
	rows, err := q.db.Query(ctx, swapCirclesSQL, customPlan,
		in.ViewerID, uuidArgs(skillIDs), kinds, teach, in.Points, in.GapPoints, in.SideLimit, in.Limit, in.Seed)
	if err != nil {
		return nil, mapErr(err, "select swap circles", "user", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[SwapCircleRow])
	return out, mapErr(err, "select swap circles", "user", "")
}

// swapCirclesSQL: $1 viewer, $2..$4 keys, $5 points, $6 gap points, $7 side limit, $8 limit,
// $9 seed.
var swapCirclesSQL = `
WITH keys AS (
	SELECT * FROM unnest($2::uuid[], $3::text[], $4::bool[]) WITH ORDINALITY AS k(skill_id, kind, they_teach, ord)
),
best AS (
	SELECT DISTINCT ON (ms.user_id, k.they_teach) ms.user_id, k.they_teach, ms.skill_id, ms.rank,
		($5::int[])[(k.ord - 1)::int * 4 + ms.rank] AS pts
	FROM keys k
	CROSS JOIN LATERAL (
		SELECT m.user_id, m.skill_id, ` + rankSQL("m.level") + ` AS rank
		FROM member_skills m
		WHERE m.skill_id = k.skill_id AND m.kind = k.kind AND m.user_id <> $1
		OFFSET 0) ms
	ORDER BY ms.user_id, k.they_teach, pts DESC, ms.skill_id
),
side AS (
	SELECT * FROM (
		SELECT b.*, row_number() OVER (PARTITION BY b.they_teach ORDER BY b.pts DESC, uuid_hash(b.user_id) # $9::int, b.user_id) AS rn
		FROM best b) x
	WHERE rn <= $7::int
),
members AS (
	SELECT s.user_id, s.they_teach, s.skill_id, s.rank, s.pts,
		coalesce(p.languages, '{}') AS languages, coalesce(p.mode, 'BOTH') AS mode
	FROM side s
	JOIN users u ON u.id = s.user_id AND u.status = 'ACTIVE'
	LEFT JOIN profiles p ON p.user_id = s.user_id
	WHERE coalesce(p.visibility, 'MEMBERS') <> 'HIDDEN'
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = $1 AND b.blocked_id = s.user_id)
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = s.user_id AND b.blocked_id = $1)
),
b_offers AS (
	SELECT l.user_id, ms.skill_id, ` + rankSQL("ms.level") + ` AS rank
	FROM members l JOIN member_skills ms ON ms.user_id = l.user_id AND ms.kind = 'OFFER'
	WHERE NOT l.they_teach
),
c_wants AS (
	SELECT t.user_id, ms.skill_id, ` + rankSQL("ms.level") + ` AS rank
	FROM members t JOIN member_skills ms ON ms.user_id = t.user_id AND ms.kind = 'WANT'
	WHERE t.they_teach
),
pairs AS (
	SELECT DISTINCT ON (bo.user_id, cw.user_id) bo.user_id AS b, cw.user_id AS c, bo.skill_id AS bc_skill,
		bo.rank AS b_offer_rank, cw.rank AS c_want_rank, ($6::int[])[bo.rank - cw.rank + 4] AS pts
	FROM b_offers bo
	JOIN c_wants cw ON cw.skill_id = bo.skill_id AND cw.user_id <> bo.user_id
	WHERE NOT EXISTS (SELECT 1 FROM blocks x WHERE x.blocker_id = bo.user_id AND x.blocked_id = cw.user_id)
		AND NOT EXISTS (SELECT 1 FROM blocks x WHERE x.blocker_id = cw.user_id AND x.blocked_id = bo.user_id)
	ORDER BY bo.user_id, cw.user_id, pts DESC, bo.skill_id
)
SELECT p.b, p.c, l.skill_id AS ab_skill, l.rank AS b_want_rank, p.bc_skill, p.b_offer_rank, p.c_want_rank,
	t.skill_id AS ca_skill, t.rank AS c_offer_rank,
	l.languages AS b_languages, l.mode AS b_mode, t.languages AS c_languages, t.mode AS c_mode
FROM pairs p
JOIN members l ON l.user_id = p.b AND NOT l.they_teach
JOIN members t ON t.user_id = p.c AND t.they_teach
ORDER BY l.pts + p.pts + t.pts DESC, p.b, p.c
LIMIT $8::int`

// NewMutualPartners returns up to limit members with whom userID has just become a mutual match
// by taking skillID with kind: the partner has the opposite kind on that skill, already has the
// other direction (they teach something userID wants, or want something userID teaches), and did
// not have this direction through another skill before. Suspended partners, HIDDEN profiles and
// blocks either way are left out, as in matches. Call it inside the transaction that added the
// skill, after the insert.
func (q *Queries) NewMutualPartners(ctx context.Context, userID, skillID uuid.UUID, kind domain.SkillKind, limit int) ([]uuid.UUID, error) {
	partnerKind := domain.Want
	if kind == domain.Want {
		partnerKind = domain.Offer
	}
	rows, err := q.db.Query(ctx, `
		SELECT p.user_id
		FROM member_skills p
		JOIN users u ON u.id = p.user_id AND u.status = 'ACTIVE'
		LEFT JOIN profiles pr ON pr.user_id = p.user_id
		WHERE p.skill_id = $2 AND p.kind = $3 AND p.user_id <> $1
			AND coalesce(pr.visibility, 'MEMBERS') <> 'HIDDEN'
			AND NOT EXISTS (SELECT 1 FROM profiles me WHERE me.user_id = $1 AND me.visibility = 'HIDDEN')
			-- the other direction already holds
			AND EXISTS (SELECT 1 FROM member_skills a JOIN member_skills b ON b.skill_id = a.skill_id
				WHERE a.user_id = p.user_id AND a.kind = $4 AND b.user_id = $1 AND b.kind = $3)
			-- and this direction did not, through another skill
			AND NOT EXISTS (SELECT 1 FROM member_skills a JOIN member_skills b ON b.skill_id = a.skill_id
				WHERE a.user_id = p.user_id AND a.kind = $3 AND a.skill_id <> $2 AND b.user_id = $1 AND b.kind = $4)
			AND NOT EXISTS (SELECT 1 FROM blocks bl
				WHERE (bl.blocker_id = $1 AND bl.blocked_id = p.user_id) OR (bl.blocker_id = p.user_id AND bl.blocked_id = $1))
		ORDER BY p.user_id
		LIMIT $5`, userID, skillID, string(partnerKind), string(kind), limit)
	if err != nil {
		return nil, mapErr(err, "select new mutual partners", "user", "")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, mapErr(err, "select new mutual partners", "user", "")
	}
	return ids, nil
}
