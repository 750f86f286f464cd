package search_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/profiles"
	"github.com/skillswap/skillswap/search"
	"github.com/skillswap/skillswap/store"
)

var _ profiles.Indexer = search.Queue{}

// TestPostgresBackend runs the behaviour suite against the PostgreSQL backend (always).
func TestPostgresBackend(t *testing.T) {
	t.Parallel()
	fx := loadFixture(t, nil)
	backend := search.NewPostgres(fx.st)
	if err := search.ReindexAll(t.Context(), fx.st, backend); err != nil {
		t.Fatal(err)
	}
	runSuite(t, backend, fx)
}

// Every PostgreSQL search is one statement (two with AvailableAt, which reads the zones in use),
// whatever the page size and the filters.
func TestPostgresStatementCount(t *testing.T) {
	t.Parallel()
	counter := &testdb.StatementCounter{}
	fx := loadFixture(t, counter)
	b := search.NewPostgres(fx.st)
	if err := search.ReindexAll(t.Context(), fx.st, b); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 23, 17, 30, 0, 0, time.UTC)
	cases := []struct {
		q    memberQuery
		want int64
	}{
		{memberQuery{First: 1}, 1},
		{memberQuery{First: 100}, 1},
		{memberQuery{First: 100, Text: "guitar", CategoryID: ptr(fx.cats["music"]), Language: ptr("en"), Mode: ptr(domain.ModeOnline),
			MinLevel: ptr(domain.LevelBeginner), Near: &search.GeoFilter{Latitude: parisLat, Longitude: parisLon, RadiusKm: 100}}, 1},
		{memberQuery{First: 100, AvailableAt: &at}, 2},
	}
	for _, c := range cases {
		c.q.ViewerID = fx.viewer
		if n := counter.Measure(func() {
			if _, err := searchMembersPage(t.Context(), b, c.q); err != nil {
				t.Fatal(err)
			}
		}); n != c.want {
			t.Errorf("%s: %d statements, want %d", describe(c.q), n, c.want)
		}
	}
	for _, first := range []int{1, 100} {
		if n := counter.Measure(func() {
			if _, err := searchSkillsPage(t.Context(), b, skillQuery{Text: "guit", First: first}); err != nil {
				t.Fatal(err)
			}
		}); n != 1 {
			t.Errorf("searchSkills first=%d: %d statements", first, n)
		}
	}
}

// runSuite is the behaviour every backend must have. Its last part changes data (index sync).
func runSuite(t *testing.T, b search.Backend, fx *fixture) {
	t.Run("skills", func(t *testing.T) { skillCases(t, b, fx) })
	t.Run("skill pagination", func(t *testing.T) { skillPagination(t, b, fx) })
	t.Run("validation", func(t *testing.T) { validationCases(t, b, fx) })
	t.Run("member filters", func(t *testing.T) { memberFilterCases(t, b, fx) })
	t.Run("member text", func(t *testing.T) { memberTextCases(t, b, fx) })
	t.Run("availability across time zones and DST", func(t *testing.T) { availabilityCases(t, b, fx) })
	t.Run("distance", func(t *testing.T) { distanceCases(t, b, fx) })
	t.Run("facets", func(t *testing.T) { facetCases(t, b, fx) })
	t.Run("never shown", func(t *testing.T) { exclusionCases(t, b, fx) })
	t.Run("member pagination", func(t *testing.T) { memberPagination(t, b, fx) })
	t.Run("random filter combinations match the oracle", func(t *testing.T) { oracleCases(t, b, fx) })
	t.Run("index follows changes through jobs", func(t *testing.T) { syncCases(t, b, fx) })
}

func ptr[T any](v T) *T { return &v }

func (fx *fixture) skillSlugs(hits []search.SkillHit) []string {
	var out []string
	for _, h := range hits {
		for slug, id := range fx.skills {
			if id == h.SkillID {
				out = append(out, slug)
			}
		}
	}
	return out
}

func searchSkills(t *testing.T, b search.Backend, fx *fixture, q skillQuery) []string {
	t.Helper()
	page, err := searchSkillsPage(t.Context(), b, q)
	if err != nil {
		t.Fatalf("SearchSkills(%+v): %v", q, err)
	}
	return fx.skillSlugs(page.Hits)
}

