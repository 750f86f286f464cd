package resolvers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
)

// longWindow is a dataloader batching window far longer than any request: a query that answers
// within half of it read nothing through a loader's batch.
const longWindow = 5 * time.Second

// startWithLongWindow starts a server whose loaders batch for longWindow.
func startWithLongWindow(t *testing.T) *apitest.Server {
	t.Helper()
	cfg := apitest.Config(t)
	cfg.DataloaderWait = longWindow
	return apitest.Start(t, cfg, app.Options{})
}

// answersAtOnce runs query as c, fails when it took half of longWindow or more (it waited for a
// loader's batch) or answered with an error, and decodes its data into out.
func answersAtOnce(t *testing.T, c *apitest.Client, query string, out any) {
	t.Helper()
	start := time.Now()
	r := c.Do(t, query, nil)
	if took := time.Since(start); took >= longWindow/2 {
		t.Fatalf("%s took %v: it waited for the batching window (%v)", query, took, longWindow)
	}
	apitest.Must(t, r)
	r.Decode(t, out)
}

// TestMembersAreReadWithoutTheBatchingWindow: the viewer and a page of members come with their
// profiles and skills read at once (prefetchMembers), so with a batching window far longer than
// any request, those pages still answer long before it ends, and with the right data.
func TestMembersAreReadWithoutTheBatchingWindow(t *testing.T) {
	t.Parallel()
	srv := startWithLongWindow(t)
	cat := srv.Category(t, "t-prefetch", "Prefetch", "Préchargement")
	skill := srv.Skill(t, cat, "t-prefetch-skill", "Fetching", "Rapporter")
	owner, c := srv.SignUp(t)
	apitest.Must(t, c.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: OFFER, level: EXPERT}) { user { id } } }`, map[string]any{"id": skill}))
	apitest.Must(t, c.Do(t, `mutation { updateProfile(input: {timeZone: "Europe/Paris"}) { user { id } } }`, nil))
	staff, staffClient := srv.SignUp(t)
	srv.SetRoles(t, staff.User.ID, domain.RoleSupport)
	_, fresh := srv.SignUp(t) // no profile row, no skills: the defaults, without a wait either

	type member struct {
		ID            string
		Profile       struct{ TimeZone string }
		OfferedSkills []struct {
			Level string
			Skill struct{ Name string }
		}
		WantedSkills []struct{ Level string }
	}
	const fields = `id profile { timeZone } offeredSkills { level skill { name } } wantedSkills { level }`
	t.Run("viewer", func(t *testing.T) {
		var got struct{ Viewer member }
		answersAtOnce(t, c, `{ viewer { `+fields+` } }`, &got)
		v := got.Viewer
		if v.ID != owner.User.ID || v.Profile.TimeZone != "Europe/Paris" || len(v.OfferedSkills) != 1 ||
			v.OfferedSkills[0].Level != "EXPERT" || v.OfferedSkills[0].Skill.Name != "Fetching" || len(v.WantedSkills) != 0 {
			t.Fatalf("viewer = %+v", v)
		}
	})
	t.Run("viewer without a profile or skills", func(t *testing.T) {
		var got struct{ Viewer member }
		answersAtOnce(t, fresh, `{ viewer { `+fields+` } }`, &got)
		if got.Viewer.Profile.TimeZone != domain.DefaultProfile(uuid.Nil).TimeZone || len(got.Viewer.OfferedSkills) != 0 {
			t.Fatalf("viewer = %+v", got.Viewer)
		}
	})
	t.Run("a page of members", func(t *testing.T) {
		var got struct {
			Users struct{ Edges []struct{ Node member } }
		}
		// Parallel tests add members: the page is the member's own (filter by id).
		answersAtOnce(t, staffClient, fmt.Sprintf(`{ users(first: 10, filter: {id: %q}) { edges { node { %s } } } }`, owner.User.ID, fields), &got)
		var found bool
		for _, e := range got.Users.Edges {
			if e.Node.ID == owner.User.ID {
				found = true
				if e.Node.Profile.TimeZone != "Europe/Paris" || len(e.Node.OfferedSkills) != 1 || e.Node.OfferedSkills[0].Skill.Name != "Fetching" {
					t.Fatalf("member on the page = %+v", e.Node)
				}
			}
		}
		if !found {
			t.Fatalf("the member is not on the page: %+v", got.Users.Edges)
		}
	})
	t.Run("a page of several members, resolved in turn", func(t *testing.T) {
		// The page primes what its members show (gqlexec.Prime), so its edges resolve one after
		// another: a field it claims to have primed that still waited would make each wait in turn.
		prefix := fmt.Sprintf("Primed%d", time.Now().UnixNano())
		for i := range 3 {
			_, m := srv.SignUpAs(t, fmt.Sprintf("%s-%d@example.com", strings.ToLower(prefix), i), fmt.Sprintf("%s %d", prefix, i))
			apitest.Must(t, m.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: OFFER, level: EXPERT}) { user { id } } }`, map[string]any{"id": skill}))
		}
		var got struct {
			Users struct{ Edges []struct{ Node member } }
		}
		answersAtOnce(t, staffClient, fmt.Sprintf(`{ users(first: 10, filter: {namePrefix: %q}) { edges { node { %s } } } }`, prefix, fields), &got)
		if len(got.Users.Edges) != 3 {
			t.Fatalf("%d members on the page, want 3", len(got.Users.Edges))
		}
		for _, e := range got.Users.Edges {
			if len(e.Node.OfferedSkills) != 1 || e.Node.OfferedSkills[0].Skill.Name != "Fetching" || e.Node.Profile.TimeZone == "" {
				t.Fatalf("member on the page = %+v", e.Node)
			}
		}
	})
}

