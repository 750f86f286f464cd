package matching

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// CircleEdge is one teaching link of a circle.
type CircleEdge struct {
	TeacherID, LearnerID, SkillID uuid.UUID
}

// Circle is a three-member swap: the viewer teaches B, B teaches C, C teaches the viewer.
type Circle struct {
	// Members: the viewer, B, C.
	Members [3]uuid.UUID
	// Edges: viewer→B, B→C, C→viewer.
	Edges [3]CircleEdge
	// Score, 0..100: 75 × the mean fit of the three edges (see edgeValue) + 25 × a language
	// common to all three (1; 0.5 when someone lists none; 0 otherwise).
	Score float64
}

// Circle score weights.
const (
	circleWeightEdges    = 75.0
	circleWeightLanguage = 25.0
)

// SwapCircles returns up to first (1..100) three-member cycles (the actor teaches B, B teaches
// C, C teaches the actor) over exact skills, best first (score desc, then B, then C). It is a
// short list of the best, not a connection: there is no next page to ask for, hence a plain
// size rather than a relay.Page.
//
// Rule: circles are offered only to a member who has no direct mutual match (as Matches would
// return it, after exclusions); a member with at least one gets an empty list, since a direct
// swap is simpler. B and C pass the exclusions of Matches (active, not HIDDEN, no block with the
// viewer or with each other, meeting modes compatible pairwise).
func (s *Service) SwapCircles(ctx context.Context, actor domain.Actor, first int) ([]Circle, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	viewerID := actor.ID()
	if first < 1 || first > relay.MaxPageSize {
		return nil, domain.Invalid("first", "must be between 1 and %d", relay.MaxPageSize)
	}
	q := s.store.Reader(ctx) // heavy and read-only: the replica when it has the viewer's writes
	v, err := s.loadViewer(ctx, q, viewerID)
	if err != nil {
		return nil, fmt.Errorf("swap circles: %w", err)
	}
	keys := buildKeys(v.skills, true, nil)
	var offers, wants bool
	for _, k := range keys {
		offers = offers || !k.TheyTeach
		wants = wants || k.TheyTeach
	}
	if !offers || !wants {
		return []Circle{}, nil
	}
	day := today(s.now())
	points := keyPoints(keys)

	mutual, err := s.candidates(ctx, q, candidateQuery{
		viewerID: viewerID, keys: keys, preLimit: preLimit, limit: 1,
		seed: seed(viewerID, day), mutualOnly: true,
	})
	if err != nil {
		return nil, fmt.Errorf("swap circles: %w", err)
	}
	if len(mutual) > 0 {
		return []Circle{}, nil
	}

	gapPoints := make([]int32, 0, 7)
	for gap := -3; gap <= 3; gap++ {
		gapPoints = append(gapPoints, int32(math.Round(1000*edgeValue(true, gap))))
	}
	mk := make([]store.MatchKey, len(keys))
	for i, k := range keys {
		mk[i] = k.MatchKey
	}
	rows, err := q.SwapCircleCandidates(ctx, store.SwapCircleQuery{
		ViewerID: viewerID, Keys: mk, Points: points, GapPoints: gapPoints,
		SideLimit: circleSideLimit, Limit: circlePairLimit, Seed: seed(viewerID, day),
	})
	if err != nil {
		return nil, fmt.Errorf("swap circles: %w", err)
	}

	mine := map[uuid.UUID]domain.Level{} // viewer's level per (exact) skill; offers and wants never share a skill
	for _, sk := range v.skills {
		mine[sk.SkillID] = sk.Level
	}
	circles := make([]Circle, 0, len(rows))
	for _, r := range rows {
		if !modesMeet(v.profile.Mode, r.BMode) || !modesMeet(r.BMode, r.CMode) || !modesMeet(r.CMode, v.profile.Mode) {
			continue
		}
		ab := edgeValue(true, mine[r.ABSkill].Rank()-r.BWantRank)
		bc := edgeValue(true, r.BOfferRank-r.CWantRank)
		ca := edgeValue(true, r.COfferRank-mine[r.CASkill].Rank())
		circles = append(circles, Circle{
			Members: [3]uuid.UUID{viewerID, r.B, r.C},
			Edges: [3]CircleEdge{
				{TeacherID: viewerID, LearnerID: r.B, SkillID: r.ABSkill},
				{TeacherID: r.B, LearnerID: r.C, SkillID: r.BCSkill},
				{TeacherID: r.C, LearnerID: viewerID, SkillID: r.CASkill},
			},
			Score: round2(circleWeightEdges*(ab+bc+ca)/3 + circleWeightLanguage*commonLanguage(v.profile.Languages, r.BLanguages, r.CLanguages)),
		})
	}
	slices.SortFunc(circles, func(a, b Circle) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score),
			bytes.Compare(a.Members[1][:], b.Members[1][:]), bytes.Compare(a.Members[2][:], b.Members[2][:]))
	})
	return circles[:min(first, len(circles))], nil
}

// modesMeet reports whether two meeting modes leave a way to meet.
func modesMeet(a, b domain.Mode) bool {
	return !(a == domain.ModeOnline && b == domain.ModeInPerson) && !(a == domain.ModeInPerson && b == domain.ModeOnline)
}

// commonLanguage: 1 when a language is common to all, 0.5 when someone lists none, else 0.
func commonLanguage(sets ...[]string) float64 {
	for _, s := range sets {
		if len(s) == 0 {
			return UnknownLanguage
		}
	}
	for _, l := range sets[0] {
		all := true
		for _, s := range sets[1:] {
			all = all && slices.Contains(s, l)
		}
		if all {
			return 1
		}
	}
	return 0
}
