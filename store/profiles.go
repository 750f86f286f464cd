package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const profileColumns = `user_id, bio, avatar_url, languages, time_zone, city, country, latitude, longitude, mode, visibility, updated_at`

const profilesByUserIDsSQL = `SELECT ` + profileColumns + ` FROM profiles WHERE user_id = ANY($1)`

// ProfilesByUserIDs loads profiles; members without a row are absent (dataloader source).
func (q *Queries) ProfilesByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Profile, error) {
	return keyedRows(ctx, q.db, "select profiles", "profile", profileUser, profilesByUserIDsSQL, ids)
}

func profileUser(p domain.Profile) uuid.UUID { return p.UserID }

// UpsertProfile writes a whole profile.
func (q *Queries) UpsertProfile(ctx context.Context, p domain.Profile) (domain.Profile, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO profiles (user_id, bio, avatar_url, languages, time_zone, city, country, latitude, longitude, mode, visibility, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (user_id) DO UPDATE SET
			bio = EXCLUDED.bio, avatar_url = EXCLUDED.avatar_url, languages = EXCLUDED.languages,
			time_zone = EXCLUDED.time_zone, city = EXCLUDED.city, country = EXCLUDED.country,
			latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, mode = EXCLUDED.mode,
			visibility = EXCLUDED.visibility, updated_at = EXCLUDED.updated_at
		RETURNING `+profileColumns,
		p.UserID, p.Bio, p.AvatarURL, p.Languages, p.TimeZone, p.City, p.Country, p.Latitude, p.Longitude, p.Mode, p.Visibility, p.UpdatedAt)
	if err != nil {
		return domain.Profile{}, mapErr(err, "upsert profile", "profile", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Profile])
	return out, mapErr(err, "upsert profile", "profile", "")
}

// SlotsByUserIDs loads weekly availability (dataloader source).
func (q *Queries) SlotsByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.AvailabilitySlot, error) {
	return groupedRows(ctx, q.db, "select availability", "availability", len(ids),
		func(s domain.AvailabilitySlot) uuid.UUID { return s.UserID }, `
		SELECT user_id, weekday, start_minute, end_minute FROM availability_slots
		WHERE user_id = ANY($1) ORDER BY user_id, weekday, start_minute`, ids)
}

// ReplaceSlots replaces a member's weekly availability.
func (q *Queries) ReplaceSlots(ctx context.Context, userID uuid.UUID, slots []domain.AvailabilitySlot) error {
	if _, err := q.db.Exec(ctx, `DELETE FROM availability_slots WHERE user_id = $1`, userID); err != nil {
		return mapErr(err, "clear availability", "availability", "")
	}
	if len(slots) == 0 {
		return nil
	}
	_, err := q.db.CopyFrom(ctx, pgx.Identifier{"availability_slots"}, []string{"user_id", "weekday", "start_minute", "end_minute"},
		pgx.CopyFromSlice(len(slots), func(i int) ([]any, error) {
			return []any{userID, slots[i].Weekday, slots[i].StartMinute, slots[i].EndMinute}, nil
		}))
	return mapErr(err, "insert availability", "availability", "")
}

const memberSkillColumns = `user_id, skill_id, kind, level, years_of_practice, description, created_at, updated_at`

// memberSkillsOfSQL reads lists of members' skills ($1 the members, $2 the kinds, pairwise):
// user_id = ANY($1) reads the members' rows by the primary key; the pairs keep the lists asked.
const memberSkillsOfSQL = `
	SELECT m.user_id, m.skill_id, m.kind, m.level, m.years_of_practice, m.description, m.created_at, m.updated_at
	FROM member_skills m JOIN skills s ON s.id = m.skill_id
	WHERE m.user_id = ANY($1) AND (m.user_id, m.kind) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))
	ORDER BY m.user_id, m.kind, s.name_en`

// memberSkillsOfArgs are memberSkillsOfSQL's arguments for lists.
func memberSkillsOfArgs(lists []domain.MemberSkillsOf) (users []uuid.UUID, kinds []string) {
	users = make([]uuid.UUID, len(lists))
	kinds = make([]string, len(lists))
	for i, l := range lists {
		users[i], kinds[i] = l.UserID, string(l.Kind)
	}
	return users, kinds
}

func memberSkillsList(m domain.MemberSkill) domain.MemberSkillsOf {
	return domain.MemberSkillsOf{UserID: m.UserID, Kind: m.Kind}
}

// MemberSkillsOf loads lists of members' skills (their offers or their wants), each by skill name
// (dataloader source). A page that shows only offers reads no wants.
func (q *Queries) MemberSkillsOf(ctx context.Context, lists []domain.MemberSkillsOf) (map[domain.MemberSkillsOf][]domain.MemberSkill, error) {
	users, kinds := memberSkillsOfArgs(lists)
	return groupedRows(ctx, q.db, "select member skills", "member skill", len(lists), memberSkillsList, memberSkillsOfSQL, users, kinds)
}

// PrefetchMembers reads in one round trip (a pipelined batch) what a page of members shows: the
// profiles of profilesOf (members without a row absent), the lists of skills lists (lists
// without a skill absent), and, when taxonomy, the taxonomy's version (the skills' names and
// categories come from it; else 0). Each part is what ProfilesByUserIDs, MemberSkillsOf and
// TaxonomyVersion read, with their statements; parts not asked are not read (dataloader source).
func (q *Queries) PrefetchMembers(ctx context.Context, profilesOf []uuid.UUID, lists []domain.MemberSkillsOf, taxonomy bool) (
	profiles map[uuid.UUID]domain.Profile, skills map[domain.MemberSkillsOf][]domain.MemberSkill, taxonomyVersion int64, err error,
) {
	b := &pgx.Batch{}
	if len(profilesOf) > 0 {
		b.Queue(profilesByUserIDsSQL, profilesOf).Query(func(rows pgx.Rows) error {
			list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Profile])
			profiles = keyBy(list, profileUser)
			return err
		})
	}
	if len(lists) > 0 {
		users, kinds := memberSkillsOfArgs(lists)
		b.Queue(memberSkillsOfSQL, users, kinds).Query(func(rows pgx.Rows) error {
			list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.MemberSkill])
			skills = groupBy(list, len(lists), memberSkillsList)
			return err
		})
	}
	if taxonomy {
		b.Queue(taxonomyVersionSQL).QueryRow(func(row pgx.Row) error { return row.Scan(&taxonomyVersion) })
	}
	if b.Len() > 0 {
		if err := q.db.SendBatch(ctx, b).Close(); err != nil {
			return nil, nil, 0, mapErr(err, "prefetch members", "member", "")
		}
	}
	return profiles, skills, taxonomyVersion, nil
}

// InsertMemberSkill adds an offer or a want; an existing row for the skill is a conflict.
func (q *Queries) InsertMemberSkill(ctx context.Context, m domain.MemberSkill) (domain.MemberSkill, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO member_skills (user_id, skill_id, kind, level, years_of_practice, description, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		RETURNING `+memberSkillColumns, m.UserID, m.SkillID, m.Kind, m.Level, m.YearsOfPractice, m.Description, m.CreatedAt)
	if err != nil {
		return domain.MemberSkill{}, mapErr(err, "insert member skill", "member skill", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.MemberSkill])
	return out, mapErr(err, "insert member skill", "member skill", "you already offer or want this skill")
}

