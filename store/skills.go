package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const skillColumns = `id, slug, category_id, name_en, name_fr, synonyms, status, merged_into, proposed_by, created_at`

// SkillCategoriesByIDs loads categories by id.
func (q *Queries) SkillCategoriesByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.SkillCategory, error) {
	return keyedRows(ctx, q.db, "select categories", "category",
		func(c domain.SkillCategory) uuid.UUID { return c.ID },
		`SELECT id, slug, name_en, name_fr, position FROM skill_categories WHERE id = ANY($1)`, ids)
}

// SkillsByIDs loads skills by id, whatever their status.
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

// TaxonomyVersion is the taxonomy's version: every transaction that changes a category, a skill
// or a relation changes it (migration 0032's triggers). Read on the primary: a replica's could
// be older than a change the caller was told of.
func (s *Store) TaxonomyVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.pool.QueryRow(ctx, taxonomyVersionSQL).Scan(&v); err != nil {
		return 0, fmt.Errorf("select taxonomy version: %w", err)
	}
	return v, nil
}

const taxonomyVersionSQL = `SELECT version FROM taxonomy_version`

// SkillRelation says that Related is close to Skill (both ways are stored).
type SkillRelation struct {
	SkillID   uuid.UUID `db:"skill_id"`
	RelatedID uuid.UUID `db:"related_id"`
}

// TaxonomyRows is the whole taxonomy as one transaction saw it.
type TaxonomyRows struct {
	// Version is taxonomy_version in the same snapshot as the rows.
	Version int64
	// Categories are in display order.
	Categories []domain.SkillCategory
	// Skills are every skill whatever its status, by English name in the database's collation
	// (the order lists of skills are shown in).
	Skills []domain.Skill
	// Relations lead to approved skills only, by the related skill's English name.
	Relations []SkillRelation
}

// Taxonomy reads the whole taxonomy and its version in one repeatable-read transaction on the
// primary, so the rows are exactly those of the version.
func (s *Store) Taxonomy(ctx context.Context) (TaxonomyRows, error) {
	var out TaxonomyRows
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM taxonomy_version`).Scan(&out.Version); err != nil {
			return fmt.Errorf("version: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT id, slug, name_en, name_fr, position FROM skill_categories ORDER BY position, slug`)
		if err == nil {
			out.Categories, err = pgx.CollectRows(rows, pgx.RowToStructByName[domain.SkillCategory])
		}
		if err != nil {
			return fmt.Errorf("categories: %w", err)
		}
		if rows, err = tx.Query(ctx, `SELECT `+skillColumns+` FROM skills ORDER BY name_en, id`); err == nil {
			out.Skills, err = pgx.CollectRows(rows, pgx.RowToStructByName[domain.Skill])
		}
		if err != nil {
			return fmt.Errorf("skills: %w", err)
		}
		if rows, err = tx.Query(ctx, `
			SELECT r.skill_id, r.related_id FROM skill_relations r
			JOIN skills s ON s.id = r.related_id AND s.status = 'APPROVED'
			ORDER BY s.name_en, s.id`); err == nil {
			out.Relations, err = pgx.CollectRows(rows, pgx.RowToStructByName[SkillRelation])
		}
		if err != nil {
			return fmt.Errorf("relations: %w", err)
		}
		return nil
	})
	if err != nil {
		return TaxonomyRows{}, fmt.Errorf("read taxonomy: %w", err)
	}
	return out, nil
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
