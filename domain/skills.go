package domain

import (
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/globalid"
)

// SkillCategory groups skills (Languages, Music, ...).
type SkillCategory struct {
	ID       uuid.UUID `db:"id"`
	Slug     string    `db:"slug"`
	NameEN   string    `db:"name_en"`
	NameFR   string    `db:"name_fr"`
	Position int       `db:"position"`
}

// GlobalID is the category's API id.
func (c *SkillCategory) GlobalID() string { return globalid.Format(globalid.SkillCategory, c.ID) }

// Name is the category's name in locale (English when nil).
func (c *SkillCategory) Name(locale *NameLocale) string { return locale.pick(c.NameEN, c.NameFR) }

// NameLocale is a language the taxonomy is named in (the GraphQL enum Locale).
type NameLocale string

// The taxonomy's languages.
const (
	NamesInEnglish NameLocale = "EN"
	NamesInFrench  NameLocale = "FR"
)

// pick is the text in l's language of a text given in English and French; English when l is nil.
func (l *NameLocale) pick(en, fr string) string {
	if l != nil && *l == NamesInFrench {
		return fr
	}
	return en
}

// SkillStatus is where a skill stands in moderation.
type SkillStatus string

// Skill states: seeded and approved skills are APPROVED; member proposals start PENDING.
const (
	SkillPending  SkillStatus = "PENDING"
	SkillApproved SkillStatus = "APPROVED"
	SkillRejected SkillStatus = "REJECTED"
	SkillMerged   SkillStatus = "MERGED"
)

// Skill is one entry of the taxonomy.
type Skill struct {
	ID         uuid.UUID   `db:"id"`
	Slug       string      `db:"slug"`
	CategoryID uuid.UUID   `db:"category_id"`
	NameEN     string      `db:"name_en"`
	NameFR     string      `db:"name_fr"`
	Synonyms   []string    `db:"synonyms"`
	Status     SkillStatus `db:"status"`
	MergedInto *uuid.UUID  `db:"merged_into"`
	ProposedBy *uuid.UUID  `db:"proposed_by"`
	CreatedAt  time.Time   `db:"created_at"`
}

// GlobalID is the skill's API id.
func (s *Skill) GlobalID() string { return globalid.Format(globalid.Skill, s.ID) }

// Name is the skill's name in locale (English when nil).
func (s *Skill) Name(locale *NameLocale) string { return locale.pick(s.NameEN, s.NameFR) }

// Level is a proficiency level, ordered.
type Level string

// Levels from the lowest.
const (
	LevelBeginner     Level = "BEGINNER"
	LevelIntermediate Level = "INTERMEDIATE"
	LevelAdvanced     Level = "ADVANCED"
	LevelExpert       Level = "EXPERT"
)

// Rank orders levels: BEGINNER 1 .. EXPERT 4; 0 for an unknown level.
func (l Level) Rank() int {
	switch l {
	case LevelBeginner:
		return 1
	case LevelIntermediate:
		return 2
	case LevelAdvanced:
		return 3
	case LevelExpert:
		return 4
	}
	return 0
}

// SkillKind says whether a member offers (teaches) or wants (learns) a skill.
type SkillKind string

// Member skill kinds.
const (
	Offer SkillKind = "OFFER"
	Want  SkillKind = "WANT"
)

// MemberSkillsOf names one of a member's two lists of skills: their offers or their wants.
type MemberSkillsOf struct {
	UserID uuid.UUID
	Kind   SkillKind
}

// MemberSkill is a skill a member offers (with their level) or wants (with the level they aim at).
type MemberSkill struct {
	UserID          uuid.UUID `db:"user_id"`
	SkillID         uuid.UUID `db:"skill_id"`
	Kind            SkillKind `db:"kind"`
	Level           Level     `db:"level"`
	YearsOfPractice *int      `db:"years_of_practice"`
	Description     string    `db:"description"`
	CreatedAt       time.Time `db:"created_at"`
	UpdatedAt       time.Time `db:"updated_at"`
}
