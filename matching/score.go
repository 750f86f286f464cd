package matching

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
)

// Score = MutualPoints (mutual matches only) + QualityPoints × Σ weight × factor, each factor in
// 0..1. Mutual matches therefore score 50..100 and one-way matches 0..49.99: ordering by score
// alone puts every mutual match ahead of every one-way match.
const (
	MutualPoints  = 50.0
	QualityPoints = 50.0
	maxOneWay     = 49.99
)

// Weights of the quality factors; they sum to 1.
const (
	// WeightTheyTeach: how well the candidate can teach what the viewer wants.
	WeightTheyTeach = 0.20
	// WeightYouTeach: how well the viewer can teach what the candidate wants.
	WeightYouTeach = 0.20
	// WeightLanguage: a language in common (1), unknown (0.5), none (0).
	WeightLanguage = 0.15
	// WeightAvailability: weekly overlap, saturating at FullOverlapMinutes.
	WeightAvailability = 0.20
	// WeightDistance: proximity, when the pair can meet in person.
	WeightDistance = 0.10
	// WeightReliability: the partner's track record (see Reliability).
	WeightReliability = 0.15
)

// Factor values and thresholds.
const (
	// RelatedFactor scales an edge through a related skill (an exact skill counts 1).
	RelatedFactor = 0.5
	// BreadthBonus is the share of the second and third best skills added to a direction.
	BreadthBonus = 0.1
	// FullOverlapMinutes of weekly overlap earn the full availability factor (enough for a
	// weekly session with slack).
	FullOverlapMinutes = 180
	// UnknownAvailability is the factor when either member has not set any availability.
	UnknownAvailability = 0.25
	// UnknownLanguage is the factor when either member lists no language.
	UnknownLanguage = 0.5
	// ProximityScaleKm: proximity = exp(-distance / scale).
	ProximityScaleKm = 25.0
	// NearbyKm and FarKm bound the NEARBY and FAR_AWAY reasons.
	NearbyKm = 25.0
	FarKm    = 100.0
	// NewMemberDays: accounts younger than this with no track record are NEW_MEMBER.
	NewMemberDays = 30
)

// LevelFit rates a teaching edge by gap = teacher's level rank − the learner's target rank.
// Rule: the teacher should be at or above the level the learner aims at, and the smallest
// positive gap is best: one level above the goal (+1) is ideal (they master it with headroom),
// exactly at the goal (0) is nearly as good, a wider gap (+2, +3) is fine but less of a peer
// match, and a teacher below the goal (−1..−3) can only take the learner part of the way.
func LevelFit(gap int) float64 {
	switch gap {
	case 1:
		return 1
	case 0:
		return 0.9
	case 2:
		return 0.8
	case 3:
		return 0.65
	case -1:
		return 0.35
	case -2:
		return 0.15
	}
	return 0.05
}

// edgeValue is the value (0..1) of one teaching edge: half for the skill itself, half for how
// well the levels fit; an edge through a related skill counts RelatedFactor of that.
func edgeValue(exact bool, gap int) float64 {
	v := 0.5 + 0.5*LevelFit(gap)
	if !exact {
		v *= RelatedFactor
	}
	return v
}

// edge is one way a candidate and the viewer fit: the candidate teaches the viewer
// (theyTeach), or learns from them, a skill.
type edge struct {
	theyTeach bool
	exact     bool
	// mySkill is the viewer's skill the edge serves; theirSkill the candidate's (equal when
	// exact, related otherwise).
	mySkill, theirSkill uuid.UUID
	myLevel, theirLevel domain.Level
	value               float64
}

// gap is teacher rank minus learner target rank.
func (e edge) gap() int {
	if e.theyTeach {
		return e.theirLevel.Rank() - e.myLevel.Rank()
	}
	return e.myLevel.Rank() - e.theirLevel.Rank()
}

// direction is the skill factor of one direction: the best edge per candidate-side skill.
type direction struct {
	edges  []edge    // best first, one per theirSkill
	coef   []float64 // share of each edge's value in the factor (1, then BreadthBonus twice)
	factor float64
}