func skillCases(t *testing.T, b search.Backend, fx *fixture) {
	cases := []struct {
		name, text string
		locale     search.Locale
		first      string // expected best hit
		also       []string
		not        []string
		none       bool // no hit at all
	}{
		{name: "exact English name", text: "Guitar", first: "guitar"},
		{name: "typo", text: "guittar", first: "guitar"},
		{name: "another typo", text: "gitar", first: "guitar"},
		{name: "accent-insensitive", text: "guitare electrique", first: "electric-guitar", not: []string{"piano"}},
		{name: "accents in the query", text: "GUITARE ÉLECTRIQUE", first: "electric-guitar"},
		{name: "prefix", text: "guit", also: []string{"guitar", "electric-guitar", "bass-guitar", "classical-guitar"}, not: []string{"piano", "pastry"}},
		{name: "typo ranks the closest name first", text: "guittar", first: "guitar", also: []string{"bass-guitar"}},
		{name: "French prefix of a second word", text: "guitare cla", first: "classical-guitar"},
		{name: "French synonym of a multi-word skill", text: "guitare espagnole", first: "classical-guitar", not: []string{"spanish"}},
		{name: "accented prefix", text: "pât", first: "pastry"},
		{name: "unaccented prefix", text: "patis", first: "pastry"},
		{name: "French name", text: "Boulangerie", first: "bread"},
		{name: "English name", text: "bread", first: "bread"},
		{name: "French name of a language", text: "espagnol", first: "spanish"},
		{name: "synonym", text: "sourdough", first: "bread"},
		{name: "synonym with accent", text: "espanol", first: "spanish"},
		{name: "French synonym", text: "clavier", first: "piano"},
		{name: "multi-word prefix", text: "elec guit", first: "electric-guitar"},
		{name: "pending skills are not searchable", text: "ukulele", none: true},
		{name: "nonsense", text: "zzqxw", none: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := searchSkills(t, b, fx, skillQuery{Text: c.text, Locale: c.locale})
			if c.none {
				if len(got) != 0 {
					t.Fatalf("%q found %v, want nothing", c.text, got)
				}
				return
			}
			if len(got) == 0 || (c.first != "" && got[0] != c.first) {
				t.Fatalf("%q found %v, want %s first", c.text, got, c.first)
			}
			for _, s := range c.also {
				if !slices.Contains(got, s) {
					t.Errorf("%q found %v, want %s among them", c.text, got, s)
				}
			}
			for _, s := range c.not {
				if slices.Contains(got, s) {
					t.Errorf("%q found %v, want no %s", c.text, got, s)
				}
			}
		})
	}

	t.Run("category filter and facets", func(t *testing.T) {
		page, err := searchSkillsPage(t.Context(), b, skillQuery{Text: "guit"})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 4 || len(page.Facets) != 1 || page.Facets[0] != (search.Facet{Value: fx.cats["music"].String(), Count: 4}) {
			t.Fatalf("guit: total %d facets %+v, want 4 in music", page.Total, page.Facets)
		}
		if got := searchSkills(t, b, fx, skillQuery{Text: "guit", CategoryID: ptr(fx.cats["cooking"])}); len(got) != 0 {
			t.Fatalf("guit in cooking found %v", got)
		}
		if got := searchSkills(t, b, fx, skillQuery{Text: "guit", CategoryID: ptr(fx.cats["music"])}); len(got) != 4 {
			t.Fatalf("guit in music found %v", got)
		}
	})
}

func skillPagination(t *testing.T, b search.Backend, fx *fixture) {
	for _, text := range []string{"guit", "guitar", "p"} {
		all := searchSkills(t, b, fx, skillQuery{Text: text, First: 100})
		if len(all) < 2 {
			t.Fatalf("%q found only %v", text, all)
		}
		for _, first := range []int{1, 3} {
			var paged []string
			var after *string
			for i := 0; ; i++ {
				page, err := searchSkillsPage(t.Context(), b, skillQuery{Text: text, First: first, After: after})
				if err != nil {
					t.Fatal(err)
				}
				if page.Total != len(all) {
					t.Fatalf("%q page %d: total %d, want %d", text, i, page.Total, len(all))
				}
				paged = append(paged, fx.skillSlugs(page.Hits)...)
				if !page.HasNextPage {
					break
				}
				if i > 10 || page.EndCursor == nil {
					t.Fatal("pagination does not end")
				}
				after = page.EndCursor
			}
			if !slices.Equal(paged, all) {
				t.Fatalf("%q by %d gave %v, one page gave %v", text, first, paged, all)
			}
		}
	}
}

func validationCases(t *testing.T, b search.Backend, fx *fixture) {
	ctx := t.Context()
	bad := ptr("not-a-cursor")
	skillCases := []struct {
		q     skillQuery
		field string
	}{
		{skillQuery{Text: "  "}, "text"},
		{skillQuery{Text: strings.Repeat("a", 101)}, "text"},
		{skillQuery{Text: "a", First: 101}, "first"},
		{skillQuery{Text: "a", First: -1}, "first"},
		{skillQuery{Text: "a", After: bad}, "after"},
		{skillQuery{Text: "a", Locale: "DE"}, "locale"},
	}
	for _, c := range skillCases {
		_, err := searchSkillsPage(ctx, b, c.q)
		assertInvalid(t, err, c.field)
	}
	memberCases := []struct {
		q     memberQuery
		field string
	}{
		{memberQuery{First: 101}, "first"},
		{memberQuery{After: bad}, "after"},
		{memberQuery{Language: ptr("xx")}, "language"},
		{memberQuery{Mode: ptr(domain.Mode("TELEPATHY"))}, "mode"},
		{memberQuery{MinLevel: ptr(domain.Level("GURU"))}, "minLevel"},
		{memberQuery{Kind: ptr(domain.SkillKind("STEAL"))}, "kind"},
		{memberQuery{Near: &search.GeoFilter{Latitude: 91, RadiusKm: 1}}, "near.latitude"},
		{memberQuery{Near: &search.GeoFilter{Longitude: 181, RadiusKm: 1}}, "near.longitude"},
		{memberQuery{Near: &search.GeoFilter{RadiusKm: 0}}, "near.radiusKm"},
		{memberQuery{Near: &search.GeoFilter{RadiusKm: 501}}, "near.radiusKm"},
		{memberQuery{Text: strings.Repeat("é", 101)}, "text"},
	}
	for _, c := range memberCases {
		c.q.ViewerID = fx.viewer
		_, err := searchMembersPage(ctx, b, c.q)
		assertInvalid(t, err, c.field)
	}
	// A cursor of one list is refused by the other.
	page, err := searchSkillsPage(ctx, b, skillQuery{Text: "a", First: 1})
	if err != nil || page.EndCursor == nil {
		t.Fatalf("skills page: %v", err)
	}
	_, err = searchMembersPage(ctx, b, memberQuery{ViewerID: fx.viewer, After: page.EndCursor})
	assertInvalid(t, err, "after")
	// Empty text and no filter is a valid member search.
	if _, err := searchMembersPage(ctx, b, memberQuery{ViewerID: fx.viewer}); err != nil {
		t.Fatal(err)
	}
}

func assertInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindInvalid || de.Field != field {
		t.Errorf("error %v, want BAD_USER_INPUT on %s", err, field)
	}
}

// members runs a member query and returns the fixture keys of the hits in order.
func (fx *fixture) find(t *testing.T, b search.Backend, q memberQuery) (memberPage, []string) {
	t.Helper()
	if q.ViewerID == uuid.Nil {
		q.ViewerID = fx.viewer // signed-out searches call the backend directly
	}
	page, err := searchMembersPage(t.Context(), b, q)
	if err != nil {
		t.Fatalf("SearchMembers(%+v): %v", q, err)
	}
	var keys []string
	for _, h := range page.Hits {
		keys = append(keys, fx.names[h.UserID])
	}
	return page, keys
}

func (fx *fixture) memberSet(t *testing.T, b search.Backend, q memberQuery) []string {
	t.Helper()
	q.First = 100
	if q.ViewerID == uuid.Nil {
		q.ViewerID = fx.viewer
	}
	page, keys := fx.find(t, b, q)
	if page.HasNextPage || page.Total != len(keys) {
		t.Fatalf("query %+v: %d hits, total %d, next page %v", q, len(keys), page.Total, page.HasNextPage)
	}
	slices.Sort(keys)
	return keys
}

func pianists(extra ...string) []string {
	out := slices.Clone(extra)
	for i := range 23 {
		out = append(out, fmt.Sprintf("pianist%02d", i))
	}
	slices.Sort(out)
	return out
}

