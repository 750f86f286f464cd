package search_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/search"
	"github.com/skillswap/skillswap/store"
)

// The fixture: a small taxonomy of its own (the seeded one is deleted first, so counts are exact)
// and members around Paris, described as data so that an oracle (below) can compute what any query
// must return.

type catSpec struct{ slug, en, fr string }

var catSpecs = []catSpec{
	{"music", "Music", "Musique"},
	{"cooking", "Cooking", "Cuisine"},
	{"languages", "Languages", "Langues"},
}

type skillSpec struct {
	slug, cat, en, fr string
	synonyms          []string
	status            domain.SkillStatus
}

var skillSpecs = []skillSpec{
	{"guitar", "music", "Guitar", "Guitare", []string{"acoustic guitar", "guitare acoustique"}, domain.SkillApproved},
	{"electric-guitar", "music", "Electric guitar", "Guitare électrique", []string{"e-guitar"}, domain.SkillApproved},
	{"bass-guitar", "music", "Bass guitar", "Guitare basse", nil, domain.SkillApproved},
	{"classical-guitar", "music", "Classical guitar", "Guitare classique", []string{"spanish guitar", "guitare espagnole"}, domain.SkillApproved},
	{"piano", "music", "Piano", "Piano", []string{"keyboard", "clavier"}, domain.SkillApproved},
	{"ukulele", "music", "Ukulele", "Ukulélé", nil, domain.SkillPending},
	{"pastry", "cooking", "Pastry", "Pâtisserie", []string{"baking", "desserts"}, domain.SkillApproved},
	{"bread", "cooking", "Bread making", "Boulangerie", []string{"sourdough", "levain"}, domain.SkillApproved},
	{"spanish", "languages", "Spanish", "Espagnol", []string{"castellano", "español"}, domain.SkillApproved},
}

type memberSkill struct {
	skill string
	kind  domain.SkillKind
	level domain.Level
}

type memberSpec struct {
	key, name  string
	skills     []memberSkill
	langs      []string
	mode       domain.Mode
	at         *[2]float64
	tz         string
	slots      []domain.AvailabilitySlot
	visibility domain.Visibility
	suspended  bool
	noProfile  bool
}

const parisLat, parisLon = 48.8566, 2.3522

// northOfParis is a point km kilometres due north of Paris (on earthdistance's sphere).
func northOfParis(km float64) *[2]float64 {
	return &[2]float64{parisLat + km/earthRadiusKm*180/math.Pi, parisLon}
}

func offer(skill string, l domain.Level) memberSkill { return memberSkill{skill, domain.Offer, l} }
func want(skill string, l domain.Level) memberSkill  { return memberSkill{skill, domain.Want, l} }

func slot(day, fromH, fromM, toH, toM int) domain.AvailabilitySlot {
	return domain.AvailabilitySlot{Weekday: day, StartMinute: fromH*60 + fromM, EndMinute: toH*60 + toM}
}

