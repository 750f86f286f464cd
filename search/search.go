// Package search implements searchSkills and searchMembers behind one Backend interface with two
// implementations: PostgreSQL (full text + unaccent + pg_trgm over the skills table and the
// denormalised member_search table; the default) and Typesense (typesense-go/v3). Both are kept in
// step with the source tables by River jobs inserted in the transaction of every change (Queue,
// ReindexMemberWorker, ReindexSkillWorker) and rebuilt from scratch by ReindexAll.
//
// Semantics shared by both backends:
//   - Text is matched accent- and case-insensitively on skill names in English and French and on
//     synonyms (members: on their display name and on the skills of the searched kind), with
//     prefixes ("guit", "pât") and typos ("guittar").
//   - Member filters combine with AND. MinLevel applies to SkillID, else to CategoryID, else to the
//     member's best level. Mode is the way the viewer wants to meet: ONLINE matches members who meet
//     ONLINE or BOTH, IN_PERSON matches IN_PERSON or BOTH, BOTH matches BOTH.
//   - AvailableAt matches members whose weekly availability (local weekday and minutes in their own
//     time zone) contains the local time of that instant in their zone: DST-correct by construction
//     (see keys.go).
//   - Never returned: the viewer, members they blocked or who blocked them, suspended accounts,
//     hidden profiles; signed-out viewers (the zero domain.Actor) only see PUBLIC profiles.
//   - Facets count the matches of the whole query (all pages) and are refinement counts: a facet
//     value's count is what the query would return with that value added as a filter (level L: with
//     MinLevel L; mode M: with Mode M; category C: with CategoryID C at the query's MinLevel).
//
// SearchMembers reads on behalf of the domain.Actor it takes after the context, signed out (the
// zero Actor) or not; SearchSkills reads the catalogue, the same for everyone, and takes none.
// Both take a relay.Page[Cursor] parsed with the backend's cursor kinds (SkillsCursor,
// MembersCursor) and return a relay.Connection, with the counts of the whole result beside it.
package search

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
)

// Locale is the reader's language: names in it rank first when both languages match equally.
type Locale string

// Locales.
const (
	LocaleEN Locale = "EN"
	LocaleFR Locale = "FR"
)

// SkillQuery searches approved skills.
type SkillQuery struct {
	// Text is required (1..100 characters); it may be a prefix ("guit") or misspelt ("guittar").
	Text string
	// Locale optionally favours names in that language.
	Locale     Locale
	CategoryID *uuid.UUID
}

// SkillHit is one matching skill; Score is only comparable within one query and backend.
type SkillHit struct {
	SkillID uuid.UUID
	Score   float64
	// at resumes the search right after this hit.
	at Cursor
}

// SkillCounts counts a skill search's matches, over all pages.
type SkillCounts struct {
	// Total counts every match.
	Total int
	// Facets counts matches per category (value: category id), most first.
	Facets []Facet
}

// GeoFilter keeps members within RadiusKm (0 < r <= 500) of a point.
type GeoFilter struct {
	Latitude, Longitude, RadiusKm float64
}

// MemberQuery searches members, for the actor SearchMembers is given.
type MemberQuery struct {
	// Text (optional, at most 100 characters) matches display names and the skills of Kind.
	Text       string
	SkillID    *uuid.UUID
	CategoryID *uuid.UUID
	// Kind says whether filters and text look at what members offer (default) or want.
	Kind     *domain.SkillKind
	MinLevel *domain.Level
	// Language is an ISO 639-1 code the member speaks.
	Language    *string
	Mode        *domain.Mode
	Near        *GeoFilter
	AvailableAt *time.Time
	// NoFacets skips facet counting (Total is still counted): set it when the client did not ask
	// for facets, it is the most expensive part of a broad search.
	NoFacets bool
}

// MemberHit is one matching member. DistanceKm is set when the query has Near.
type MemberHit struct {
	UserID     uuid.UUID
	Score      float64
	DistanceKm *float64
	// at resumes the search right after this hit.
	at Cursor
}

