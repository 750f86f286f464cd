package search

import (
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Filter keys. Every member filter is a test on one string array of the member's document
// (PostgreSQL: member_search.keys with a GIN index; Typesense: the keys field), so both backends
// run the same filters and any combination is one index lookup:
//
//	OS:<skill>  OS:<skill>:<rank>   offers the skill (any level / at level rank 1..4)
//	OC:<cat>    OC:<cat>:<rank>     offers a skill of the category (best level in it)
//	OL:<rank>                       best offered level
//	WS:… WC:… WL:…                  the same for wanted skills
//	L:<iso639-1>                    speaks the language
//	M:<ONLINE|IN_PERSON|BOTH>       meeting mode
//	V:PUBLIC                        profile visible to signed-out visitors
//	A:<zone>:<D|H|Q|M><n>           availability, see below
//
// Availability at an instant. A member's weekly slots are kept as they entered them: local weekday
// and minutes in their IANA zone ("Mondays 18:00-20:00 Europe/Paris"). Each slot is cut into aligned
// blocks of the local week (minute-of-week w = (ISO weekday-1)*1440 + minute): whole days D<w/1440>,
// hours H<w/60>, quarters Q<w/15> and single minutes M<w>, largest first, and each block becomes a
// key tagged with the zone. At query time the instant T is converted, for every zone in use, into
// that zone's local minute-of-week x (time.Time.In, the IANA rules in force at T) and the four keys
// D<x/1440> H<x/60> Q<x/15> M<x> of that zone are looked up: x lies in exactly one block of a
// disjoint aligned cover, so the member matches if and only if one of their slots contains x.
//
// Why this is DST-correct: nothing is ever converted to UTC ahead of time. The only conversion is
// instant -> local wall time, a function of the instant made with the zone's rules for that very
// instant, so a slot at 18:00 Paris matches 17:00Z in winter and 16:00Z in summer, including in the
// week of the change, with no reindexing when clocks change. Local times skipped by a spring-forward
// never occur; local times repeated by a fall-back match on both occurrences.

func kindPrefix(k domain.SkillKind) string {
	if k == domain.Want {
		return "W"
	}
	return "O"
}

func skillKey(k domain.SkillKind, id uuid.UUID) string { return kindPrefix(k) + "S:" + id.String() }

func skillRankKey(k domain.SkillKind, id uuid.UUID, rank int) string {
	return skillKey(k, id) + ":" + strconv.Itoa(rank)
}

func categoryKey(k domain.SkillKind, id uuid.UUID) string { return kindPrefix(k) + "C:" + id.String() }

func categoryRankKey(k domain.SkillKind, id uuid.UUID, rank int) string {
	return categoryKey(k, id) + ":" + strconv.Itoa(rank)
}

func levelKey(k domain.SkillKind, rank int) string { return kindPrefix(k) + "L:" + strconv.Itoa(rank) }

func languageKey(lang string) string { return "L:" + lang }

func modeKey(m domain.Mode) string { return "M:" + string(m) }

const publicKey = "V:PUBLIC"

// Aligned blocks of the local week, largest first.
var availabilityBlocks = []struct {
	letter string
	size   int
}{{"D", 1440}, {"H", 60}, {"Q", 15}, {"M", 1}}

func availabilityKey(zone, letter string, n int) string {
	return "A:" + zone + ":" + letter + strconv.Itoa(n)
}

// availabilityKeys covers the weekly slots (local time in zone) with aligned blocks.
func availabilityKeys(zone string, slots []store.MemberSearchSlot) []string {
	var keys []string
	for _, s := range slots {
		if s.Weekday < 1 || s.Weekday > 7 || s.StartMinute < 0 || s.EndMinute > 1440 || s.EndMinute <= s.StartMinute {
			continue
		}
		day := (s.Weekday - 1) * 1440
		for p, end := day+s.StartMinute, day+s.EndMinute; p < end; {
			for _, b := range availabilityBlocks {
				if p%b.size == 0 && p+b.size <= end {
					keys = append(keys, availabilityKey(zone, b.letter, p/b.size))
					p += b.size
					break
				}
			}
		}
	}
	return keys
}

// minuteOfWeek is the local minute of the ISO week (Monday 00:00 = 0) of t in its location.
func minuteOfWeek(t time.Time) int {
	wd := int(t.Weekday()+6) % 7 // Monday = 0 .. Sunday = 6
	return wd*1440 + t.Hour()*60 + t.Minute()
}

// instantKeys returns the keys that a member of zone has among theirs exactly when their weekly
// availability contains instant t; none for a zone Go does not know.
func instantKeys(zone string, t time.Time) []string {
	loc, err := loadLocation(zone)
	if err != nil {
		return nil
	}
	return minuteKeys(zone, minuteOfWeek(t.In(loc)))
}

// minuteKeys returns the keys of the blocks of every size that contain local minute-of-week x.
func minuteKeys(zone string, x int) []string {
	keys := make([]string, 0, len(availabilityBlocks))
	for _, b := range availabilityBlocks {
		keys = append(keys, availabilityKey(zone, b.letter, x/b.size))
	}
	return keys
}

var locations sync.Map // zone name -> *time.Location

func loadLocation(zone string) (*time.Location, error) {
	if l, ok := locations.Load(zone); ok {
		return l.(*time.Location), nil
	}
	loc, err := domain.ValidateTimeZone("timeZone", zone)
	if err != nil {
		return nil, err
	}
	locations.Store(zone, loc)
	return loc, nil
}

// hashKey is a key as PostgreSQL stores it: its 64-bit FNV-1a hash (8 bytes instead of ~45, which
// keeps member_search rows small). With a few million distinct keys the chance that two collide
// at all is below one in a million, and a collision could only widen a filter, never hide a member.
func hashKey(k string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(k))
	return int64(h.Sum64())
}

