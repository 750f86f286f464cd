// Package matching finds swap partners for a member: candidates who offer what the member wants
// and/or want what the member offers, ranked by a score that explains itself, and three-member
// swap circles for members who have no direct mutual match.
//
// # Pipeline of Matches
//
//  1. The viewer's profile, and skills with their related skills and their names: 2 statements.
//  2. Candidate generation (candidates.go, 2 statements): posting lists of the members holding
//     each (skill, kind) key, read from member_skills_skill_idx; a cheap skill pre-score in Go
//     that mirrors the Go skill factors, exclusions and a cap; then profile probes by primary
//     key, best first, until enough pass the filters. Candidates come with their profile
//     fields, matching skills and weekly slots.
//  3. The viewer's weekly slots (1 statement) and partners' reliability (one ReliabilitySource
//     call: 1 statement today).
//  4. Scoring in Go, sort by (score desc, user id), keyset page over that order.
//  5. Reasons for the page only, with the skill names read in step 1.
//
// So a request runs 6 statements whatever the page size. At most MaxCandidates matches are
// reachable by paging.
//
// # Score
//
// Score (0..100) = 50 if mutual + 50 × Σ weight × factor, factors in 0..1 and weights:
// they teach what you want 0.20, you teach what they want 0.20, language 0.15, weekly
// availability overlap 0.20, distance 0.10, reliability 0.15. A match is mutual when the
// candidate offers one of the skills the viewer wants and wants one the viewer offers (exact
// skills); one-way matches are capped at 49.99, so every mutual match ranks ahead. See score.go
// for each factor, LevelFit for the level-gap rule and Reason for the explanations.
//
// # Who asks
//
// Matches and SwapCircles are computed for the member acting: they take their domain.Actor
// right after the context (the zero Actor is UNAUTHENTICATED). Matches takes a relay.Page keyed
// by MatchKey and returns a relay.Connection whose cursors are of kind MatchesCursor.
package matching

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Filter narrows Matches. Zero value: no filter.
type Filter struct {
	// MutualOnly keeps mutual matches.
	MutualOnly bool
	// SkillID keeps candidates matched through this skill (theirs or the viewer's, either way).
	SkillID *uuid.UUID
	// Mode keeps candidates who meet that way: ONLINE keeps ONLINE and BOTH members (and
	// neutralises distance), IN_PERSON keeps IN_PERSON and BOTH (and makes distance decisive),
	// BOTH keeps members open to both.
	Mode *domain.Mode
	// MaxDistanceKm keeps in-person-capable candidates within this distance of the viewer's
	// location (which must be set).
	MaxDistanceKm *float64
	// Language keeps candidates who speak it (ISO 639-1).
	Language *string
}

// ReasonCode is the machine-readable kind of a Reason.
type ReasonCode string