// MemberCounts counts a member search's matches, over all pages.
type MemberCounts struct {
	// Total counts every match.
	Total int
	// Facets by facet name: "category" (category id), "level" (BEGINNER..EXPERT), "language"
	// (ISO 639-1), "mode" (ONLINE, IN_PERSON, BOTH). Values with no match are left out.
	Facets map[string][]Facet
}

// Facet is one facet value and its count.
type Facet struct {
	Value string
	Count int
}

// Facet names of MemberCounts.Facets.
const (
	FacetCategory = "category"
	FacetLevel    = "level"
	FacetLanguage = "language"
	FacetMode     = "mode"
)

// Backend searches skills and members and keeps its index up to date.
type Backend interface {
	// SkillsCursor and MembersCursor are the cursor kinds of this backend's two lists, to parse
	// pages with (relay.ParsePage[Cursor]). They name the backend too, so a cursor of the other
	// backend is refused (BAD_USER_INPUT on `after`) rather than misread.
	SkillsCursor() string
	MembersCursor() string
	// SearchSkills returns a page of approved skills, best first, and the counts of all matches.
	SearchSkills(ctx context.Context, q SkillQuery, page relay.Page[Cursor]) (relay.Connection[SkillHit], SkillCounts, error)
	// SearchMembers returns a page of the members actor may find (the zero Actor: a signed-out
	// visitor, PUBLIC profiles only), best text match first, then nearest, then oldest account,
	// and the counts of all matches (facets unless q.NoFacets).
	SearchMembers(ctx context.Context, actor domain.Actor, q MemberQuery, page relay.Page[Cursor]) (relay.Connection[MemberHit], MemberCounts, error)
	// IndexMember (re)builds one member's document from PostgreSQL; it removes it when the member
	// is gone, suspended or hidden.
	IndexMember(ctx context.Context, userID uuid.UUID) error
	// IndexSkill (re)builds one skill's document (removed unless APPROVED) and the documents of the
	// members who have it (they carry its category and names).
	IndexSkill(ctx context.Context, skillID uuid.UUID) error
}

// Limits of queries.
const (
	MaxTextLength = 100
	MaxRadiusKm   = 500
	defaultFirst  = 20
)

// validateFirst checks a page's size; 0, from a caller that built the page itself, means 20 (what
// relay.ParsePage gives a client that omits it).
func validateFirst(first int) (int, error) {
	switch {
	case first == 0:
		return defaultFirst, nil
	case first < 1 || first > relay.MaxPageSize:
		return 0, domain.Invalid("first", "must be between 1 and %d", relay.MaxPageSize)
	}
	return first, nil
}

func validateText(field, text string, required bool) (string, error) {
	t, err := domain.ValidateText(field, text, MaxTextLength)
	if err != nil {
		return "", err
	}
	t = strings.Join(strings.Fields(t), " ")
	if required && t == "" {
		return "", domain.Invalid(field, "must not be empty")
	}
	return t, nil
}

// skillQuery is a validated SkillQuery with its page size.
type skillQuery struct {
	text       string
	locale     Locale
	categoryID *uuid.UUID
	first      int
}

func (q SkillQuery) validate(page relay.Page[Cursor]) (skillQuery, error) {
	text, err := validateText("text", q.Text, true)
	if err != nil {
		return skillQuery{}, err
	}
	switch q.Locale {
	case "", LocaleEN, LocaleFR:
	default:
		return skillQuery{}, domain.Invalid("locale", "must be EN or FR")
	}
	first, err := validateFirst(page.First)
	if err != nil {
		return skillQuery{}, err
	}
	return skillQuery{text: text, locale: q.Locale, categoryID: q.CategoryID, first: first}, nil
}

// memberPlan is a validated MemberQuery turned into what both backends execute: filter keys
// (keys.go) that must all be present, groups of which at least one must be present, a circle,
// the text and the facet sources.
type memberPlan struct {
	viewer  uuid.UUID
	text    string
	kind    domain.SkillKind
	allKeys []string
	anyKeys [][]string
	near    *GeoFilter
	minRank int        // MinLevel rank, 1 when none
	catRank int        // the level from which the category facet counts
	skillID *uuid.UUID // level facet source
	catID   *uuid.UUID // level facet source when no skill
	facets  bool
	first   int
	availAt *time.Time
}

