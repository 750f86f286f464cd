package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const skillColumns = `id, slug, category_id, name_en, name_fr, synonyms, status, merged_into, proposed_by, created_at`

// SkillCategories returns every category in display order.
func (q *Queries) SkillCategories(ctx context.Context) ([]domain.SkillCategory, error) {
	rows, err := q.db.Query(ctx, `SELECT id, slug, name_en, name_fr, position FROM skill_categories ORDER BY position, slug`)
	if err != nil {
		return nil, mapErr(err, "list skill categories", "category", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.SkillCategory])
	return out, mapErr(err, "list skill categories", "category", "")
}

// SkillCategoriesByIDs loads categories by id (dataloader source).
func (q *Queries) SkillCategoriesByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.SkillCategory, error) {
	return keyedRows(ctx, q.db, "select categories", "category",
		func(c domain.SkillCategory) uuid.UUID { return c.ID },
		`SELECT id, slug, name_en, name_fr, position FROM skill_categories WHERE id = ANY($1)`, ids)
}

// SkillsByIDs loads skills by id, whatever their status (dataloader source).
func (q *Queries) SkillsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Skill, error) {
	return keyedRows(ctx, q.db, "select skills", "skill",
		func(s domain.Skill) uuid.UUID { return s.ID },
		`SELECT `+skillColumns+` FROM skills WHERE id = ANY($1)`, ids)
}

// SkillBySlug finds a skill by slug.
func (q *Queries) SkillBySlug(ctx context.Context, slug string) (domain.Skill, error) {
	rows, err := q.db.Query(ctx, `SELECT `+skillColumns+` FROM skills WHERE slug = $1`, slug)
	if err != nil {
		return domain.Skill{}, mapErr(err, "select skill", "skill", "")
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Skill])
	return s, mapErr(err, "select skill", "skill", "")
}

// SkillsOfCategories returns the approved skills of each category, by English name (dataloader
// source for SkillCategory.skills).
func (q *Queries) SkillsOfCategories(ctx context.Context, categoryIDs []uuid.UUID) (map[uuid.UUID][]domain.Skill, error) {
	return groupedRows(ctx, q.db, "select category skills", "skill", len(categoryIDs),
		func(s domain.Skill) uuid.UUID { return s.CategoryID }, `
		SELECT `+skillColumns+` FROM skills
		WHERE category_id = ANY($1) AND status = 'APPROVED'
		ORDER BY name_en`, categoryIDs)
}

// RelatedSkillIDs returns the approved skills related to each skill (dataloader source).
func (q *Queries) RelatedSkillIDs(ctx context.Context, skillIDs []uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	type pair struct {
		SkillID   uuid.UUID `db:"skill_id"`
		RelatedID uuid.UUID `db:"related_id"`
	}
	return groupedValues(ctx, q.db, "select related skills", "skill", len(skillIDs),
		func(p pair) (uuid.UUID, uuid.UUID) { return p.SkillID, p.RelatedID }, `
		SELECT r.skill_id, r.related_id FROM skill_relations r
		JOIN skills s ON s.id = r.related_id AND s.status = 'APPROVED'
		WHERE r.skill_id = ANY($1)
		ORDER BY s.name_en`, skillIDs)
}

// NewSkill is a member's proposal.
type NewSkill struct {
	ID         uuid.UUID
	Slug       string
	CategoryID uuid.UUID
	NameEN     string
	NameFR     string
	Synonyms   []string
	ProposedBy uuid.UUID
	CreatedAt  time.Time
}

// InsertPendingSkill stores a proposal; a taken slug is a conflict.
func (q *Queries) InsertPendingSkill(ctx context.Context, s NewSkill) (domain.Skill, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO skills (id, slug, category_id, name_en, name_fr, synonyms, status, proposed_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, $8)
		RETURNING `+skillColumns, s.ID, s.Slug, s.CategoryID, s.NameEN, s.NameFR, s.Synonyms, s.ProposedBy, s.CreatedAt)
	if err != nil {
		return domain.Skill{}, mapErr(err, "insert skill", "skill", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Skill])
	return out, mapErr(err, "insert skill", "skill", "a skill with this name already exists")
}

// SimilarSkill returns an existing (approved or pending) skill whose name is the same as name
// in either language, ignoring case and accents.
func (q *Queries) SimilarSkill(ctx context.Context, nameEN, nameFR string) (domain.Skill, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+skillColumns+` FROM skills
		WHERE status IN ('APPROVED', 'PENDING')
		  AND (lower(immutable_unaccent(name_en)) IN (lower(immutable_unaccent($1)), lower(immutable_unaccent($2)))
		    OR lower(immutable_unaccent(name_fr)) IN (lower(immutable_unaccent($1)), lower(immutable_unaccent($2))))
		LIMIT 1`, nameEN, nameFR)
	if err != nil {
		return domain.Skill{}, mapErr(err, "select similar skill", "skill", "")
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Skill])
	return s, mapErr(err, "select similar skill", "skill", "")
}

// PendingSkills pages proposals oldest first, after the given skill id.
func (q *Queries) PendingSkills(ctx context.Context, after *uuid.UUID, limit int) ([]domain.Skill, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+skillColumns+` FROM skills
		WHERE status = 'PENDING' AND ($1::uuid IS NULL OR id > $1)
		ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, mapErr(err, "list pending skills", "skill", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Skill])
	return out, mapErr(err, "list pending skills", "skill", "")
}

// LockSkill reads a skill FOR UPDATE (moderation decisions).
func (q *Queries) LockSkill(ctx context.Context, id uuid.UUID) (domain.Skill, error) {
	rows, err := q.db.Query(ctx, `SELECT `+skillColumns+` FROM skills WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return domain.Skill{}, mapErr(err, "lock skill", "skill", "")
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Skill])
	return s, mapErr(err, "lock skill", "skill", "")
}

// SetSkillStatus records a moderation decision.
func (q *Queries) SetSkillStatus(ctx context.Context, id uuid.UUID, status domain.SkillStatus, mergedInto *uuid.UUID) (domain.Skill, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE skills SET status = $2, merged_into = $3 WHERE id = $1
		RETURNING `+skillColumns, id, status, mergedInto)
	if err != nil {
		return domain.Skill{}, mapErr(err, "update skill status", "skill", "")
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Skill])
	return s, mapErr(err, "update skill status", "skill", "")
}

// MoveMemberSkills re-points members' offers and wants from one skill to another (merge), keeping
// the existing row where a member already has the target.
func (q *Queries) MoveMemberSkills(ctx context.Context, from, to uuid.UUID) error {
	if _, err := q.db.Exec(ctx, `
		DELETE FROM member_skills m WHERE m.skill_id = $1
		  AND EXISTS (SELECT 1 FROM member_skills t WHERE t.user_id = m.user_id AND t.skill_id = $2)`, from, to); err != nil {
		return mapErr(err, "merge member skills", "skill", "")
	}
	_, err := q.db.Exec(ctx, `UPDATE member_skills SET skill_id = $2, updated_at = now() WHERE skill_id = $1`, from, to)
	return mapErr(err, "merge member skills", "skill", "")
}
