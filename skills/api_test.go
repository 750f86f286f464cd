package skills_test

import (
	"strings"
	"testing"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/skills"
)

func TestSeededTaxonomy(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	var out struct {
		SkillCategories []struct {
			Slug, Name, NameEn string
			Skills             []struct {
				Slug, NameEn, NameFr string
				RelatedSkills        []struct{ Slug string }
			}
		}
	}
	srv.Client().Do(t, `{ skillCategories { slug name(locale: FR) nameEn skills { slug nameEn nameFr relatedSkills { slug } } } }`, nil).Decode(t, &out)
	if n := len(out.SkillCategories); n < 15 {
		t.Fatalf("%d categories, want at least 15", n)
	}
	total, related := 0, 0
	slugs := map[string]bool{}
	for _, c := range out.SkillCategories {
		if c.Name == "" || c.Name == c.NameEn && c.Slug != "music" && c.Slug != "photography" {
			// French names mostly differ from English ones; a few (Piano) legitimately do not.
		}
		for _, s := range c.Skills {
			total++
			if s.NameEn == "" || s.NameFr == "" {
				t.Errorf("skill %s lacks a name", s.Slug)
			}
			if slugs[s.Slug] {
				t.Errorf("duplicate slug %s", s.Slug)
			}
			slugs[s.Slug] = true
			if len(s.RelatedSkills) > 0 {
				related++
			}
		}
	}
	if total < 300 {
		t.Fatalf("%d skills, want at least 300", total)
	}
	if related < total*3/4 {
		t.Fatalf("only %d of %d skills have related skills", related, total)
	}
	var one struct {
		Skill struct {
			NameFr   string
			Category struct{ Slug string }
		}
	}
	srv.Client().Do(t, `{ skill(slug: "electric-guitar") { nameFr category { slug } } }`, nil).Decode(t, &one)
	if one.Skill.NameFr != "Guitare électrique" || one.Skill.Category.Slug != "music" {
		t.Fatalf("electric-guitar = %+v", one.Skill)
	}
}

const propose = `mutation($in: ProposeSkillInput!) { proposeSkill(input: $in) { skill { id slug status nameEn nameFr synonyms } } }`
const review = `mutation($in: ReviewSkillProposalInput!) { reviewSkillProposal(input: $in) { skill { slug status mergedInto { slug } } } }`