// Reason codes. Positive reasons carry the points they added; the others (NO_*, FAR_AWAY,
// INACTIVE, NEW_MEMBER) carry 0 and explain what held a score down or what is unknown.
const (
	// ReasonMutual: each teaches something the other wants (the 50-point mutual bonus).
	ReasonMutual ReasonCode = "MUTUAL"
	// ReasonTheyTeachWhatYouWant: they offer a skill you want (SkillID: that skill).
	ReasonTheyTeachWhatYouWant ReasonCode = "THEY_TEACH_WHAT_YOU_WANT"
	// ReasonYouTeachWhatTheyWant: they want a skill you offer (SkillID: that skill).
	ReasonYouTeachWhatTheyWant ReasonCode = "YOU_TEACH_WHAT_THEY_WANT"
	// ReasonRelatedSkill: they offer or want a skill related to one you want or offer
	// (SkillID: their skill).
	ReasonRelatedSkill ReasonCode = "RELATED_SKILL"
	// ReasonLevelGapGood: the teacher is at the learner's goal or one level above (SkillID).
	ReasonLevelGapGood ReasonCode = "LEVEL_GAP_GOOD"
	// ReasonLevelGapWide: the teacher is two or more levels above the learner's goal (SkillID).
	ReasonLevelGapWide ReasonCode = "LEVEL_GAP_WIDE"
	// ReasonLevelBelowTarget: the teacher is below the learner's goal (SkillID).
	ReasonLevelBelowTarget ReasonCode = "LEVEL_BELOW_TARGET"
	// ReasonSharedLanguage: you speak a language in common.
	ReasonSharedLanguage ReasonCode = "SHARED_LANGUAGE"
	// ReasonNoSharedLanguage: both list languages and none is shared.
	ReasonNoSharedLanguage ReasonCode = "NO_SHARED_LANGUAGE"
	// ReasonAvailabilityOverlap: your weekly availabilities overlap (OverlapMinutesPerWeek).
	ReasonAvailabilityOverlap ReasonCode = "AVAILABILITY_OVERLAP"
	// ReasonNoAvailabilityOverlap: both set availability and it never overlaps.
	ReasonNoAvailabilityOverlap ReasonCode = "NO_AVAILABILITY_OVERLAP"
	// ReasonNearby: within NearbyKm, and you can both meet in person.
	ReasonNearby ReasonCode = "NEARBY"
	// ReasonFarAway: farther than FarKm while you can only meet in person.
	ReasonFarAway ReasonCode = "FAR_AWAY"
	// ReasonReliablePartner: well rated over several reviews and completes sessions.
	ReasonReliablePartner ReasonCode = "RELIABLE_PARTNER"
	// ReasonRecentlyActive: used the app in the last week.
	ReasonRecentlyActive ReasonCode = "RECENTLY_ACTIVE"
	// ReasonInactive: not seen for over two months.
	ReasonInactive ReasonCode = "INACTIVE"
	// ReasonNewMember: joined recently, no track record yet.
	ReasonNewMember ReasonCode = "NEW_MEMBER"
)

// Reason explains part of a match's score.
type Reason struct {
	Code ReasonCode
	// Text is a human explanation, in English.
	Text string
	// SkillID is the skill the reason is about, when it is about one.
	SkillID *uuid.UUID
	// Weight is the number of score points (0..100 scale) this reason added; 0 for reasons
	// that only explain. Factors with unknown inputs (no availability or languages set) add
	// neutral points without a reason, so weights sum to at most the score.
	Weight float64
	detail detail
}

// Match is a candidate partner for the viewer.
type Match struct {
	// ViewerID is the member the match was computed for; UserID is the partner.
	ViewerID uuid.UUID
	UserID   uuid.UUID
	// Score ranks matches, 0..100: mutual matches 50..100, one-way 0..49.99.
	Score  float64
	Mutual bool
	// Reasons, largest weight first.
	Reasons []Reason
	// TheyTeach: skills they offer that you want (or related to one you want), best first.
	TheyTeach []uuid.UUID
	// YouTeach: skills you offer that they want (or related to one they want), best first.
	YouTeach []uuid.UUID
	// OverlapMinutesPerWeek of your weekly availabilities over the coming 7 days.
	OverlapMinutesPerWeek int
	// DistanceKm, rounded to whole kilometres, when both of you can meet in person and both
	// set a location; nil otherwise. Exact coordinates are never exposed.
	DistanceKm *float64
}

// PairID is the id of the match between two members: the same whichever of them asks and
// whatever the scores, days or pages (clients cache a Match under it), and turned back into the
// partner only by one of the two (PartnerOf). It is the bytewise XOR of their user ids: a
// viewer's matches have distinct ids, and it reveals nothing the Match does not (its user id).
func PairID(a, b uuid.UUID) uuid.UUID {
	var out uuid.UUID
	for i := range out {
		out[i] = a[i] ^ b[i]
	}
	return out
}

// PartnerOf is the partner of viewer in the match pairID (see PairID).
func PartnerOf(viewer, pairID uuid.UUID) uuid.UUID { return PairID(viewer, pairID) }

// ID is the match's pair id (PairID of viewer and partner).
func (m Match) ID() uuid.UUID { return PairID(m.ViewerID, m.UserID) }

// MatchesCursor is the cursor kind of Matches. Clients hold cursors: the string never changes.
const MatchesCursor = "matches"

// MatchKey is the position of a match in Matches: score descending, then user id.
type MatchKey struct {
	Score float64   `json:"s"`
	ID    uuid.UUID `json:"id"`
}

// keyOf is m's position in Matches.
func keyOf(m Match) MatchKey { return MatchKey{Score: m.Score, ID: m.UserID} }