func memberSpecs() []memberSpec {
	specs := []memberSpec{
		{key: "vera", name: "Vera Viewer", skills: []memberSkill{offer("guitar", domain.LevelExpert)}, langs: []string{"fr"},
			mode: domain.ModeBoth, at: northOfParis(0), tz: "Europe/Paris", visibility: domain.VisibilityMembers},
		{key: "alice", name: "Alice Martin", skills: []memberSkill{offer("guitar", domain.LevelExpert), offer("spanish", domain.LevelBeginner), want("pastry", domain.LevelIntermediate)},
			langs: []string{"fr", "en"}, mode: domain.ModeOnline, at: northOfParis(5), tz: "Europe/Paris",
			slots: []domain.AvailabilitySlot{slot(1, 18, 0, 20, 0)}, visibility: domain.VisibilityPublic},
		{key: "bob", name: "Bob Smith", skills: []memberSkill{offer("electric-guitar", domain.LevelIntermediate), want("guitar", domain.LevelBeginner)},
			langs: []string{"en"}, mode: domain.ModeInPerson, at: northOfParis(50), tz: "America/New_York",
			slots: []domain.AvailabilitySlot{slot(1, 12, 0, 14, 0)}, visibility: domain.VisibilityMembers},
		{key: "carol", name: "Carol Tanaka", skills: []memberSkill{offer("pastry", domain.LevelAdvanced), offer("bread", domain.LevelExpert)},
			langs: []string{"fr"}, mode: domain.ModeBoth, tz: "Asia/Tokyo",
			slots: []domain.AvailabilitySlot{slot(7, 23, 0, 24, 0), slot(1, 0, 0, 1, 0)}, visibility: domain.VisibilityMembers},
		{key: "dan", name: "Dan Hidden", skills: []memberSkill{offer("guitar", domain.LevelBeginner)}, langs: []string{"fr"},
			mode: domain.ModeBoth, at: northOfParis(2), tz: "Europe/Paris", slots: []domain.AvailabilitySlot{slot(1, 0, 0, 24, 0)},
			visibility: domain.VisibilityHidden},
		{key: "erin", name: "Erin Suspended", skills: []memberSkill{offer("guitar", domain.LevelAdvanced)}, langs: []string{"fr"},
			mode: domain.ModeBoth, tz: "Europe/Paris", visibility: domain.VisibilityPublic, suspended: true},
		{key: "frank", name: "Frank Blocked", skills: []memberSkill{offer("guitar", domain.LevelIntermediate)}, langs: []string{"fr"},
			mode: domain.ModeBoth, at: northOfParis(3), tz: "Europe/Paris", visibility: domain.VisibilityMembers},
		{key: "gina", name: "Gina Blocker", skills: []memberSkill{offer("guitar", domain.LevelIntermediate)}, langs: []string{"fr"},
			mode: domain.ModeBoth, at: northOfParis(3), tz: "Europe/Paris", visibility: domain.VisibilityMembers},
		{key: "hugo", name: "Hugo Nobody", noProfile: true},
		{key: "priya", name: "Priya Raman", skills: []memberSkill{offer("piano", domain.LevelBeginner)}, langs: []string{"en", "hi"},
			mode: domain.ModeOnline, at: northOfParis(1), tz: "Asia/Kolkata",
			slots: []domain.AvailabilitySlot{slot(1, 9, 15, 9, 45)}, visibility: domain.VisibilityPublic},
		{key: "elodie", name: "Élodie Dupont", skills: []memberSkill{offer("spanish", domain.LevelIntermediate)}, langs: []string{"es", "fr"},
			mode: domain.ModeOnline, tz: "Europe/Paris", slots: []domain.AvailabilitySlot{slot(6, 10, 7, 12, 53)},
			visibility: domain.VisibilityMembers},
	}
	// Enough members with identical scores to page through.
	for i := range 23 {
		specs = append(specs, memberSpec{
			key: fmt.Sprintf("pianist%02d", i), name: fmt.Sprintf("Pianist %02d", i),
			skills: []memberSkill{offer("piano", domain.LevelIntermediate)}, langs: []string{"de"},
			mode: domain.ModeOnline, tz: "Europe/Berlin", visibility: domain.VisibilityMembers,
			slots: []domain.AvailabilitySlot{slot(1+i%7, 8, 0, 9+i%5, 30)},
		})
	}
	return specs
}

type fixture struct {
	st      *store.Store
	pool    *pgxpool.Pool
	viewer  uuid.UUID
	cats    map[string]uuid.UUID
	skills  map[string]uuid.UUID
	members map[string]uuid.UUID
	names   map[uuid.UUID]string
	specs   []memberSpec
	// blocked: vera blocked frank, gina blocked vera.
	blocked map[string]bool
}