func (q MemberQuery) plan(actor domain.Actor, page relay.Page[Cursor]) (memberPlan, error) {
	p := memberPlan{viewer: actor.ID(), kind: domain.Offer, facets: !q.NoFacets, minRank: 1}
	var err error
	if p.text, err = validateText("text", q.Text, false); err != nil {
		return p, err
	}
	if q.Kind != nil {
		if *q.Kind != domain.Offer && *q.Kind != domain.Want {
			return p, domain.Invalid("kind", "must be OFFER or WANT")
		}
		p.kind = *q.Kind
	}
	rank := 0
	if q.MinLevel != nil {
		if rank = q.MinLevel.Rank(); rank == 0 {
			return p, domain.Invalid("minLevel", "unknown level")
		}
		p.minRank = rank
	}
	p.catRank = p.minRank
	if q.SkillID != nil {
		// With a skill, a category refinement is a plain category filter.
		p.catRank = 1
	}
	if p.first, err = validateFirst(page.First); err != nil {
		return p, err
	}
	if !actor.SignedIn() {
		p.allKeys = append(p.allKeys, publicKey)
	}
	// MinLevel goes with the most specific of skill, category, anything.
	rankGroup := func(key func(r int) string) []string {
		var g []string
		for r := rank; r <= 4; r++ {
			g = append(g, key(r))
		}
		return g
	}
	if q.SkillID != nil {
		p.skillID = q.SkillID
		if rank == 0 {
			p.allKeys = append(p.allKeys, skillKey(p.kind, *q.SkillID))
		} else {
			p.anyKeys = append(p.anyKeys, rankGroup(func(r int) string { return skillRankKey(p.kind, *q.SkillID, r) }))
		}
	}
	if q.CategoryID != nil {
		p.catID = q.CategoryID
		if rank == 0 || q.SkillID != nil {
			p.allKeys = append(p.allKeys, categoryKey(p.kind, *q.CategoryID))
		} else {
			p.anyKeys = append(p.anyKeys, rankGroup(func(r int) string { return categoryRankKey(p.kind, *q.CategoryID, r) }))
		}
	}
	if rank > 0 && q.SkillID == nil && q.CategoryID == nil {
		p.anyKeys = append(p.anyKeys, rankGroup(func(r int) string { return levelKey(p.kind, r) }))
	}
	if q.Language != nil {
		lang := strings.ToLower(strings.TrimSpace(*q.Language))
		if !domain.IsISO6391(lang) {
			return p, domain.Invalid("language", "%q is not an ISO 639-1 language code (such as fr or en)", *q.Language)
		}
		p.allKeys = append(p.allKeys, languageKey(lang))
	}
	if q.Mode != nil {
		switch *q.Mode {
		case domain.ModeOnline, domain.ModeInPerson:
			p.anyKeys = append(p.anyKeys, []string{modeKey(*q.Mode), modeKey(domain.ModeBoth)})
		case domain.ModeBoth:
			p.allKeys = append(p.allKeys, modeKey(domain.ModeBoth))
		default:
			return p, domain.Invalid("mode", "must be ONLINE, IN_PERSON or BOTH")
		}
	}
	if n := q.Near; n != nil {
		switch {
		case math.IsNaN(n.Latitude) || n.Latitude < -90 || n.Latitude > 90:
			return p, domain.Invalid("near.latitude", "must be between -90 and 90")
		case math.IsNaN(n.Longitude) || n.Longitude < -180 || n.Longitude > 180:
			return p, domain.Invalid("near.longitude", "must be between -180 and 180")
		case math.IsNaN(n.RadiusKm) || n.RadiusKm <= 0 || n.RadiusKm > MaxRadiusKm:
			return p, domain.Invalid("near.radiusKm", "must be more than 0 and at most %d", MaxRadiusKm)
		}
		near := *n
		p.near = &near
	}
	if q.AvailableAt != nil {
		t := q.AvailableAt.UTC()
		p.availAt = &t
	}
	return p, nil
}