// Limits of candidate generation.
const (
	// MaxCandidates caps the matches a viewer can page through: the best by skill pre-score
	// (mutual first, then skill fit), then scored in full. It bounds the per-request work
	// whatever the population (p95 target: 100k members, first 20, <= 50 ms).
	MaxCandidates = 500
	// preLimit is how many members are kept by pre-score (suspended, HIDDEN and blocked
	// members already removed) for their profiles to be read, best first until MaxCandidates
	// pass: a margin for those the profile then rules out.
	preLimit = MaxCandidates + MaxCandidates/4
	// modePreLimit replaces it for a viewer who meets only one way (about a quarter of members
	// meet only the other way), filteredPreLimit with a profile filter (mode, language,
	// distance): enough members pass while the work stays bounded.
	modePreLimit     = 2 * preLimit
	filteredPreLimit = 8 * preLimit
	// Swap circles: members kept on each side, and pairs considered.
	circleSideLimit = 200
	circlePairLimit = 1000
)

// Service computes matches and swap circles.
type Service struct {
	store *store.Store
	rel   ReliabilitySource
	now   func() time.Time
	zones zoneCache
}

// NewService wires the service. rel yields partners' track records (nil: activity only, see
// ActivityReliability); now is the clock (nil: time.Now), injected so tests are deterministic.
func NewService(st *store.Store, rel ReliabilitySource, now func() time.Time) *Service {
	if rel == nil {
		rel = NewActivityReliability(st)
	}
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, rel: rel, now: now}
}

// viewerContext is what the viewer brings to matching.
type viewerContext struct {
	profile domain.Profile
	skills  []store.MatchViewerSkill
	// names: English names of the viewer's skills and of the skills related to them.
	names map[uuid.UUID]string
	info  pairInfo
}

func (s *Service) loadViewer(ctx context.Context, q *store.Queries, viewerID uuid.UUID) (viewerContext, error) {
	var v viewerContext
	profiles, err := q.ProfilesByUserIDs(ctx, []uuid.UUID{viewerID})
	if err != nil {
		return v, err
	}
	p, ok := profiles[viewerID]
	if !ok {
		p = domain.DefaultProfile(viewerID)
	}
	v.profile = p
	v.info = pairInfo{languages: p.Languages, zone: p.TimeZone, lat: p.Latitude, lon: p.Longitude, mode: p.Mode}
	if v.skills, err = q.MatchViewerSkills(ctx, viewerID); err != nil {
		return v, err
	}
	v.names = map[uuid.UUID]string{}
	for _, sk := range v.skills {
		v.names[sk.SkillID] = sk.Name
		for i, r := range sk.Related {
			if i < len(sk.RelatedNames) {
				v.names[r] = sk.RelatedNames[i]
			}
		}
	}
	return v, nil
}

// keySpec is a store.MatchKey with what Go needs to decode its edges.
type keySpec struct {
	store.MatchKey
	mySkill uuid.UUID
	myLevel domain.Level
}

// buildKeys lists the lookups of candidate generation: for each skill the viewer wants, members
// offering it (exact) or a related skill; for each skill the viewer offers, members wanting it
// or a related skill. Related skills the viewer already offers or wants are left out.
func buildKeys(skills []store.MatchViewerSkill, exactOnly bool, filterSkill *uuid.UUID) []keySpec {
	own := map[uuid.UUID]bool{}
	for _, sk := range skills {
		own[sk.SkillID] = true
	}
	var keys []keySpec
	add := func(sk store.MatchViewerSkill, skill uuid.UUID, exact bool) {
		theyTeach := sk.Kind == domain.Want
		their := domain.Want
		if theyTeach {
			their = domain.Offer
		}
		hit := filterSkill == nil || *filterSkill == skill || *filterSkill == sk.SkillID
		keys = append(keys, keySpec{
			MatchKey: store.MatchKey{SkillID: skill, TheirKind: their, TheyTeach: theyTeach, Exact: exact, Hit: hit},
			mySkill:  sk.SkillID, myLevel: sk.Level,
		})
	}
	for _, sk := range skills {
		add(sk, sk.SkillID, true)
	}
	if !exactOnly {
		for _, sk := range skills {
			for _, r := range sk.Related {
				if !own[r] {
					add(sk, r, false)
				}
			}
		}
	}
	return keys
}

