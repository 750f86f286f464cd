package apitest

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/relay"
)

// Category creates a skill category (or returns the existing one) and returns its global id.
func (s *Server) Category(t testing.TB, slug, nameEN, nameFR string) string {
	t.Helper()
	var id uuid.UUID
	err := s.App.Pool.QueryRow(context.Background(), `
		INSERT INTO skill_categories (slug, name_en, name_fr) VALUES ($1, $2, $3)
		ON CONFLICT (slug) DO UPDATE SET name_en = EXCLUDED.name_en RETURNING id`, slug, nameEN, nameFR).Scan(&id)
	if err != nil {
		t.Fatalf("create category %s: %v", slug, err)
	}
	return relay.GlobalID(relay.KindSkillCategory, id)
}

// Skill creates (or, when the seeded taxonomy has the slug, resets) an approved skill in the
// category (global id) and returns the skill's global id.
func (s *Server) Skill(t testing.TB, categoryGID, slug, nameEN, nameFR string, synonyms ...string) string {
	t.Helper()
	catID, err := relay.ParseID(relay.KindSkillCategory, categoryGID, "category")
	if err != nil {
		t.Fatal(err)
	}
	if synonyms == nil {
		synonyms = []string{}
	}
	var id uuid.UUID
	err = s.App.Pool.QueryRow(context.Background(), `
		INSERT INTO skills (slug, category_id, name_en, name_fr, synonyms) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (slug) DO UPDATE SET category_id = EXCLUDED.category_id, name_en = EXCLUDED.name_en,
			name_fr = EXCLUDED.name_fr, synonyms = EXCLUDED.synonyms, status = 'APPROVED', merged_into = NULL
		RETURNING id`, slug, catID, nameEN, nameFR, synonyms).Scan(&id)
	if err != nil {
		t.Fatalf("create skill %s: %v", slug, err)
	}
	return relay.GlobalID(relay.KindSkill, id)
}

// Relate marks two skills (global ids) as related, both ways.
func (s *Server) Relate(t testing.TB, a, b string) {
	t.Helper()
	ida, _ := relay.ParseID(relay.KindSkill, a, "a")
	idb, _ := relay.ParseID(relay.KindSkill, b, "b")
	if _, err := s.App.Pool.Exec(context.Background(),
		`INSERT INTO skill_relations VALUES ($1, $2), ($2, $1) ON CONFLICT DO NOTHING`, ida, idb); err != nil {
		t.Fatal(err)
	}
}