func memberFilterCases(t *testing.T, b search.Backend, fx *fixture) {
	music, cooking := fx.cats["music"], fx.cats["cooking"]
	cases := []struct {
		name string
		q    memberQuery
		want []string
	}{
		{"skill", memberQuery{SkillID: ptr(fx.skills["guitar"])}, []string{"alice"}},
		{"wanted skill", memberQuery{SkillID: ptr(fx.skills["guitar"]), Kind: ptr(domain.Want)}, []string{"bob"}},
		{"skill and minimum level", memberQuery{SkillID: ptr(fx.skills["spanish"]), MinLevel: ptr(domain.LevelIntermediate)}, []string{"elodie"}},
		{"skill below the level", memberQuery{SkillID: ptr(fx.skills["spanish"]), MinLevel: ptr(domain.LevelExpert)}, nil},
		{"category", memberQuery{CategoryID: ptr(music)}, pianists("alice", "bob", "priya")},
		{"category and level", memberQuery{CategoryID: ptr(music), MinLevel: ptr(domain.LevelAdvanced)}, []string{"alice"}},
		{"level alone is the best level", memberQuery{MinLevel: ptr(domain.LevelExpert)}, []string{"alice", "carol"}},
		{"wanted category", memberQuery{CategoryID: ptr(cooking), Kind: ptr(domain.Want)}, []string{"alice"}},
		{"language", memberQuery{Language: ptr("en")}, []string{"alice", "bob", "priya"}},
		{"language in capitals", memberQuery{Language: ptr("HI")}, []string{"priya"}},
		{"mode ONLINE matches ONLINE and BOTH", memberQuery{Mode: ptr(domain.ModeOnline)}, pianists("alice", "carol", "elodie", "hugo", "priya")},
		{"mode IN_PERSON matches IN_PERSON and BOTH", memberQuery{Mode: ptr(domain.ModeInPerson)}, []string{"bob", "carol", "hugo"}},
		{"mode BOTH", memberQuery{Mode: ptr(domain.ModeBoth)}, []string{"carol", "hugo"}},
		{"two filters", memberQuery{CategoryID: ptr(music), Language: ptr("en")}, []string{"alice", "bob", "priya"}},
		{"three filters", memberQuery{CategoryID: ptr(music), Language: ptr("en"), Mode: ptr(domain.ModeOnline)}, []string{"alice", "priya"}},
		{"no filter", memberQuery{}, pianists("alice", "bob", "carol", "elodie", "hugo", "priya")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fx.memberSet(t, b, c.q)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

func memberTextCases(t *testing.T, b search.Backend, fx *fixture) {
	cases := []struct {
		name string
		q    memberQuery
		want []string // in order
	}{
		{"skill name, best match first", memberQuery{Text: "guitar"}, []string{"alice", "bob"}},
		{"skill name with a typo", memberQuery{Text: "guittar"}, []string{"alice", "bob"}},
		{"French skill name", memberQuery{Text: "boulangerie"}, []string{"carol"}},
		{"wanted skill by French prefix", memberQuery{Text: "pâtis", Kind: ptr(domain.Want)}, []string{"alice"}},
		{"display name without accents", memberQuery{Text: "elodie"}, []string{"elodie"}},
		{"display name prefix", memberQuery{Text: "tana"}, []string{"carol"}},
		{"text and filter", memberQuery{Text: "guitar", Mode: ptr(domain.ModeInPerson)}, []string{"bob"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page, got := fx.find(t, b, c.q)
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := 1; i < len(page.Hits); i++ {
				if page.Hits[i].Score > page.Hits[i-1].Score {
					t.Fatalf("hits not by score: %+v", page.Hits)
				}
			}
		})
	}
	_, got := fx.find(t, b, memberQuery{Text: "guitar"})
	if len(got) == 2 {
		page, _ := fx.find(t, b, memberQuery{Text: "guitar"})
		if page.Hits[0].Score <= page.Hits[1].Score {
			t.Errorf("offering Guitar must score above offering Electric guitar: %+v", page.Hits)
		}
	}
}

func availabilityCases(t *testing.T, b search.Backend, fx *fixture) {
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	cases := []struct {
		name, instant string
		want          []string
	}{
		// Alice: Mondays 18:00-20:00 Europe/Paris; EU summer time starts Sunday 2026-03-29.
		// Bob: Mondays 12:00-14:00 America/New_York; US summer time started Sunday 2026-03-08.
		{"Paris 18:30 CET, New York 13:30 EDT", "2026-03-23T17:30:00Z", []string{"alice", "bob"}},
		{"Paris 19:30 CET, New York 14:30 EDT", "2026-03-23T18:30:00Z", []string{"alice"}},
		{"Paris 20:30 CET, New York 15:30 EDT", "2026-03-23T19:30:00Z", nil},
		{"Paris 17:30 CET, New York 12:30 EDT", "2026-03-23T16:30:00Z", []string{"bob"}},
		{"Paris 18:30 CEST, New York 12:30 EDT", "2026-03-30T16:30:00Z", []string{"alice", "bob"}},
		{"Paris 19:30 CEST, New York 13:30 EDT", "2026-03-30T17:30:00Z", []string{"alice", "bob"}},
		{"Paris 20:30 CEST, New York 14:30 EDT", "2026-03-30T18:30:00Z", nil},
		{"end of a slot is exclusive: Paris 20:00 CEST", "2026-03-30T18:00:00Z", nil},
		{"start of a slot is inclusive: Paris 18:00 CEST, New York 12:00 EDT", "2026-03-30T16:00:00Z", []string{"alice", "bob"}},
		{"Paris 16:30 CEST is out", "2026-03-30T14:30:00Z", nil},
		{"before New York's change: 13:30 EST, Paris 19:30 CET", "2026-03-02T18:30:00Z", []string{"alice", "bob"}},
		{"before New York's change: 11:30 EST", "2026-03-02T16:30:00Z", nil},
		{"after New York's change: 14:30 EDT, Paris 19:30 CET", "2026-03-09T18:30:00Z", []string{"alice"}},
		{"after Paris's autumn change (Oct 25), before New York's (Nov 1): 18:30 CET, 13:30 EDT", "2026-10-26T17:30:00Z", []string{"alice", "bob"}},
		{"after Paris's autumn change: 17:30 CET, 12:30 EDT", "2026-10-26T16:30:00Z", []string{"bob"}},
		{"after both autumn changes: 18:30 CET, 12:30 EST", "2026-11-02T17:30:00Z", []string{"alice", "bob"}},
		{"after both autumn changes: 19:30 CET, 14:30 EST", "2026-11-02T19:30:00Z", nil},
		// Carol: Sunday 23:00-24:00 and Monday 00:00-01:00 Asia/Tokyo (UTC+9): across the week boundary.
		{"Tokyo Sunday 23:30", "2026-03-22T14:30:00Z", []string{"carol"}},
		{"Tokyo Monday 00:30", "2026-03-22T15:30:00Z", []string{"carol"}},
		{"Tokyo Monday 01:30", "2026-03-22T16:30:00Z", nil},
		// Priya: Mondays 09:15-09:45 Asia/Kolkata (UTC+5:30): minute precision, half-hour offset.
		{"Kolkata 09:20", "2026-03-23T03:50:00Z", []string{"priya"}},
		{"Kolkata 09:14", "2026-03-23T03:44:00Z", nil},
		{"Kolkata 09:44", "2026-03-23T04:14:00Z", []string{"priya"}},
		{"Kolkata 09:45", "2026-03-23T04:15:00Z", nil},
		// Élodie: Saturdays 10:07-12:53 Europe/Paris (odd minutes).
		{"Paris Saturday 10:07", "2026-03-28T09:07:00Z", []string{"elodie"}},
		{"Paris Saturday 10:06", "2026-03-28T09:06:00Z", nil},
		{"Paris Saturday 12:52 summer", "2026-04-04T10:52:00Z", []string{"elodie"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := memberQuery{AvailableAt: at(c.instant)}
			got := fx.memberSet(t, b, q)
			got = slices.DeleteFunc(got, func(k string) bool { return strings.HasPrefix(k, "pianist") })
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("available at %s: got %v, want %v", c.instant, got, want)
			}
			oracle, _ := fx.expectedMembers(memberQuery{ViewerID: fx.viewer, AvailableAt: q.AvailableAt})
			if all := fx.memberSet(t, b, q); !slices.Equal(all, oracle) {
				t.Fatalf("available at %s: got %v, oracle %v", c.instant, all, oracle)
			}
		})
	}
}

func distanceCases(t *testing.T, b search.Backend, fx *fixture) {
	page, got := fx.find(t, b, memberQuery{Near: &search.GeoFilter{Latitude: parisLat, Longitude: parisLon, RadiusKm: 20}})
	if !slices.Equal(got, []string{"priya", "alice"}) {
		t.Fatalf("within 20 km: %v, want priya (1 km) then alice (5 km); bob (50 km) out", got)
	}
	// Indexed coordinates are snapped to 0.01° (privacy), so distances are about 1 km precise.
	for i, want := range []float64{1, 5} {
		if d := page.Hits[i].DistanceKm; d == nil || math.Abs(*d-want) > 0.8 {
			t.Errorf("%s distance %v, want %.0f km", got[i], d, want)
		}
	}
	_, got = fx.find(t, b, memberQuery{Near: &search.GeoFilter{Latitude: parisLat, Longitude: parisLon, RadiusKm: 60}})
	if !slices.Equal(got, []string{"priya", "alice", "bob"}) {
		t.Fatalf("within 60 km: %v", got)
	}
	_, got = fx.find(t, b, memberQuery{Near: &search.GeoFilter{Latitude: parisLat, Longitude: parisLon, RadiusKm: 60}, Text: "guitar"})
	if !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("guitar within 60 km: %v", got)
	}
	_, got = fx.find(t, b, memberQuery{Near: &search.GeoFilter{Latitude: -33.87, Longitude: 151.21, RadiusKm: 500}})
	if len(got) != 0 {
		t.Fatalf("near Sydney: %v", got)
	}
}

func facetCases(t *testing.T, b search.Backend, fx *fixture) {
	page, _ := fx.find(t, b, memberQuery{Language: ptr("fr")}) // alice, carol, elodie
	music, cooking, languages := fx.cats["music"].String(), fx.cats["cooking"].String(), fx.cats["languages"].String()
	want := map[string][]search.Facet{
		search.FacetLanguage: {{"fr", 3}, {"en", 1}, {"es", 1}},
		search.FacetMode:     {{"ONLINE", 3}, {"IN_PERSON", 1}, {"BOTH", 1}},
		search.FacetLevel:    {{"BEGINNER", 3}, {"INTERMEDIATE", 3}, {"ADVANCED", 2}, {"EXPERT", 2}},
		search.FacetCategory: sortedFacets([]search.Facet{{languages, 2}, {music, 1}, {cooking, 1}}),
	}
	if page.Total != 3 {
		t.Errorf("total %d, want 3", page.Total)
	}
	for name, w := range want {
		got := page.Facets[name]
		if name == search.FacetCategory {
			got = sortedFacets(got)
		}
		if !slices.Equal(got, w) {
			t.Errorf("facet %s = %v, want %v", name, got, w)
		}
	}
	// Level facet of one skill; category facet from a minimum level.
	page, _ = fx.find(t, b, memberQuery{SkillID: ptr(fx.skills["spanish"])}) // alice (BEGINNER), elodie (INTERMEDIATE)
	if got := page.Facets[search.FacetLevel]; !slices.Equal(got, []search.Facet{{"BEGINNER", 2}, {"INTERMEDIATE", 1}}) {
		t.Errorf("level facet of spanish = %v", got)
	}
	page, _ = fx.find(t, b, memberQuery{MinLevel: ptr(domain.LevelAdvanced)}) // alice (guitar 4), carol (pastry 3, bread 4)
	if got := sortedFacets(page.Facets[search.FacetCategory]); !slices.Equal(got, sortedFacets([]search.Facet{{music, 1}, {cooking, 1}})) {
		t.Errorf("category facet from ADVANCED = %v", got)
	}
	// NoFacets still counts.
	page, _ = fx.find(t, b, memberQuery{Language: ptr("fr"), NoFacets: true})
	if page.Total != 3 || page.Facets != nil {
		t.Errorf("NoFacets: total %d facets %v", page.Total, page.Facets)
	}
}

func sortedFacets(list []search.Facet) []search.Facet {
	out := slices.Clone(list)
	slices.SortFunc(out, func(a, b search.Facet) int { return compareStrings(a.Value, b.Value) })
	return out
}

func exclusionCases(t *testing.T, b search.Backend, fx *fixture) {
	all := fx.memberSet(t, b, memberQuery{})
	for _, never := range []string{"vera", "dan", "erin", "frank", "gina"} {
		if slices.Contains(all, never) {
			t.Errorf("%s appears in vera's results", never)
		}
	}
	// Blocks hide the two members from each other only.
	frankSees := fx.memberSet(t, b, memberQuery{ViewerID: fx.members["frank"]})
	if slices.Contains(frankSees, "vera") || !slices.Contains(frankSees, "gina") || !slices.Contains(frankSees, "alice") {
		t.Errorf("frank sees %v: want alice and gina, not vera (who blocked him)", frankSees)
	}
	ginaSees := fx.memberSet(t, b, memberQuery{ViewerID: fx.members["gina"], SkillID: ptr(fx.skills["guitar"])})
	if !slices.Equal(ginaSees, []string{"alice", "frank"}) {
		t.Errorf("gina sees guitar players %v, want alice and frank", ginaSees)
	}
	// Signed-out visitors only see public profiles.
	page, err := searchMembersPage(t.Context(), b, memberQuery{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	var anon []string
	for _, h := range page.Hits {
		anon = append(anon, fx.names[h.UserID])
	}
	slices.Sort(anon)
	if !slices.Equal(anon, []string{"alice", "priya"}) {
		t.Errorf("signed-out visitor sees %v, want the public profiles alice and priya", anon)
	}
}

// paginate collects every hit of q page by page and checks each page.
func (fx *fixture) paginate(t *testing.T, b search.Backend, q memberQuery, first int) []string {
	t.Helper()
	var out []string
	q.First, q.After = first, nil
	total := -1
	for i := 0; ; i++ {
		page, keys := fx.find(t, b, q)
		if total == -1 {
			total = page.Total
		} else if page.Total != total {
			t.Fatalf("total changed from %d to %d", total, page.Total)
		}
		if len(keys) > first || (page.HasNextPage && len(keys) != first) {
			t.Fatalf("page %d has %d hits (first %d, next %v)", i, len(keys), first, page.HasNextPage)
		}
		out = append(out, keys...)
		if !page.HasNextPage {
			break
		}
		if i > 50 {
			t.Fatal("pagination does not end")
		}
		q.After = page.EndCursor
	}
	if len(out) != total {
		t.Fatalf("pages returned %d hits, total %d", len(out), total)
	}
	return out
}

func memberPagination(t *testing.T, b search.Backend, fx *fixture) {
	queries := map[string]memberQuery{
		"no text (ties everywhere)": {},
		"text with equal scores":    {Text: "piano"},
		"by distance":               {Near: &search.GeoFilter{Latitude: parisLat, Longitude: parisLon, RadiusKm: 100}},
		"filter":                    {CategoryID: ptr(fx.cats["music"])},
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			q.ViewerID = fx.viewer
			for _, first := range []int{1, 4, 7} {
				paged := fx.paginate(t, b, q, first)
				seen := map[string]bool{}
				for _, k := range paged {
					if seen[k] {
						t.Fatalf("first=%d: %s returned twice in %v", first, k, paged)
					}
					seen[k] = true
				}
				want := fx.memberSet(t, b, q)
				got := slices.Clone(paged)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("first=%d: pages gave %v, want %v", first, got, want)
				}
				_, one := fx.find(t, b, memberQuery{ViewerID: q.ViewerID, Text: q.Text, CategoryID: q.CategoryID, Near: q.Near, First: 100})
				if !slices.Equal(paged, one) {
					t.Fatalf("first=%d: order differs from one page:\n%v\n%v", first, paged, one)
				}
			}
		})
	}
}