func TestProposeAndModerate(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	cat := srv.Category(t, "test-crafts", "Test crafts", "Artisanat test")
	target := srv.Skill(t, cat, "t-knitting", "Test knitting", "Tricot test")
	_, member := srv.SignUp(t)
	mod, modClient := srv.SignUp(t)
	srv.SetRoles(t, mod.User.ID, domain.RoleModerator)

	var p struct {
		ProposeSkill struct {
			Skill struct {
				ID, Slug, Status string
				Synonyms         []string
			}
		}
	}
	member.Do(t, propose, map[string]any{"in": map[string]any{"categoryId": cat, "nameEn": "Kumihimo braiding", "nameFr": "Tressage kumihimo", "synonyms": []string{"Kumihimo"}}}).Decode(t, &p)
	kumi := p.ProposeSkill.Skill
	if kumi.Status != "PENDING" || kumi.Slug != "kumihimo-braiding" || kumi.Synonyms[0] != "kumihimo" {
		t.Fatalf("proposal = %+v", kumi)
	}
	bad := []struct {
		name  string
		in    map[string]any
		code  string
		field string
	}{
		{"existing name, other case and accents", map[string]any{"categoryId": cat, "nameEn": "TEST KNITTING", "nameFr": "x"}, "CONFLICT", "input.nameEn"},
		{"french name of an existing skill", map[string]any{"categoryId": cat, "nameEn": "Something", "nameFr": "tricot TEST"}, "CONFLICT", "input.nameEn"},
		{"empty name", map[string]any{"categoryId": cat, "nameEn": " ", "nameFr": "x"}, "BAD_USER_INPUT", "input.nameEn"},
		{"unknown category", map[string]any{"categoryId": "cat_00000000000000000000000000000000", "nameEn": "Zzz", "nameFr": "Zzz"}, "NOT_FOUND", "input.categoryId"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := member.Do(t, propose, map[string]any{"in": tt.in})
			if r.Code() != tt.code || r.Field() != tt.field {
				t.Fatalf("code %q field %q, want %q %q: %s", r.Code(), r.Field(), tt.code, tt.field, r.Raw)
			}
		})
	}
	// A pending skill cannot be offered yet.
	if r := member.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: OFFER, level: BEGINNER}) { user { id } } }`,
		map[string]any{"id": kumi.ID}); r.Code() != "NOT_FOUND" {
		t.Fatalf("offering a pending skill: %s", r.Raw)
	}
	// Only moderators review.
	if r := member.Do(t, review, map[string]any{"in": map[string]any{"skillId": kumi.ID, "decision": "APPROVE"}}); r.Code() != "FORBIDDEN" {
		t.Fatalf("member reviewing: %s", r.Raw)
	}
	var pending struct {
		PendingSkills struct {
			Edges []struct{ Node struct{ Slug string } }
		}
	}
	modClient.Do(t, `{ pendingSkills { edges { node { slug } } } }`, nil).Decode(t, &pending)
	if len(pending.PendingSkills.Edges) != 1 || pending.PendingSkills.Edges[0].Node.Slug != "kumihimo-braiding" {
		t.Fatalf("pending = %+v", pending)
	}

	var rv struct {
		ReviewSkillProposal struct {
			Skill struct {
				Status     string
				MergedInto *struct{ Slug string }
			}
		}
	}
	modClient.Do(t, review, map[string]any{"in": map[string]any{"skillId": kumi.ID, "decision": "APPROVE"}}).Decode(t, &rv)
	if rv.ReviewSkillProposal.Skill.Status != "APPROVED" {
		t.Fatalf("approve: %+v", rv)
	}
	srv.AssertAudited(t, apitest.AuditTarget(t, "skill", kumi.ID), "skill.reviewed", mod.User.ID, `{"decision":"APPROVE","status":"APPROVED"}`)
	if r := modClient.Do(t, review, map[string]any{"in": map[string]any{"skillId": kumi.ID, "decision": "REJECT"}}); r.Code() != "CONFLICT" || r.Errors[0].Extensions["status"] != "APPROVED" {
		t.Fatalf("reviewing twice: %s", r.Raw)
	}
	apitest.Must(t, member.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: OFFER, level: BEGINNER}) { user { id } } }`, map[string]any{"id": kumi.ID}))

	// A duplicate proposal is merged into the existing skill.
	member.Do(t, propose, map[string]any{"in": map[string]any{"categoryId": cat, "nameEn": "Hand knitting", "nameFr": "Tricot à la main"}}).Decode(t, &p)
	if r := modClient.Do(t, review, map[string]any{"in": map[string]any{"skillId": p.ProposeSkill.Skill.ID, "decision": "MERGE"}}); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.mergeIntoId" {
		t.Fatalf("merge without target: %s", r.Raw)
	}
	modClient.Do(t, review, map[string]any{"in": map[string]any{"skillId": p.ProposeSkill.Skill.ID, "decision": "MERGE", "mergeIntoId": target}}).Decode(t, &rv)
	if rv.ReviewSkillProposal.Skill.Status != "MERGED" || rv.ReviewSkillProposal.Skill.MergedInto.Slug != "t-knitting" {
		t.Fatalf("merge: %+v", rv)
	}
	srv.AssertAudited(t, apitest.AuditTarget(t, "skill", p.ProposeSkill.Skill.ID), "skill.reviewed", mod.User.ID,
		`{"decision":"MERGE","status":"MERGED","mergedInto":"`+strings.TrimPrefix(apitest.AuditTarget(t, "skill", target), "skill:")+`"}`)
}

func TestSlugify(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Guitare électrique": "guitare-electrique",
		"C++":                "c",
		"  Pâtisserie & Co ": "patisserie-co",
		"日本語":                "skill",
	} {
		if got := skills.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}