// MemberSkill reads one of a member's skills.
func (q *Queries) MemberSkill(ctx context.Context, userID, skillID uuid.UUID) (domain.MemberSkill, error) {
	rows, err := q.db.Query(ctx, `SELECT `+memberSkillColumns+` FROM member_skills WHERE user_id = $1 AND skill_id = $2`, userID, skillID)
	if err != nil {
		return domain.MemberSkill{}, mapErr(err, "select member skill", "member skill", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.MemberSkill])
	return out, mapErr(err, "select member skill", "member skill", "")
}

// UpdateMemberSkill rewrites level, years and description of one of a member's skills.
func (q *Queries) UpdateMemberSkill(ctx context.Context, m domain.MemberSkill, now time.Time) (domain.MemberSkill, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE member_skills SET level = $3, years_of_practice = $4, description = $5, updated_at = $6
		WHERE user_id = $1 AND skill_id = $2
		RETURNING `+memberSkillColumns, m.UserID, m.SkillID, m.Level, m.YearsOfPractice, m.Description, now)
	if err != nil {
		return domain.MemberSkill{}, mapErr(err, "update member skill", "member skill", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.MemberSkill])
	return out, mapErr(err, "update member skill", "member skill", "")
}

// DeleteMemberSkill removes one of a member's skills; it reports whether a row was removed.
func (q *Queries) DeleteMemberSkill(ctx context.Context, userID, skillID uuid.UUID) (bool, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM member_skills WHERE user_id = $1 AND skill_id = $2`, userID, skillID)
	if err != nil {
		return false, mapErr(err, "delete member skill", "member skill", "")
	}
	return tag.RowsAffected() == 1, nil
}

// Block records that blocker blocks blocked (idempotent).
func (q *Queries) Block(ctx context.Context, blocker, blocked uuid.UUID, now time.Time) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, blocker, blocked, now)
	return mapErr(err, "block", "user", "")
}

// Unblock removes a block (idempotent).
func (q *Queries) Unblock(ctx context.Context, blocker, blocked uuid.UUID) error {
	_, err := q.db.Exec(ctx, `DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2`, blocker, blocked)
	return mapErr(err, "unblock", "user", "")
}

// BlockedIDs returns the members viewer blocked or who blocked viewer: they never see each other.
func (q *Queries) BlockedIDs(ctx context.Context, viewer uuid.UUID) ([]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `
		SELECT blocked_id FROM blocks WHERE blocker_id = $1
		UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1`, viewer)
	if err != nil {
		return nil, mapErr(err, "select blocks", "user", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return out, mapErr(err, "select blocks", "user", "")
}

// BlockedByViewer returns whom viewer blocked, newest first.
func (q *Queries) BlockedByViewer(ctx context.Context, viewer uuid.UUID) ([]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `SELECT blocked_id FROM blocks WHERE blocker_id = $1 ORDER BY created_at DESC`, viewer)
	if err != nil {
		return nil, mapErr(err, "select blocked", "user", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return out, mapErr(err, "select blocked", "user", "")
}