func oracleCases(t *testing.T, b search.Backend, fx *fixture) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(n int) int { return rng.IntN(n) }
	skills := []*uuid.UUID{nil, nil, ptr(fx.skills["guitar"]), ptr(fx.skills["piano"]), ptr(fx.skills["pastry"]), ptr(fx.skills["spanish"])}
	cats := []*uuid.UUID{nil, nil, ptr(fx.cats["music"]), ptr(fx.cats["cooking"]), ptr(fx.cats["languages"])}
	levels := []*domain.Level{nil, nil, ptr(domain.LevelBeginner), ptr(domain.LevelIntermediate), ptr(domain.LevelAdvanced), ptr(domain.LevelExpert)}
	kinds := []*domain.SkillKind{nil, nil, ptr(domain.Want)}
	langs := []*string{nil, nil, ptr("fr"), ptr("en"), ptr("de")}
	modes := []*domain.Mode{nil, nil, ptr(domain.ModeOnline), ptr(domain.ModeInPerson), ptr(domain.ModeBoth)}
	nears := []*search.GeoFilter{nil, nil, {Latitude: parisLat, Longitude: parisLon, RadiusKm: 3}, {Latitude: parisLat, Longitude: parisLon, RadiusKm: 20}, {Latitude: parisLat, Longitude: parisLon, RadiusKm: 200}}
	instants := []*time.Time{nil, nil, ptr(time.Date(2026, 3, 30, 17, 0, 0, 0, time.UTC)), ptr(time.Date(2026, 3, 23, 8, 30, 0, 0, time.UTC)), ptr(time.Date(2026, 10, 26, 7, 45, 0, 0, time.UTC))}
	viewers := []uuid.UUID{fx.viewer, fx.viewer, fx.members["frank"], uuid.Nil}
	for i := range 150 {
		q := memberQuery{
			ViewerID: viewers[pick(len(viewers))], SkillID: skills[pick(len(skills))], CategoryID: cats[pick(len(cats))],
			MinLevel: levels[pick(len(levels))], Kind: kinds[pick(len(kinds))], Language: langs[pick(len(langs))],
			Mode: modes[pick(len(modes))], Near: nears[pick(len(nears))], AvailableAt: instants[pick(len(instants))], First: 100,
		}
		want, facets := fx.expectedMembers(q)
		page, err := searchMembersPage(t.Context(), b, q)
		if err != nil {
			t.Fatalf("query %d %s: %v", i, describe(q), err)
		}
		var got []string
		for _, h := range page.Hits {
			got = append(got, fx.names[h.UserID])
		}
		slices.Sort(got)
		if !slices.Equal(got, want) || page.Total != len(want) {
			t.Fatalf("query %d %s:\n got %v (total %d)\nwant %v", i, describe(q), got, page.Total, want)
		}
		for name, w := range facets {
			if g := sortedFacets(page.Facets[name]); !slices.Equal(g, w) {
				t.Fatalf("query %d %s: facet %s = %v, want %v", i, describe(q), name, g, w)
			}
		}
	}
}