// withAvailability adds the "available at" group for the given zones (the zones of indexed
// members): a member matches when the key of their own zone's local time is among their keys.
// With no zone nothing can match, and the empty group says so.
func (p *memberPlan) withAvailability(zones []string) {
	if p.availAt == nil {
		return
	}
	group := []string{}
	for _, z := range zones {
		group = append(group, instantKeys(z, *p.availAt)...)
	}
	p.anyKeys = append(p.anyKeys, group)
}

// levelNames maps facet ranks to level names.
var levelNames = map[string]string{
	"1": string(domain.LevelBeginner), "2": string(domain.LevelIntermediate),
	"3": string(domain.LevelAdvanced), "4": string(domain.LevelExpert),
}

// sortFacets orders facet values: levels and modes in their natural order, others by count then
// value.
func sortFacets(f map[string][]Facet) {
	order := map[string]int{
		string(domain.LevelBeginner): 1, string(domain.LevelIntermediate): 2, string(domain.LevelAdvanced): 3, string(domain.LevelExpert): 4,
		string(domain.ModeOnline): 1, string(domain.ModeInPerson): 2, string(domain.ModeBoth): 3,
	}
	for name, list := range f {
		slices.SortFunc(list, func(a, b Facet) int {
			if name == FacetLevel || name == FacetMode {
				return order[a.Value] - order[b.Value]
			}
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
	}
}

// Cursor kinds: cursors of one backend are refused by the other. Clients hold cursors: the
// strings never change.
const (
	cursorSkillsPG  = "search.skills.pg"
	cursorMembersPG = "search.members.pg"
	cursorSkillsTS  = "search.skills.ts"
	cursorMembersTS = "search.members.ts"
	maxCursorOffset = 10_000
)

// Cursor is a position in a search's results. What it holds is the backend's business: the sort
// key of a hit for PostgreSQL (keyset), the number of hits up to it for Typesense (an offset:
// relevance order cannot be keyset-paginated there). It carries the backend's own JSON
// untouched, so cursors read the same as when each backend encoded its key itself; only the
// backend named by the cursor's kind ever reads it.
type Cursor struct {
	raw json.RawMessage
}

// MarshalJSON writes the backend's key as it encoded it.
func (c Cursor) MarshalJSON() ([]byte, error) {
	if len(c.raw) == 0 {
		return []byte("null"), nil
	}
	return c.raw, nil
}

// UnmarshalJSON keeps the key for the backend to read.
func (c *Cursor) UnmarshalJSON(b []byte) error {
	c.raw = append(json.RawMessage(nil), b...)
	return nil
}

// cursorAt encodes a backend's key.
func cursorAt(key any) Cursor {
	b, err := json.Marshal(key)
	if err != nil {
		panic(fmt.Sprintf("search: cursor key %T must marshal: %v", key, err))
	}
	return Cursor{raw: b}
}

// keyAfter reads the backend's key K from a page's After: nil when the page starts at the top,
// BAD_USER_INPUT on `after` when the cursor does not hold a K.
func keyAfter[K any](page relay.Page[Cursor]) (*K, error) {
	var k K
	if page.After == nil {
		return nil, nil
	}
	if raw := page.After.raw; len(raw) > 0 && json.Unmarshal(raw, &k) != nil {
		return nil, domain.Invalid("after", "is not a valid cursor for this list")
	}
	return &k, nil
}

// skillAt and memberAt are the positions of hits, for relay.Paginate.
func skillAt(h SkillHit) Cursor   { return h.at }
func memberAt(h MemberHit) Cursor { return h.at }

// dropEdges removes the edges drop picks from c after pagination. The page info keeps where the
// next page starts (past the dropped hits too); the start cursor moves to the first edge kept.
func dropEdges[T any](c *relay.Connection[T], drop func(T) bool) {
	c.Edges = slices.DeleteFunc(c.Edges, func(e relay.Edge[T]) bool { return drop(e.Node) })
	c.PageInfo.StartCursor = nil
	if len(c.Edges) > 0 {
		c.PageInfo.StartCursor = &c.Edges[0].Cursor
	}
}