// TestListsOfMemoryFieldsDoNotWait: the resolver fields scripts/gqlgen lists as answered from
// memory (answeredFromMemory) let a list resolve its elements one after another (gqlexec). Were
// one of them to wait for a loader's batch, every element would wait the whole window in turn: with
// a window of seconds, each list below holds at least two elements selecting all of them and must
// still answer at once, with the right data.
func TestListsOfMemoryFieldsDoNotWait(t *testing.T) {
	t.Parallel()
	srv := startWithLongWindow(t)
	cat := srv.Category(t, "t-memory", "Memory", "Mémoire")
	first := srv.Skill(t, cat, "t-memory-first", "Remembering", "Se souvenir")
	second := srv.Skill(t, cat, "t-memory-second", "Recalling", "Rappeler")
	_, c := srv.SignUp(t)
	for _, id := range []string{first, second} {
		apitest.Must(t, c.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: OFFER, level: EXPERT}) { user { id } } }`, map[string]any{"id": id}))
	}

	t.Run("member skills", func(t *testing.T) {
		var got struct {
			Viewer struct {
				OfferedSkills []struct {
					ID    string
					Skill struct{ ID, Name string }
				}
			}
		}
		answersAtOnce(t, c, `{ viewer { offeredSkills { id skill { id name } } } }`, &got)
		names := map[string]bool{}
		for _, ms := range got.Viewer.OfferedSkills {
			if ms.ID == "" {
				t.Errorf("member skill without an id: %+v", ms)
			}
			names[ms.Skill.Name] = true
		}
		if len(got.Viewer.OfferedSkills) != 2 || !names["Remembering"] || !names["Recalling"] {
			t.Fatalf("offered skills = %+v", got.Viewer.OfferedSkills)
		}
	})
	t.Run("the taxonomy", func(t *testing.T) {
		var got struct {
			SkillCategories []struct {
				ID     string
				Skills []struct {
					ID            string
					Category      struct{ ID string }
					RelatedSkills []struct{ ID string }
					MergedInto    *struct{ ID string }
				}
			}
		}
		answersAtOnce(t, c, `{ skillCategories { id skills { id category { id } relatedSkills { id } mergedInto { id } } } }`, &got)
		if len(got.SkillCategories) < 2 {
			t.Fatalf("%d categories, want the seeded ones and %s", len(got.SkillCategories), cat)
		}
		var found int
		for _, c := range got.SkillCategories {
			for _, s := range c.Skills {
				if s.Category.ID != c.ID {
					t.Errorf("skill %s of category %s says its category is %s", s.ID, c.ID, s.Category.ID)
				}
				if s.ID == first || s.ID == second {
					found++
				}
			}
		}
		if found != 2 {
			t.Fatalf("found %d of the two new skills under their category", found)
		}
	})
}

// TestSkillListsAreReadByKind: a page of members reads only the lists of skills it shows (offers,
// wants), and a list it did not read is still right when the same document asks it elsewhere:
// the page's offers primed the loader for offers only.
func TestSkillListsAreReadByKind(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t), app.Options{})
	cat := srv.Category(t, "t-kinds", "Kinds", "Genres")
	teach := srv.Skill(t, cat, "t-kinds-teach", "Teaching", "Enseigner")
	learn := srv.Skill(t, cat, "t-kinds-learn", "Learning", "Apprendre")
	staff, staffClient := srv.SignUp(t)
	srv.SetRoles(t, staff.User.ID, domain.RoleSupport)
	member, c := srv.SignUp(t)
	apitest.Must(t, c.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: OFFER, level: EXPERT}) { user { id } } }`, map[string]any{"id": teach}))
	apitest.Must(t, c.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: WANT, level: BEGINNER}) { user { id } } }`, map[string]any{"id": learn}))

	type skills []struct {
		Level string
		Skill struct{ Slug string }
	}
	var got struct {
		Users struct {
			Edges []struct {
				Node struct {
					ID            string
					OfferedSkills skills
				}
			}
		}
		Again struct {
			OfferedSkills, WantedSkills skills
		}
	}
	staffClient.Do(t, `query($id: ID!) {
		users(first: 1, filter: {id: $id}) { edges { node { id offeredSkills { level skill { slug } } } } }
		again: node(id: $id) { ... on User { offeredSkills { level skill { slug } } wantedSkills { level skill { slug } } } } }`,
		map[string]any{"id": member.User.ID}).Decode(t, &got)
	if n := len(got.Users.Edges); n != 1 || got.Users.Edges[0].Node.ID != member.User.ID {
		t.Fatalf("page: %+v", got.Users)
	}
	for name, tc := range map[string]struct {
		list        skills
		level, slug string
	}{
		"the page's offers":               {got.Users.Edges[0].Node.OfferedSkills, "EXPERT", "t-kinds-teach"},
		"the offers asked again":          {got.Again.OfferedSkills, "EXPERT", "t-kinds-teach"},
		"the wants the page did not read": {got.Again.WantedSkills, "BEGINNER", "t-kinds-learn"},
	} {
		if len(tc.list) != 1 || tc.list[0].Level != tc.level || tc.list[0].Skill.Slug != tc.slug {
			t.Errorf("%s: %+v, want one %s %s", name, tc.list, tc.level, tc.slug)
		}
	}
}