func hashKeys(keys []string) []int64 {
	out := make([]int64, len(keys))
	for i, k := range keys {
		out[i] = hashKey(k)
	}
	return out
}

// memberDoc is one member's search document, from which each backend takes what it stores.
type memberDoc struct {
	// keys are the filter keys (Typesense stores them, PostgreSQL their hashes in row.Keys).
	keys []string
	row  store.MemberSearchDoc
	// For Typesense: texts of the skills (names in both languages, synonyms), not yet folded.
	offerText, wantText []string
	// For Typesense facets: modes a request matches, "<category>:<rank>" for every rank up to the
	// best in the category, best levels "1".."best" (so counting a value counts members at or above).
	modes                   []string
	offerCats, wantCats     []string
	offerLevels, wantLevels []string
}

// buildMemberDoc turns a searchable member's sources into their document.
func buildMemberDoc(src store.MemberSearchSource) memberDoc {
	zone := src.TimeZone
	if _, err := loadLocation(zone); err != nil {
		zone = "UTC"
	}
	d := memberDoc{row: store.MemberSearchDoc{
		UserID: src.UserID, DisplayName: src.DisplayName, Mode: src.Mode, TimeZone: zone,
		Latitude: src.Latitude, Longitude: src.Longitude,
		Languages:   []string{},
		OfferSkills: []uuid.UUID{}, OfferSkillRanks: []int{}, WantSkills: []uuid.UUID{}, WantSkillRanks: []int{},
		OfferCategories: []uuid.UUID{}, OfferCategoryRanks: []int{}, WantCategories: []uuid.UUID{}, WantCategoryRanks: []int{},
	}}
	if src.Latitude == nil || src.Longitude == nil {
		d.row.Latitude, d.row.Longitude = nil, nil
	}
	keys := map[string]bool{}
	catRank := map[domain.SkillKind]map[uuid.UUID]int{domain.Offer: {}, domain.Want: {}}
	skills := slices.Clone(src.Skills)
	slices.SortFunc(skills, func(a, b store.MemberSearchSkill) int { return strings.Compare(a.SkillID.String(), b.SkillID.String()) })
	for _, s := range skills {
		rank := s.Level.Rank()
		if rank == 0 || (s.Kind != domain.Offer && s.Kind != domain.Want) {
			continue
		}
		keys[skillKey(s.Kind, s.SkillID)] = true
		keys[skillRankKey(s.Kind, s.SkillID, rank)] = true
		keys[categoryKey(s.Kind, s.CategoryID)] = true
		catRank[s.Kind][s.CategoryID] = max(catRank[s.Kind][s.CategoryID], rank)
		text := append([]string{s.NameEN, s.NameFR}, s.Synonyms...)
		if s.Kind == domain.Offer {
			d.row.OfferSkills = append(d.row.OfferSkills, s.SkillID)
			d.row.OfferSkillRanks = append(d.row.OfferSkillRanks, rank)
			d.row.OfferRank = max(d.row.OfferRank, rank)
			d.offerText = append(d.offerText, text...)
		} else {
			d.row.WantSkills = append(d.row.WantSkills, s.SkillID)
			d.row.WantSkillRanks = append(d.row.WantSkillRanks, rank)
			d.row.WantRank = max(d.row.WantRank, rank)
			d.wantText = append(d.wantText, text...)
		}
	}
	for _, kind := range []domain.SkillKind{domain.Offer, domain.Want} {
		cats := make([]uuid.UUID, 0, len(catRank[kind]))
		for c := range catRank[kind] {
			cats = append(cats, c)
		}
		slices.SortFunc(cats, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		var facetCats []string
		for _, c := range cats {
			r := catRank[kind][c]
			keys[categoryRankKey(kind, c, r)] = true
			for i := 1; i <= r; i++ {
				facetCats = append(facetCats, c.String()+":"+strconv.Itoa(i))
			}
			if kind == domain.Offer {
				d.row.OfferCategories = append(d.row.OfferCategories, c)
				d.row.OfferCategoryRanks = append(d.row.OfferCategoryRanks, r)
			} else {
				d.row.WantCategories = append(d.row.WantCategories, c)
				d.row.WantCategoryRanks = append(d.row.WantCategoryRanks, r)
			}
		}
		best := d.row.OfferRank
		if kind == domain.Want {
			best = d.row.WantRank
		}
		var levels []string
		if best > 0 {
			keys[levelKey(kind, best)] = true
			for i := 1; i <= best; i++ {
				levels = append(levels, strconv.Itoa(i))
			}
		}
		if kind == domain.Offer {
			d.offerCats, d.offerLevels = facetCats, levels
		} else {
			d.wantCats, d.wantLevels = facetCats, levels
		}
	}
	for _, l := range src.Languages {
		l = strings.ToLower(strings.TrimSpace(l))
		if l != "" && !slices.Contains(d.row.Languages, l) {
			d.row.Languages = append(d.row.Languages, l)
			keys[languageKey(l)] = true
		}
	}
	switch src.Mode {
	case domain.ModeOnline, domain.ModeInPerson:
		d.modes = []string{string(src.Mode)}
	default:
		d.row.Mode = domain.ModeBoth
		d.modes = []string{string(domain.ModeOnline), string(domain.ModeInPerson), string(domain.ModeBoth)}
	}
	keys[modeKey(d.row.Mode)] = true
	if src.Visibility == domain.VisibilityPublic {
		keys[publicKey] = true
	}
	for _, k := range availabilityKeys(zone, src.Slots) {
		keys[k] = true
	}
	for k := range keys {
		d.keys = append(d.keys, k)
	}
	slices.Sort(d.keys)
	d.row.Keys = hashKeys(d.keys)
	return d
}

// fold lower-cases and strips accents ("Pâtisserie" -> "patisserie"), like PostgreSQL's
// lower(unaccent()) for Latin scripts.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return norm.NFC.String(b.String())
}

func foldAll(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if f := fold(s); f != "" {
			out = append(out, f)
		}
	}
	return out
}