// keyPoints is the SQL pre-score table: keyPoints[i*4+rank-1] = 1000 × edgeValue of an edge on
// key i with a candidate at that level rank; the same rule Go scores with.
func keyPoints(keys []keySpec) []int32 {
	pts := make([]int32, 0, len(keys)*4)
	for _, k := range keys {
		for rank := 1; rank <= 4; rank++ {
			gap := rank - k.myLevel.Rank()
			if !k.TheyTeach {
				gap = -gap
			}
			pts = append(pts, int32(math.Round(1000*edgeValue(k.Exact, gap))))
		}
	}
	return pts
}

var levelsByRank = [...]domain.Level{domain.LevelBeginner, domain.LevelIntermediate, domain.LevelAdvanced, domain.LevelExpert}

// decodeEdges turns edge codes (key*4 + rank-1) into edges.
func decodeEdges(keys []keySpec, codes []int32) []edge {
	out := make([]edge, 0, len(codes))
	for _, c := range codes {
		i, r := int(c/4), int(c%4)
		if c < 0 || i >= len(keys) {
			continue
		}
		k := keys[i]
		e := edge{theyTeach: k.TheyTeach, exact: k.Exact, mySkill: k.mySkill, theirSkill: k.SkillID, myLevel: k.myLevel, theirLevel: levelsByRank[r]}
		e.value = edgeValue(e.exact, e.gap())
		out = append(out, e)
	}
	return out
}

// seed makes cap tie-breaks vary by viewer and day but not within a day.
func seed(viewer uuid.UUID, today time.Time) int32 {
	h := fnv.New32a()
	h.Write(viewer[:])
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(today.Unix()))
	h.Write(b[:])
	return int32(h.Sum32())
}

func today(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func validateFilter(f Filter, viewer domain.Profile) (Filter, error) {
	if f.Mode != nil {
		switch *f.Mode {
		case domain.ModeOnline, domain.ModeInPerson, domain.ModeBoth:
		default:
			return f, domain.Invalid("filter.mode", "unknown meeting mode")
		}
	}
	if f.Language != nil {
		langs, err := domain.ValidateLanguages("filter.language", []string{*f.Language})
		if err != nil {
			return f, domain.Invalid("filter.language", "%q is not an ISO 639-1 language code (such as fr or en)", *f.Language)
		}
		f.Language = &langs[0]
	}
	if f.MaxDistanceKm != nil {
		d := *f.MaxDistanceKm
		if math.IsNaN(d) || d <= 0 || d > 20040 {
			return f, domain.Invalid("filter.maxDistanceKm", "must be between 0 and 20040 km")
		}
		if viewer.Latitude == nil || viewer.Longitude == nil {
			return f, domain.Invalid("filter.maxDistanceKm", "set your location in your profile to filter by distance")
		}
		if viewer.Mode == domain.ModeOnline {
			return f, domain.Invalid("filter.maxDistanceKm", "you only meet online: distance does not apply")
		}
	}
	return f, nil
}

// Matches returns the actor's matches, best first, a page at a time. Order: score desc, then
// user id. Scores depend on the clock only by the day (activity, availability week), so paging
// is stable within a day while the data does not change. At most MaxCandidates matches are
// reachable.
func (s *Service) Matches(ctx context.Context, actor domain.Actor, f Filter, page relay.Page[MatchKey]) (relay.Connection[Match], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[Match]{}, err
	}
	if page.First < 1 || page.First > relay.MaxPageSize {
		return relay.Connection[Match]{}, domain.Invalid("first", "must be between 1 and %d", relay.MaxPageSize)
	}
	viewerID := actor.ID()
	q := s.store.Reader(ctx) // heavy and read-only: the replica when it has the viewer's writes
	v, err := s.loadViewer(ctx, q, viewerID)
	if err != nil {
		return relay.Connection[Match]{}, fmt.Errorf("matches: %w", err)
	}
	if f, err = validateFilter(f, v.profile); err != nil {
		return relay.Connection[Match]{}, err
	}
	all, err := s.rank(ctx, q, viewerID, v, f)
	if err != nil {
		return relay.Connection[Match]{}, fmt.Errorf("matches: %w", err)
	}

	start := 0
	if pos := page.After; pos != nil {
		start, _ = slices.BinarySearchFunc(all, *pos, func(r ranked, k MatchKey) int {
			if r.Score != k.Score {
				if r.Score > k.Score {
					return -1
				}
				return 1
			}
			if c := bytes.Compare(r.UserID[:], k.ID[:]); c != 0 {
				return c
			}
			return -1 // the cursor's own row counts as before it
		})
	}
	end := min(start+page.Limit(), len(all))
	rows := make([]Match, 0, end-start)
	for i, r := range all[start:end] {
		if i == page.First {
			// The extra row only tells a next page exists: no reasons for it.
			rows = append(rows, r.Match)
			break
		}
		m := score(r.in, true)
		render(m.Reasons, v.names)
		rows = append(rows, m)
	}
	for i := range rows {
		rows[i].ViewerID = viewerID
	}
	return relay.Paginate(MatchesCursor, page, rows, keyOf), nil
}

