package apitest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
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

// AuditEntries returns the audit log's entries about target ("user:<uuid>", "skill:<uuid>"…),
// newest first, for tests asserting that a staff action was recorded exactly once.
func (s *Server) AuditEntries(t testing.TB, target string) []domain.AuditEntry {
	t.Helper()
	rows, err := s.App.Store.Q().ListAuditLog(context.Background(), domain.AuditFilter{Target: target}, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// AuditTarget is the audit log's target of the object with global id gid: "<kind>:<uuid>", the
// kind being the lower-case word services use ("user", "skill", "payment", "session").
func AuditTarget(t testing.TB, kind, gid string) string {
	t.Helper()
	_, id, ok := relay.ParseGlobalID(gid)
	if !ok {
		t.Fatalf("not a global id: %q", gid)
	}
	return kind + ":" + id.String()
}

// AssertAudited fails unless the audit log holds exactly one entry about target, with that action
// and actor (a global user id; "" for the platform), and details equal to wantDetails (JSON).
func (s *Server) AssertAudited(t testing.TB, target, action, actorGID, wantDetails string) domain.AuditEntry {
	t.Helper()
	var got []domain.AuditEntry
	for _, e := range s.AuditEntries(t, target) {
		if e.Action == action {
			got = append(got, e)
		}
	}
	if len(got) != 1 {
		t.Fatalf("audit entries %s on %s = %d, want 1", action, target, len(got))
	}
	e := got[0]
	switch {
	case actorGID == "" && e.ActorID != nil:
		t.Fatalf("audit %s: actor %s, want the platform", action, e.ActorID)
	case actorGID != "" && (e.ActorID == nil || relay.GlobalID(relay.KindUser, *e.ActorID) != actorGID):
		t.Fatalf("audit %s: actor %v, want %s", action, e.ActorID, actorGID)
	}
	var a, b any
	if err := json.Unmarshal(e.Details, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(wantDetails), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("audit %s details = %s, want %s", action, e.Details, wantDetails)
	}
	return e
}