func describe(q memberQuery) string {
	var parts []string
	add := func(name string, v any) { parts = append(parts, fmt.Sprintf("%s=%v", name, v)) }
	if q.SkillID != nil {
		add("skill", *q.SkillID)
	}
	if q.CategoryID != nil {
		add("category", *q.CategoryID)
	}
	if q.MinLevel != nil {
		add("minLevel", *q.MinLevel)
	}
	if q.Kind != nil {
		add("kind", *q.Kind)
	}
	if q.Language != nil {
		add("language", *q.Language)
	}
	if q.Mode != nil {
		add("mode", *q.Mode)
	}
	if q.Near != nil {
		add("near", *q.Near)
	}
	if q.AvailableAt != nil {
		add("availableAt", q.AvailableAt.Format(time.RFC3339))
	}
	add("viewer", q.ViewerID)
	return "{" + strings.Join(parts, " ") + "}"
}

// ---- index sync through River jobs ----

// runJobs works every queued job with a River client of the search workers, and fails the test
// when a job does not complete.
func runJobs(t *testing.T, b search.Backend, fx *fixture) {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &search.ReindexMemberWorker{Store: fx.st, Backend: b})
	river.AddWorker(workers, &search.ReindexSkillWorker{Backend: b})
	client, err := river.NewClient(riverpgxv5.New(fx.pool), &river.Config{
		Logger:            slog.New(slog.DiscardHandler),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:           workers,
		FetchPollInterval: 50 * time.Millisecond,
		FetchCooldown:     10 * time.Millisecond,
		TestOnly:          true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(stopCtx)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var pending, failed int
		err := fx.pool.QueryRow(ctx, `
			SELECT count(*) FILTER (WHERE state IN ('available', 'running', 'scheduled', 'pending')),
			       count(*) FILTER (WHERE state IN ('retryable', 'discarded'))
			FROM river_job WHERE kind IN ('reindex_member', 'reindex_skill')`).Scan(&pending, &failed)
		if err != nil {
			t.Fatal(err)
		}
		if failed > 0 {
			var errs string
			_ = fx.pool.QueryRow(ctx, `SELECT coalesce(string_agg(errors::text, '; '), '') FROM river_job WHERE state IN ('retryable', 'discarded')`).Scan(&errs)
			t.Fatalf("%d reindex jobs failed: %s", failed, errs)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reindex jobs still pending", pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (fx *fixture) queuedJobs(t *testing.T, userID uuid.UUID) int {
	t.Helper()
	var n int
	err := fx.pool.QueryRow(t.Context(), `
		SELECT count(*) FROM river_job WHERE kind = 'reindex_member' AND args->>'user_id' = $1 AND state = 'available'`,
		userID.String()).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func syncCases(t *testing.T, b search.Backend, fx *fixture) {
	ctx := t.Context()
	var queue search.Queue
	alice, bob, carol, priya := fx.members["alice"], fx.members["bob"], fx.members["carol"], fx.members["priya"]
	speaks := func(lang string) []string { return fx.memberSet(t, b, memberQuery{Language: ptr(lang)}) }

	t.Run("profile change", func(t *testing.T) {
		err := fx.st.InTx(ctx, func(q *store.Queries) error {
			profs, err := q.ProfilesByUserIDs(ctx, []uuid.UUID{alice})
			if err != nil {
				return err
			}
			p := profs[alice]
			p.Languages = append(p.Languages, "it")
			if _, err := q.UpsertProfile(ctx, p); err != nil {
				return err
			}
			return queue.QueueReindex(ctx, q, alice)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := fx.queuedJobs(t, alice); n != 1 {
			t.Fatalf("%d jobs queued for alice, want 1", n)
		}
		runJobs(t, b, fx)
		if got := speaks("it"); !slices.Equal(got, []string{"alice"}) {
			t.Fatalf("after the job, Italian speakers are %v", got)
		}
	})

	t.Run("skill change", func(t *testing.T) {
		if got := fx.memberSet(t, b, memberQuery{SkillID: ptr(fx.skills["bread"])}); slices.Contains(got, "bob") {
			t.Fatal("bob already offers bread")
		}
		err := fx.st.InTx(ctx, func(q *store.Queries) error {
			if _, err := q.InsertMemberSkill(ctx, domain.MemberSkill{UserID: bob, SkillID: fx.skills["bread"], Kind: domain.Offer, Level: domain.LevelExpert, CreatedAt: time.Now()}); err != nil {
				return err
			}
			return queue.QueueReindex(ctx, q, bob)
		})
		if err != nil {
			t.Fatal(err)
		}
		runJobs(t, b, fx)
		if got := fx.memberSet(t, b, memberQuery{SkillID: ptr(fx.skills["bread"]), MinLevel: ptr(domain.LevelExpert)}); !slices.Equal(got, []string{"bob", "carol"}) {
			t.Fatalf("expert bakers after the job: %v", got)
		}
		if _, got := fx.find(t, b, memberQuery{Text: "sourdough"}); !slices.Contains(got, "bob") {
			t.Fatalf("text search for the new skill's synonym: %v", got)
		}
	})

	t.Run("rolled-back change leaves no job", func(t *testing.T) {
		boom := errors.New("boom")
		err := fx.st.InTx(ctx, func(q *store.Queries) error {
			if _, err := q.InsertMemberSkill(ctx, domain.MemberSkill{UserID: carol, SkillID: fx.skills["guitar"], Kind: domain.Offer, Level: domain.LevelExpert, CreatedAt: time.Now()}); err != nil {
				return err
			}
			if err := queue.QueueReindex(ctx, q, carol); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx: %v", err)
		}
		var jobsFor, requests int
		if err := fx.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE args->>'user_id' = $1`, carol.String()).Scan(&jobsFor); err != nil {
			t.Fatal(err)
		}
		if err := fx.pool.QueryRow(ctx, `SELECT count(*) FROM search_reindex_requests WHERE user_id = $1`, carol).Scan(&requests); err != nil {
			t.Fatal(err)
		}
		if jobsFor != 0 || requests != 0 {
			t.Fatalf("rolled-back change left %d jobs and %d requests", jobsFor, requests)
		}
		if err := queue.QueueReindex(ctx, fx.st.Q(), carol); err == nil {
			t.Fatal("QueueReindex outside a transaction must fail")
		}
	})

	t.Run("one pending job per member", func(t *testing.T) {
		for _, lang := range []string{"pt", "nl", "sv"} {
			err := fx.st.InTx(ctx, func(q *store.Queries) error {
				profs, err := q.ProfilesByUserIDs(ctx, []uuid.UUID{carol})
				if err != nil {
					return err
				}
				p := profs[carol]
				p.Languages = append(p.Languages, lang)
				if _, err := q.UpsertProfile(ctx, p); err != nil {
					return err
				}
				return queue.QueueReindex(ctx, q, carol)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := fx.queuedJobs(t, carol); n != 1 {
			t.Fatalf("three changes queued %d jobs, want 1", n)
		}
		runJobs(t, b, fx)
		for _, lang := range []string{"pt", "nl", "sv"} {
			if got := speaks(lang); !slices.Equal(got, []string{"carol"}) {
				t.Fatalf("speakers of %s after the job: %v", lang, got)
			}
		}
		// The request was consumed: the next change queues a new job (one, even when a transaction
		// reports its change twice).
		err := fx.st.InTx(ctx, func(q *store.Queries) error {
			if err := queue.QueueReindex(ctx, q, carol); err != nil {
				return err
			}
			return queue.QueueReindex(ctx, q, carol)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := fx.queuedJobs(t, carol); n != 1 {
			t.Fatalf("a change after the job queued %d jobs, want 1", n)
		}
		// A job lost while its request is pending: after ten minutes the next change re-enqueues.
		if err := execOn(ctx, fx, `DELETE FROM river_job WHERE kind = 'reindex_member'`); err != nil {
			t.Fatal(err)
		}
		if err := fx.st.InTx(ctx, func(q *store.Queries) error { return queue.QueueReindex(ctx, q, carol) }); err != nil {
			t.Fatal(err)
		}
		if n := fx.queuedJobs(t, carol); n != 0 {
			t.Fatalf("a fresh pending request must not queue a second job (%d)", n)
		}
		if err := execOn(ctx, fx, `UPDATE search_reindex_requests SET requested_at = now() - interval '11 minutes'`); err != nil {
			t.Fatal(err)
		}
		if err := fx.st.InTx(ctx, func(q *store.Queries) error { return queue.QueueReindex(ctx, q, carol) }); err != nil {
			t.Fatal(err)
		}
		if n := fx.queuedJobs(t, carol); n != 1 {
			t.Fatalf("a stale request queued %d jobs, want 1", n)
		}
		runJobs(t, b, fx)
	})

	t.Run("suspension and hiding", func(t *testing.T) {
		// No store method changes an account status yet (moderation will): plain SQL, then the job.
		if err := execOn(ctx, fx, `UPDATE users SET status = 'SUSPENDED' WHERE id = $1`, priya); err != nil {
			t.Fatal(err)
		}
		if err := fx.st.InTx(ctx, func(q *store.Queries) error { return queue.QueueReindex(ctx, q, priya) }); err != nil {
			t.Fatal(err)
		}
		// The page never shows a suspended member, even before the job ran.
		if _, got := fx.find(t, b, memberQuery{SkillID: ptr(fx.skills["piano"]), First: 100}); slices.Contains(got, "priya") {
			t.Fatal("a suspended member is shown before the reindex job ran")
		}
		runJobs(t, b, fx)
		if got := fx.memberSet(t, b, memberQuery{Language: ptr("hi")}); len(got) != 0 {
			t.Fatalf("suspended priya still found: %v", got)
		}
		// Hiding alice's profile.
		err := fx.st.InTx(ctx, func(q *store.Queries) error {
			profs, err := q.ProfilesByUserIDs(ctx, []uuid.UUID{alice})
			if err != nil {
				return err
			}
			p := profs[alice]
			p.Visibility = domain.VisibilityHidden
			if _, err := q.UpsertProfile(ctx, p); err != nil {
				return err
			}
			return queue.QueueReindex(ctx, q, alice)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, got := fx.find(t, b, memberQuery{Language: ptr("it"), First: 100}); slices.Contains(got, "alice") {
			t.Fatal("a hidden profile is shown before the reindex job ran")
		}
		runJobs(t, b, fx)
		if got := speaks("it"); len(got) != 0 {
			t.Fatalf("hidden alice still found: %v", got)
		}
	})

	t.Run("skill reindex", func(t *testing.T) {
		// Moving a skill to another category changes its members' category.
		if err := execOn(ctx, fx, `UPDATE skills SET category_id = $1 WHERE id = $2`, fx.cats["languages"], fx.skills["bread"]); err != nil {
			t.Fatal(err)
		}
		if err := fx.st.InTx(ctx, func(q *store.Queries) error { return queue.QueueSkillReindex(ctx, q, fx.skills["bread"]) }); err != nil {
			t.Fatal(err)
		}
		runJobs(t, b, fx)
		got := fx.memberSet(t, b, memberQuery{CategoryID: ptr(fx.cats["languages"]), MinLevel: ptr(domain.LevelExpert)})
		if !slices.Equal(got, []string{"bob", "carol"}) {
			t.Fatalf("expert members in languages after moving bread there: %v", got)
		}
		if hits := searchSkills(t, b, fx, skillQuery{Text: "bread", CategoryID: ptr(fx.cats["languages"])}); !slices.Equal(hits, []string{"bread"}) {
			t.Fatalf("bread in its new category: %v", hits)
		}
	})
}

// execOn runs SQL that no store method offers yet.
func execOn(ctx context.Context, fx *fixture, sql string, args ...any) error {
	_, err := fx.pool.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}