// newDirection keeps edges (a scratch slice it may reorder) of one direction.
func newDirection(all []edge, theyTeach bool) direction {
	var d direction
	for _, e := range all {
		if e.theyTeach != theyTeach {
			continue
		}
		dup := false
		for i, b := range d.edges {
			if b.theirSkill == e.theirSkill {
				dup = true
				if e.value > b.value || (e.value == b.value && bytes.Compare(e.mySkill[:], b.mySkill[:]) < 0) {
					d.edges[i] = e
				}
				break
			}
		}
		if !dup {
			d.edges = append(d.edges, e)
		}
	}
	if len(d.edges) > 1 {
		slices.SortFunc(d.edges, func(a, b edge) int {
			return cmp.Or(cmp.Compare(b.value, a.value), bytes.Compare(a.theirSkill[:], b.theirSkill[:]))
		})
	}
	d.coef = make([]float64, len(d.edges))
	var total float64
	for i, e := range d.edges {
		switch {
		case i == 0:
			d.coef[i] = 1
		case i <= 2:
			d.coef[i] = BreadthBonus
		}
		total += d.coef[i] * e.value
	}
	d.factor = total
	if total > 1 {
		d.factor = 1
		for i := range d.coef {
			d.coef[i] /= total
		}
	}
	return d
}

func (d direction) hasExact() bool {
	for _, e := range d.edges {
		if e.exact {
			return true
		}
	}
	return false
}

// pairInfo is what scoring knows of one side of a pair.
type pairInfo struct {
	languages []string
	zone      string
	slots     []domain.AvailabilitySlot
	intervals []interval
	lat, lon  *float64
	mode      domain.Mode
}

// scoreInput is everything that scores one candidate.
type scoreInput struct {
	userID      uuid.UUID
	edges       []edge
	viewer      *pairInfo
	them        pairInfo
	filter      Filter
	reliability Reliability
	createdAt   time.Time
	today       time.Time
}

// detail carries what a reason's text needs.
type detail struct {
	edge    edge
	text    string
	number  float64
	count   int
	minutes int
}

// explainer collects reasons when on (for the page only: scoring every candidate does not
// build them).
type explainer struct {
	on      bool
	reasons []Reason
}

func (x *explainer) add(code ReasonCode, weight float64, skill *uuid.UUID, d detail) {
	x.reasons = append(x.reasons, Reason{Code: code, Weight: weight, SkillID: skill, detail: d})
}

// score computes a match; with explain, also its reasons (texts are rendered by render) and the
// skill lists.
func score(in *scoreInput, explain bool) Match {
	m := Match{UserID: in.userID}
	x := explainer{on: explain}
	teach, learn := newDirection(in.edges, true), newDirection(in.edges, false)
	m.Mutual = teach.hasExact() && learn.hasExact()
	if x.on {
		for _, e := range teach.edges {
			m.TheyTeach = appendUnique(m.TheyTeach, e.theirSkill)
		}
		for _, e := range learn.edges {
			m.YouTeach = appendUnique(m.YouTeach, e.mySkill)
		}
		if m.Mutual {
			x.add(ReasonMutual, MutualPoints, nil, detail{})
		}
		explainSkills(&x, teach, WeightTheyTeach)
		explainSkills(&x, learn, WeightYouTeach)
	}

	// Language.
	lang := UnknownLanguage
	if len(in.viewer.languages) > 0 && len(in.them.languages) > 0 {
		lang = 0
		if shared := sharedLanguages(in.viewer.languages, in.them.languages); len(shared) > 0 {
			lang = 1
			if x.on {
				x.add(ReasonSharedLanguage, QualityPoints*WeightLanguage, nil, detail{text: strings.Join(shared, ", ")})
			}
		} else if x.on {
			x.add(ReasonNoSharedLanguage, 0, nil, detail{})
		}
	}

	// Availability.
	avail := UnknownAvailability
	if len(in.viewer.slots) > 0 && len(in.them.slots) > 0 {
		m.OverlapMinutesPerWeek = overlapMinutes(in.viewer.intervals, in.them.intervals)
		avail = math.Min(float64(m.OverlapMinutesPerWeek), FullOverlapMinutes) / FullOverlapMinutes
		switch {
		case !x.on:
		case m.OverlapMinutesPerWeek > 0:
			x.add(ReasonAvailabilityOverlap, QualityPoints*WeightAvailability*avail, nil, detail{minutes: m.OverlapMinutesPerWeek})
		default:
			x.add(ReasonNoAvailabilityOverlap, 0, nil, detail{})
		}
	}

	dist := distanceFactor(in, &m, &x)

	// Reliability.
	rel := scoreReliability(in.reliability, in.today)
	if x.on {
		explainReliability(&x, in, rel)
	}

	quality := WeightTheyTeach*teach.factor + WeightYouTeach*learn.factor + WeightLanguage*lang +
		WeightAvailability*avail + WeightDistance*dist + WeightReliability*rel.total()
	s := QualityPoints * quality
	if m.Mutual {
		s += MutualPoints
	} else {
		s = math.Min(s, maxOneWay)
	}
	m.Score = round2(s)
	if x.on {
		for i := range x.reasons {
			x.reasons[i].Weight = round2(x.reasons[i].Weight)
		}
		slices.SortStableFunc(x.reasons, func(a, b Reason) int { return cmp.Compare(b.Weight, a.Weight) })
		m.Reasons = x.reasons
	}
	return m
}

