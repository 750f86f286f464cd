package search_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
)

// These tests drive search through the GraphQL API with the River workers running, so they also
// prove that the index follows changes through the job inserted in each change's transaction.

const skillSearchQuery = `query($text: String!, $cat: ID, $first: Int, $after: String) {
	searchSkills(text: $text, categoryId: $cat, first: $first, after: $after) {
		edges { cursor score node { slug nameFr category { slug } } }
		pageInfo { hasNextPage endCursor }
		totalCount
		categoryFacets { category { slug } count }
	} }`

type skillSearchResult struct {
	SearchSkills struct {
		Edges []struct {
			Cursor string
			Score  float64
			Node   struct {
				Slug, NameFr string
				Category     struct{ Slug string }
			}
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
		TotalCount     int
		CategoryFacets []struct {
			Category struct{ Slug string }
			Count    int
		}
	}
}

func (r skillSearchResult) slugs() []string {
	var out []string
	for _, e := range r.SearchSkills.Edges {
		out = append(out, e.Node.Slug)
	}
	return out
}

func TestSearchSkillsAPI(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	anon := srv.Client()
	search := func(vars map[string]any) skillSearchResult {
		t.Helper()
		var out skillSearchResult
		anon.Do(t, skillSearchQuery, vars).Decode(t, &out)
		return out
	}
	// The seeded taxonomy (migration 0003) is what members search.
	for _, tc := range []struct {
		name, text, wantFirst string
	}{
		{"accents dropped", "guitare electrique", "electric-guitar"},
		{"French name", "Guitare électrique", "electric-guitar"},
		{"English prefix", "electric gui", "electric-guitar"},
		{"typo", "guittar", "guitar"},
		{"synonym", "guitare sèche", "guitar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := search(map[string]any{"text": tc.text})
			if s := got.slugs(); len(s) == 0 || s[0] != tc.wantFirst {
				t.Fatalf("searchSkills(%q) = %v, want %s first", tc.text, s, tc.wantFirst)
			}
			if got.SearchSkills.TotalCount < len(got.SearchSkills.Edges) {
				t.Fatalf("totalCount %d < %d edges", got.SearchSkills.TotalCount, len(got.SearchSkills.Edges))
			}
		})
	}

	t.Run("facets and category filter", func(t *testing.T) {
		all := search(map[string]any{"text": "guitar", "first": 100})
		if len(all.SearchSkills.CategoryFacets) == 0 {
			t.Fatal("no category facets")
		}
		sum := 0
		for _, f := range all.SearchSkills.CategoryFacets {
			sum += f.Count
		}
		if sum != all.SearchSkills.TotalCount {
			t.Fatalf("facet counts sum to %d, totalCount %d", sum, all.SearchSkills.TotalCount)
		}
		var musicID string
		var cats struct{ SkillCategories []struct{ ID, Slug string } }
		anon.Do(t, `{ skillCategories { id slug } }`, nil).Decode(t, &cats)
		for _, c := range cats.SkillCategories {
			if c.Slug == "music" {
				musicID = c.ID
			}
		}
		music := search(map[string]any{"text": "guitar", "cat": musicID, "first": 100})
		for _, e := range music.SearchSkills.Edges {
			if e.Node.Category.Slug != "music" {
				t.Fatalf("category filter let %s (%s) through", e.Node.Slug, e.Node.Category.Slug)
			}
		}
		for _, f := range all.SearchSkills.CategoryFacets {
			if f.Category.Slug == "music" && f.Count != music.SearchSkills.TotalCount {
				t.Fatalf("music facet %d, filtered totalCount %d", f.Count, music.SearchSkills.TotalCount)
			}
		}
	})

	t.Run("pages follow each other", func(t *testing.T) {
		all := search(map[string]any{"text": "guitar", "first": 100}).slugs()
		if len(all) < 4 {
			t.Fatalf("need several results, got %v", all)
		}
		var paged []string
		var after any
		for range 20 {
			p := search(map[string]any{"text": "guitar", "first": 3, "after": after})
			paged = append(paged, p.slugs()...)
			if !p.SearchSkills.PageInfo.HasNextPage {
				break
			}
			// Any edge's cursor resumes after that edge: use the second edge's, then skip one.
			after = p.SearchSkills.Edges[len(p.SearchSkills.Edges)-1].Cursor
		}
		if !slices.Equal(paged, all) {
			t.Fatalf("pages %v, all at once %v", paged, all)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			vars  map[string]any
			field string
		}{
			{map[string]any{"text": ""}, "text"},
			{map[string]any{"text": "guitar", "first": 0}, "first"},
			{map[string]any{"text": "guitar", "first": 101}, "first"},
			{map[string]any{"text": "guitar", "after": "garbage"}, "after"},
			{map[string]any{"text": "guitar", "cat": "usr_nonsense"}, "categoryId"},
		} {
			r := anon.Do(t, skillSearchQuery, tc.vars)
			if r.Code() != "BAD_USER_INPUT" || r.Field() != tc.field {
				t.Errorf("%v: got %s field %q, want BAD_USER_INPUT on %s: %s", tc.vars, r.Code(), r.Field(), tc.field, r.Raw)
			}
		}
	})
}