// Match returns the actor's match with partner as Matches would list it (any filter aside),
// for node(id:); NOT_FOUND when the partner is not among the actor's matches (or is the actor).
func (s *Service) Match(ctx context.Context, actor domain.Actor, partner uuid.UUID) (Match, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return Match{}, err
	}
	viewerID := actor.ID()
	q := s.store.Reader(ctx) // heavy and read-only: the replica when it has the viewer's writes
	v, err := s.loadViewer(ctx, q, viewerID)
	if err != nil {
		return Match{}, fmt.Errorf("match: %w", err)
	}
	all, err := s.rank(ctx, q, viewerID, v, Filter{})
	if err != nil {
		return Match{}, fmt.Errorf("match: %w", err)
	}
	for _, r := range all {
		if r.UserID == partner {
			m := score(r.in, true)
			render(m.Reasons, v.names)
			m.ViewerID = viewerID
			return m, nil
		}
	}
	return Match{}, domain.NotFound("match")
}

// rank generates, scores and sorts every candidate.
func (s *Service) rank(ctx context.Context, q *store.Queries, viewerID uuid.UUID, v viewerContext, f Filter) ([]ranked, error) {
	keys := buildKeys(v.skills, false, f.SkillID)
	if len(keys) == 0 {
		return nil, nil
	}
	day := today(s.now())
	pre := preLimit
	switch {
	case f.Mode != nil || f.Language != nil || f.MaxDistanceKm != nil:
		pre = filteredPreLimit
	case v.profile.Mode != domain.ModeBoth:
		pre = modePreLimit
	}
	cands, err := s.candidates(ctx, q, candidateQuery{
		viewerID: viewerID, keys: keys, preLimit: pre, limit: MaxCandidates,
		seed: seed(viewerID, day), mutualOnly: f.MutualOnly, filter: f,
	})
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	ids := make([]uuid.UUID, len(cands))
	for i, c := range cands {
		ids[i] = c.UserID
	}
	viewerSlots, err := q.SlotsByUserIDs(ctx, []uuid.UUID{viewerID})
	if err != nil {
		return nil, err
	}
	rel, err := s.rel.Reliability(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("reliability: %w", err)
	}

	from, to := week(day)
	v.info.slots = viewerSlots[viewerID]
	v.info.intervals = expandSlots(v.info.slots, s.zones.get(v.info.zone), from, to)
	out := make([]ranked, 0, len(cands))
	for _, c := range cands {
		them := pairInfo{languages: c.Languages, zone: c.TimeZone, slots: c.Slots, lat: c.Latitude, lon: c.Longitude, mode: c.Mode}
		if len(them.slots) > 0 && len(v.info.slots) > 0 {
			them.intervals = expandSlots(them.slots, s.zones.get(them.zone), from, to)
		}
		in := &scoreInput{
			userID: c.UserID, edges: decodeEdges(keys, c.edges), viewer: &v.info, them: them,
			filter: f, reliability: rel[c.UserID], createdAt: c.CreatedAt, today: day,
		}
		m := score(in, false)
		if f.MutualOnly && !m.Mutual {
			continue
		}
		out = append(out, ranked{Match: m, in: in})
	}
	slices.SortFunc(out, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), bytes.Compare(a.UserID[:], b.UserID[:]))
	})
	return out, nil
}

// ranked is a scored candidate with what explains it.
type ranked struct {
	Match
	in *scoreInput
}