// explainSkills attributes a direction's points to its skills. The best edge's points are split
// between the skill (half of its value) and the level fit (the other half); further skills
// carry their breadth bonus.
func explainSkills(x *explainer, d direction, weight float64) {
	for i, e := range d.edges {
		pts := QualityPoints * weight * d.coef[i] * e.value
		if pts == 0 {
			continue
		}
		skill := e.theirSkill
		code := ReasonYouTeachWhatTheyWant
		if e.theyTeach {
			code = ReasonTheyTeachWhatYouWant
		}
		if !e.exact {
			code = ReasonRelatedSkill
		}
		if i > 0 {
			x.add(code, pts, &skill, detail{edge: e})
			continue
		}
		rf := 1.0
		if !e.exact {
			rf = RelatedFactor
		}
		skillPts := QualityPoints * weight * d.coef[i] * rf * 0.5
		x.add(code, skillPts, &skill, detail{edge: e})
		levelCode := ReasonLevelGapGood
		switch g := e.gap(); {
		case g < 0:
			levelCode = ReasonLevelBelowTarget
		case g >= 2:
			levelCode = ReasonLevelGapWide
		}
		x.add(levelCode, pts-skillPts, &skill, detail{edge: e})
	}
}

func explainReliability(x *explainer, in *scoreInput, rel reliabilityScore) {
	r := in.reliability
	if r.RatingCount >= 3 && rel.bayes >= 4.2 && rel.completion >= 0.85 {
		pts := QualityPoints * WeightReliability * (shareRating*rel.rating + shareCompletion*rel.completion + shareResponse*rel.response)
		// The text shows the plain mean people expect; ranking uses the Bayesian one.
		x.add(ReasonReliablePartner, pts, nil, detail{number: r.RatingSum / float64(r.RatingCount), count: r.RatingCount})
	}
	switch {
	case rel.idleDays >= 0 && rel.idleDays <= ActiveDays:
		x.add(ReasonRecentlyActive, QualityPoints*WeightReliability*shareActivity*rel.activity, nil, detail{})
	case rel.idleDays > 60:
		x.add(ReasonInactive, 0, nil, detail{count: rel.idleDays})
	}
	if r.RatingCount == 0 && r.Completed == 0 && !in.createdAt.IsZero() && in.today.Sub(in.createdAt) < NewMemberDays*24*time.Hour {
		x.add(ReasonNewMember, 0, nil, detail{})
	}
}

// distanceFactor scores proximity. It only counts when both members can meet in person (and the
// filter does not ask for online): then a nearby partner is a bonus, and when the pair can only
// meet in person (either is IN_PERSON only, or the filter asks for in person or a maximum
// distance) distance is decisive. Otherwise the factor is neutral (0.5).
func distanceFactor(in *scoreInput, m *Match, x *explainer) float64 {
	const neutral = 0.5
	filterOnline := in.filter.Mode != nil && *in.filter.Mode == domain.ModeOnline
	if in.viewer.mode == domain.ModeOnline || in.them.mode == domain.ModeOnline || filterOnline {
		return neutral
	}
	onlyInPerson := in.viewer.mode == domain.ModeInPerson || in.them.mode == domain.ModeInPerson ||
		(in.filter.Mode != nil && *in.filter.Mode == domain.ModeInPerson) || in.filter.MaxDistanceKm != nil
	if in.viewer.lat == nil || in.viewer.lon == nil || in.them.lat == nil || in.them.lon == nil {
		if onlyInPerson {
			return 0.3
		}
		return neutral
	}
	d := HaversineKm(*in.viewer.lat, *in.viewer.lon, *in.them.lat, *in.them.lon)
	// Exposed rounded to whole kilometres (at least 1): never exact coordinates.
	km := math.Max(1, math.Round(d))
	m.DistanceKm = &km
	prox := math.Exp(-d / ProximityScaleKm)
	f := prox
	if !onlyInPerson {
		f = neutral + neutral*prox
	}
	switch {
	case !x.on:
	case d <= NearbyKm:
		x.add(ReasonNearby, QualityPoints*WeightDistance*f, nil, detail{number: km})
	case onlyInPerson && d > FarKm:
		x.add(ReasonFarAway, 0, nil, detail{number: km})
	}
	return f
}