const memberSearchQuery = `query($text: String, $filter: MemberSearchFilter, $first: Int) {
	searchMembers(text: $text, filter: $filter, first: $first) {
		edges { cursor score distanceKm node { id displayName email profile { location { latitude } } } }
		pageInfo { hasNextPage }
		totalCount
		facets { categories { category { slug } count } levels { level count } languages { language count } modes { mode count } }
	} }`

type memberSearchResult struct {
	SearchMembers struct {
		Edges []struct {
			Score      float64
			DistanceKm *float64
			Node       struct {
				ID, DisplayName string
				Email           *string
				Profile         *struct{ Location *struct{ Latitude float64 } }
			}
		}
		TotalCount int
		Facets     struct {
			Levels []struct {
				Level string
				Count int
			}
			Languages []struct {
				Language string
				Count    int
			}
			Modes []struct {
				Mode  string
				Count int
			}
		}
	}
}

func (r memberSearchResult) names() []string {
	out := []string{}
	for _, e := range r.SearchMembers.Edges {
		out = append(out, e.Node.DisplayName)
	}
	slices.Sort(out)
	return out
}

// eventually retries check until it passes or the index had ample time to catch up.
func eventually(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, state := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after 15 s", what, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSearchMembersAPI(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RunWorkers = true
	srv := apitest.Start(t, cfg)

	skillID := func(slug string) string {
		var out struct{ Skill struct{ ID string } }
		srv.Client().Do(t, `query($s: String!) { skill(slug: $s) { id } }`, map[string]any{"s": slug}).Decode(t, &out)
		return out.Skill.ID
	}
	guitar, piano := skillID("guitar"), skillID("piano")
	member := func(name string, profile map[string]any, skills ...map[string]any) (apitest.Tokens, *apitest.Client) {
		tok, c := srv.SignUpAs(t, fmt.Sprintf("member-%d@example.com", time.Now().UnixNano()), name)
		if profile != nil {
			apitest.Must(t, c.Do(t, `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { id } } }`, map[string]any{"in": profile}))
		}
		for _, s := range skills {
			apitest.Must(t, c.Do(t, `mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { user { id } } }`, map[string]any{"in": s}))
		}
		return tok, c
	}
	offer := func(skill, level string) map[string]any {
		return map[string]any{"skillId": skill, "kind": "OFFER", "level": level}
	}
	// Zoé's exact coordinates are private; the index only knows them to 0.01°.
	zoeLat, zoeLon := 48.85661, 2.35222
	_, viewer := member("Viewer Vera", map[string]any{"timeZone": "Europe/Paris"})
	zoe, _ := member("Zoé Dupont", map[string]any{"timeZone": "Europe/Paris", "languages": []string{"fr", "en"}, "mode": "BOTH",
		"location": map[string]any{"latitude": zoeLat, "longitude": zoeLon}, "visibility": "PUBLIC"},
		offer(guitar, "EXPERT"))
	_, yann := member("Yann Leroux", map[string]any{"timeZone": "Europe/Paris", "languages": []string{"fr"}, "mode": "ONLINE"},
		offer(guitar, "BEGINNER"), offer(piano, "ADVANCED"))
	member("Hugo Hidden", map[string]any{"timeZone": "Europe/Paris", "visibility": "HIDDEN"}, offer(guitar, "EXPERT"))

	find := func(c *apitest.Client, text any, filter map[string]any) memberSearchResult {
		t.Helper()
		var out memberSearchResult
		c.Do(t, memberSearchQuery, map[string]any{"text": text, "filter": filter, "first": 50}).Decode(t, &out)
		return out
	}
	eventually(t, "guitar offers indexed", func() (bool, string) {
		got := find(viewer, nil, map[string]any{"skillId": guitar}).names()
		return slices.Equal(got, []string{"Yann Leroux", "Zoé Dupont"}), "got " + join(got)
	})
	// Yann's piano came after his guitar: the guitar being indexed does not mean the piano is.
	eventually(t, "Yann's piano indexed", func() (bool, string) {
		got := find(viewer, "piano", nil).names()
		return slices.Equal(got, []string{"Yann Leroux"}), "got " + join(got)
	})

	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			text   any
			filter map[string]any
			want   []string
		}{
			{"skill and level", nil, map[string]any{"skillId": guitar, "minLevel": "ADVANCED"}, []string{"Zoé Dupont"}},
			{"skill and language", nil, map[string]any{"skillId": guitar, "language": "en"}, []string{"Zoé Dupont"}},
			{"skill and mode", nil, map[string]any{"skillId": guitar, "mode": "IN_PERSON"}, []string{"Zoé Dupont"}},
			{"accent-insensitive name", "zoe", nil, []string{"Zoé Dupont"}},
			{"skill name text", "piano", nil, []string{"Yann Leroux"}},
			{"wanted instead of offered", nil, map[string]any{"skillId": guitar, "kind": "WANT"}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := find(viewer, tc.text, tc.filter).names(); !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
	})

	t.Run("facets", func(t *testing.T) {
		r := find(viewer, nil, map[string]any{"skillId": guitar})
		levels := map[string]int{}
		for _, f := range r.SearchMembers.Facets.Levels {
			levels[f.Level] = f.Count
		}
		// Refinement counts: at least BEGINNER both, at least ADVANCED only Zoé.
		if levels["BEGINNER"] != 2 || levels["ADVANCED"] != 1 || levels["EXPERT"] != 1 {
			t.Fatalf("level facets %v", levels)
		}
		langs := map[string]int{}
		for _, f := range r.SearchMembers.Facets.Languages {
			langs[f.Language] = f.Count
		}
		if langs["fr"] != 2 || langs["en"] != 1 {
			t.Fatalf("language facets %v", langs)
		}
	})

	t.Run("coordinates stay private", func(t *testing.T) {
		// Exactly around Zoé's real position, 200 m finds nobody: the index holds (48.86, 2.35),
		// about 400 m away, so no radius search can pin her down closer than that grid.
		near := func(lat, lon float64) memberSearchResult {
			return find(viewer, nil, map[string]any{"near": map[string]any{"latitude": lat, "longitude": lon, "radiusKm": 0.2}})
		}
		if got := near(zoeLat, zoeLon).names(); len(got) != 0 {
			t.Fatalf("200 m around the exact point found %v", got)
		}
		r := near(48.86, 2.35)
		if got := r.names(); !slices.Equal(got, []string{"Zoé Dupont"}) {
			t.Fatalf("200 m around the grid point found %v", got)
		}
		e := r.SearchMembers.Edges[0]
		if e.Node.Email != nil || e.Node.Profile == nil || e.Node.Profile.Location != nil {
			t.Fatalf("a stranger sees email %v / location %+v", e.Node.Email, e.Node.Profile)
		}
		if e.DistanceKm == nil || *e.DistanceKm != 0 {
			t.Fatalf("distance %v, want 0 (rounded)", e.DistanceKm)
		}
	})

	t.Run("signed out sees public profiles only", func(t *testing.T) {
		if got := find(srv.Client(), nil, map[string]any{"skillId": guitar}).names(); !slices.Equal(got, []string{"Zoé Dupont"}) {
			t.Fatalf("anonymous search found %v", got)
		}
	})

	t.Run("blocking hides both ways", func(t *testing.T) {
		apitest.Must(t, viewer.Do(t, `mutation($id: ID!) { blockMember(input: {memberId: $id}) { member { id } } }`, map[string]any{"id": zoe.User.ID}))
		if got := find(viewer, nil, map[string]any{"skillId": guitar}).names(); !slices.Equal(got, []string{"Yann Leroux"}) {
			t.Fatalf("after blocking Zoé, the blocker found %v", got)
		}
		// And Zoé no longer finds the member who blocked her (Vera has no skills: search by name).
		zoeClient := srv.Client().WithToken(zoe.AccessToken)
		if got := find(zoeClient, "vera", nil).names(); len(got) != 0 {
			t.Fatalf("the blocked member still finds the blocker: %v", got)
		}
		apitest.Must(t, viewer.Do(t, `mutation($id: ID!) { unblockMember(input: {memberId: $id}) { member { id } } }`, map[string]any{"id": zoe.User.ID}))
		if got := find(zoeClient, "vera", nil).names(); !slices.Equal(got, []string{"Viewer Vera"}) {
			t.Fatalf("after unblocking: %v", got)
		}
	})

	t.Run("index follows changes", func(t *testing.T) {
		apitest.Must(t, yann.Do(t, `mutation($id: ID!) { removeMemberSkill(input: {skillId: $id}) { user { id } } }`, map[string]any{"id": guitar}))
		eventually(t, "removed offer leaves the index", func() (bool, string) {
			got := find(viewer, nil, map[string]any{"skillId": guitar}).names()
			return slices.Equal(got, []string{"Zoé Dupont"}), "got " + join(got)
		})
		apitest.Must(t, yann.Do(t, `mutation { updateProfile(input: {visibility: HIDDEN}) { user { id } } }`, nil))
		eventually(t, "hidden profile leaves the index", func() (bool, string) {
			got := find(viewer, "piano", nil).names()
			return len(got) == 0, "got " + join(got)
		})
	})

	t.Run("bad input names the field", func(t *testing.T) {
		for _, tc := range []struct {
			filter map[string]any
			field  string
		}{
			{map[string]any{"language": "xx"}, "filter.language"},
			{map[string]any{"near": map[string]any{"latitude": 48.8, "longitude": 2.3, "radiusKm": 5000}}, "filter.near.radiusKm"},
			{map[string]any{"near": map[string]any{"latitude": 91, "longitude": 2.3, "radiusKm": 5}}, "filter.near.latitude"},
			{map[string]any{"skillId": "cat_nonsense"}, "filter.skillId"},
		} {
			r := viewer.Do(t, memberSearchQuery, map[string]any{"filter": tc.filter})
			if r.Code() != "BAD_USER_INPUT" || r.Field() != tc.field {
				t.Errorf("%v: got %s field %q, want BAD_USER_INPUT on %s: %s", tc.filter, r.Code(), r.Field(), tc.field, r.Raw)
			}
		}
	})
}

func join(s []string) string {
	out := "["
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out + "]"
}