func newStore(t *testing.T, tracer pgx.QueryTracer) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	pool, err := store.OpenPool(context.Background(), testdb.New(t), store.PoolConfig{MaxConns: 8, StatementTimeout: 10 * time.Second, Tracer: tracer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	inserter, err := jobs.NewInserter(pool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return store.New(pool, inserter, slog.New(slog.DiscardHandler)), pool
}

// loadFixture fills a fresh database; nothing is indexed yet. tracer may be nil.
func loadFixture(t *testing.T, tracer pgx.QueryTracer) *fixture {
	t.Helper()
	ctx := context.Background()
	st, pool := newStore(t, tracer)
	fx := &fixture{st: st, pool: pool, cats: map[string]uuid.UUID{}, skills: map[string]uuid.UUID{},
		members: map[string]uuid.UUID{}, names: map[uuid.UUID]string{}, specs: memberSpecs(),
		blocked: map[string]bool{"frank": true, "gina": true}}
	if _, err := pool.Exec(ctx, `DELETE FROM skill_relations; DELETE FROM skills; DELETE FROM skill_categories`); err != nil {
		t.Fatal(err)
	}
	for i, c := range catSpecs {
		var id uuid.UUID
		if err := pool.QueryRow(ctx, `INSERT INTO skill_categories (slug, name_en, name_fr, position) VALUES ($1, $2, $3, $4) RETURNING id`,
			c.slug, c.en, c.fr, i).Scan(&id); err != nil {
			t.Fatal(err)
		}
		fx.cats[c.slug] = id
	}
	for _, s := range skillSpecs {
		var id uuid.UUID
		syn := s.synonyms
		if syn == nil {
			syn = []string{}
		}
		if err := pool.QueryRow(ctx, `INSERT INTO skills (slug, category_id, name_en, name_fr, synonyms, status) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			s.slug, fx.cats[s.cat], s.en, s.fr, syn, s.status).Scan(&id); err != nil {
			t.Fatal(err)
		}
		fx.skills[s.slug] = id
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := st.InTx(ctx, func(q *store.Queries) error {
		for i, m := range fx.specs {
			status := domain.UserActive
			if m.suspended {
				status = domain.UserSuspended
			}
			u, err := q.CreateUser(ctx, domain.User{
				ID: uuid.Must(uuid.NewV7()), Email: m.key + "@example.com", PasswordHash: "x", DisplayName: m.name,
				Roles: []domain.Role{domain.RoleMember}, Status: status, CreatedAt: base.Add(time.Duration(i) * time.Minute),
			})
			if err != nil {
				return err
			}
			fx.members[m.key], fx.names[u.ID] = u.ID, m.key
			if m.noProfile {
				continue
			}
			p := domain.Profile{UserID: u.ID, Languages: m.langs, TimeZone: m.tz, Mode: m.mode, Visibility: m.visibility, UpdatedAt: base}
			if m.at != nil {
				p.Latitude, p.Longitude = &m.at[0], &m.at[1]
			}
			if p.Languages == nil {
				p.Languages = []string{}
			}
			if _, err := q.UpsertProfile(ctx, p); err != nil {
				return err
			}
			slots, err := domain.NormalizeSlots("slots", m.slots)
			if err != nil {
				return err
			}
			if err := q.ReplaceSlots(ctx, u.ID, slots); err != nil {
				return err
			}
			for _, s := range m.skills {
				if _, err := q.InsertMemberSkill(ctx, domain.MemberSkill{UserID: u.ID, SkillID: fx.skills[s.skill], Kind: s.kind, Level: s.level, CreatedAt: base}); err != nil {
					return err
				}
			}
		}
		fx.viewer = fx.members["vera"]
		if err := q.Block(ctx, fx.viewer, fx.members["frank"], base); err != nil {
			return err
		}
		return q.Block(ctx, fx.members["gina"], fx.viewer, base)
	})
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *fixture) skillCategory(slug string) string {
	for _, s := range skillSpecs {
		if s.slug == slug {
			return s.cat
		}
	}
	panic("no skill " + slug)
}

// ---- oracle: what a member query must return, computed from the specs by brute force ----

const earthRadiusKm = 6378.168 // earthdistance's earth()

func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	r := math.Pi / 180
	dLat, dLon := (lat2-lat1)*r, (lon2-lon1)*r
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*r)*math.Cos(lat2*r)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

func (m memberSpec) effectiveMode() domain.Mode {
	if m.noProfile {
		return domain.ModeBoth
	}
	return m.mode
}

func (m memberSpec) effectiveVisibility() domain.Visibility {
	if m.noProfile {
		return domain.VisibilityMembers
	}
	return m.visibility
}

func (m memberSpec) availableAt(t time.Time) bool {
	tz := m.tz
	if m.noProfile || tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		panic(err)
	}
	lt := t.In(loc)
	wd := int(lt.Weekday())
	if wd == 0 {
		wd = 7
	}
	minute := lt.Hour()*60 + lt.Minute()
	for _, s := range m.slots {
		if s.Weekday == wd && s.StartMinute <= minute && minute < s.EndMinute {
			return true
		}
	}
	return false
}

// ranks returns the member's rank per skill slug and best rank per category slug, for kind.
func (fx *fixture) ranks(m memberSpec, kind domain.SkillKind) (skills, cats map[string]int, best int) {
	skills, cats = map[string]int{}, map[string]int{}
	for _, s := range m.skills {
		if s.kind != kind {
			continue
		}
		r := s.level.Rank()
		skills[s.skill] = r
		c := fx.skillCategory(s.skill)
		cats[c] = max(cats[c], r)
		best = max(best, r)
	}
	return skills, cats, best
}

// expectedMembers returns the fixture keys a query must match (any order) and its facets.
func (fx *fixture) expectedMembers(q memberQuery) ([]string, map[string][]search.Facet) {
	kind := domain.Offer
	if q.Kind != nil {
		kind = *q.Kind
	}
	minRank := 0
	if q.MinLevel != nil {
		minRank = q.MinLevel.Rank()
	}
	skillSlug, catSlug := "", ""
	for slug, id := range fx.skills {
		if q.SkillID != nil && *q.SkillID == id {
			skillSlug = slug
		}
	}
	for slug, id := range fx.cats {
		if q.CategoryID != nil && *q.CategoryID == id {
			catSlug = slug
		}
	}
	var out []string
	counts := map[string]map[string]int{search.FacetCategory: {}, search.FacetLevel: {}, search.FacetLanguage: {}, search.FacetMode: {}}
	for _, m := range fx.specs {
		id := fx.members[m.key]
		switch {
		case id == q.ViewerID, m.suspended, m.effectiveVisibility() == domain.VisibilityHidden,
			q.ViewerID != uuid.Nil && fx.blocked[m.key] && fx.viewer == q.ViewerID,
			q.ViewerID == uuid.Nil && m.effectiveVisibility() != domain.VisibilityPublic:
			continue
		}
		skills, cats, best := fx.ranks(m, kind)
		if skillSlug != "" && skills[skillSlug] < max(minRank, 1) {
			continue
		}
		if catSlug != "" {
			need := max(minRank, 1)
			if skillSlug != "" {
				need = 1
			}
			if cats[catSlug] < need {
				continue
			}
		}
		if minRank > 0 && skillSlug == "" && catSlug == "" && best < minRank {
			continue
		}
		if q.Language != nil && !slices.Contains(m.langs, *q.Language) {
			continue
		}
		mode := m.effectiveMode()
		if q.Mode != nil && mode != domain.ModeBoth && mode != *q.Mode {
			continue
		}
		if n := q.Near; n != nil && (m.at == nil || haversineKm(n.Latitude, n.Longitude, m.at[0], m.at[1]) > n.RadiusKm) {
			continue
		}
		if q.AvailableAt != nil && !m.availableAt(*q.AvailableAt) {
			continue
		}
		out = append(out, m.key)
		// Facets: refinement counts.
		catRank := max(minRank, 1)
		if skillSlug != "" {
			catRank = 1
		}
		for c, r := range cats {
			if r >= catRank {
				counts[search.FacetCategory][fx.cats[c].String()]++
			}
		}
		level := best
		switch {
		case skillSlug != "":
			level = skills[skillSlug]
		case catSlug != "":
			level = cats[catSlug]
		}
		for r, name := range []domain.Level{domain.LevelBeginner, domain.LevelIntermediate, domain.LevelAdvanced, domain.LevelExpert} {
			if level >= r+1 {
				counts[search.FacetLevel][string(name)]++
			}
		}
		for _, l := range m.langs {
			counts[search.FacetLanguage][l]++
		}
		for _, req := range []domain.Mode{domain.ModeOnline, domain.ModeInPerson, domain.ModeBoth} {
			if mode == domain.ModeBoth || mode == req {
				counts[search.FacetMode][string(req)]++
			}
		}
	}
	facets := map[string][]search.Facet{}
	for name, values := range counts {
		facets[name] = []search.Facet{}
		for v, n := range values {
			facets[name] = append(facets[name], search.Facet{Value: v, Count: n})
		}
		slices.SortFunc(facets[name], func(a, b search.Facet) int { return compareStrings(a.Value, b.Value) })
	}
	slices.Sort(out)
	return out, facets
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