// HaversineKm is the great-circle distance between two WGS 84 points, in kilometres.
func HaversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const earthRadiusKm = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

func sharedLanguages(a, b []string) []string {
	var out []string
	for _, l := range a {
		if slices.Contains(b, l) && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func appendUnique(ids []uuid.UUID, id uuid.UUID) []uuid.UUID {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// levelName is a level for people: "Advanced".
func levelName(l domain.Level) string {
	s := strings.ToLower(string(l))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// render fills each reason's Text, with skill names from names (English).
func render(reasons []Reason, names map[uuid.UUID]string) {
	name := func(id uuid.UUID) string {
		if n, ok := names[id]; ok {
			return n
		}
		return "a skill"
	}
	for i := range reasons {
		r := &reasons[i]
		d, e := r.detail, r.detail.edge
		switch r.Code {
		case ReasonMutual:
			r.Text = "You can swap: each of you teaches something the other wants to learn."
		case ReasonTheyTeachWhatYouWant:
			r.Text = fmt.Sprintf("Teaches %s at %s level; you want to reach %s.", name(e.theirSkill), levelName(e.theirLevel), levelName(e.myLevel))
		case ReasonYouTeachWhatTheyWant:
			r.Text = fmt.Sprintf("Wants to learn %s up to %s; you teach it at %s level.", name(e.theirSkill), levelName(e.theirLevel), levelName(e.myLevel))
		case ReasonRelatedSkill:
			if e.theyTeach {
				r.Text = fmt.Sprintf("Teaches %s, related to %s that you want to learn.", name(e.theirSkill), name(e.mySkill))
			} else {
				r.Text = fmt.Sprintf("Wants to learn %s, related to %s that you teach.", name(e.theirSkill), name(e.mySkill))
			}
		case ReasonLevelGapGood, ReasonLevelGapWide, ReasonLevelBelowTarget:
			r.Text = levelText(r.Code, e, name(e.theirSkill))
		case ReasonSharedLanguage:
			r.Text = fmt.Sprintf("You share a language (%s).", d.text)
		case ReasonNoSharedLanguage:
			r.Text = "You have no language in common."
		case ReasonAvailabilityOverlap:
			r.Text = fmt.Sprintf("Your weekly availabilities overlap by %s.", hoursMinutes(d.minutes))
		case ReasonNoAvailabilityOverlap:
			r.Text = "Your weekly availabilities do not overlap."
		case ReasonNearby:
			r.Text = fmt.Sprintf("About %.0f km away.", d.number)
		case ReasonFarAway:
			r.Text = fmt.Sprintf("About %.0f km away, and you can only meet in person.", d.number)
		case ReasonReliablePartner:
			r.Text = fmt.Sprintf("Reliable partner: rated %.1f/5 over %d reviews.", d.number, d.count)
		case ReasonRecentlyActive:
			r.Text = "Active in the last week."
		case ReasonInactive:
			r.Text = fmt.Sprintf("Not active for %d days.", d.count)
		case ReasonNewMember:
			r.Text = "New member: no track record yet."
		}
	}
}

func levelText(code ReasonCode, e edge, skill string) string {
	who, goal := "Their", "your"
	teacher, target := e.theirLevel, e.myLevel
	if !e.theyTeach {
		who, goal = "Your", "their"
		teacher, target = e.myLevel, e.theirLevel
	}
	switch code {
	case ReasonLevelGapGood:
		return fmt.Sprintf("%s %s level in %s suits %s %s goal.", who, levelName(teacher), skill, goal, levelName(target))
	case ReasonLevelGapWide:
		return fmt.Sprintf("%s %s level in %s is well above %s %s goal.", who, levelName(teacher), skill, goal, levelName(target))
	}
	return fmt.Sprintf("%s %s level in %s is below %s %s goal.", who, levelName(teacher), skill, goal, levelName(target))
}

func hoursMinutes(min int) string {
	h, m := min/60, min%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}
