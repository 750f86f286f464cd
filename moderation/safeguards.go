package moderation

import (
	"context"
	"fmt"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// DefaultHideThreshold is how many distinct members must report a message before it is hidden
// pending review: one report can be a grudge, three members agreeing rarely are.
const DefaultHideThreshold = 3

// Safeguards configures what happens to reported content before a moderator decides (issue 16
// item 4). Messages are hidden and revealed through Seams.HideMessage and Seams.RevealMessage
// (nil: messages are never hidden).
type Safeguards struct {
	// HideThreshold is the number of distinct reporters in one open case that hides a message
	// from everyone but its sender and staff until the case is decided (zero:
	// DefaultHideThreshold; negative: never hide).
	HideThreshold int
}

func (g Safeguards) withDefaults() Safeguards {
	if g.HideThreshold == 0 {
		g.HideThreshold = DefaultHideThreshold
	}
	return g
}

// afterReport applies the safeguards to case c, which report r has just joined (c as read
// before r counted, locked by this transaction): the report that brings a message's distinct
// reporters to the threshold hides it, in the same transaction.
func (s *Service) afterReport(ctx context.Context, q *store.Queries, c domain.ModerationCase) error {
	g := s.safeguards
	if c.TargetType != domain.TargetMessage || s.seams.HideMessage == nil || g.HideThreshold < 0 {
		return nil
	}
	if c.ReporterCount+1 < g.HideThreshold {
		return nil
	}
	if err := s.seams.HideMessage(ctx, q, c.TargetID); err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return fmt.Errorf("safeguards: %w", err)
	}
	return nil
}

// afterDecision ends the hiding of a message whose case was decided NO_ACTION. ACTION_TAKEN
// keeps it hidden: the sanction then removes it.
func (s *Service) afterDecision(ctx context.Context, q *store.Queries, c domain.ModerationCase) error {
	if c.TargetType != domain.TargetMessage || s.seams.RevealMessage == nil || c.Decision == nil || *c.Decision != domain.DecisionNoAction {
		return nil
	}
	if err := s.seams.RevealMessage(ctx, q, c.TargetID); err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return fmt.Errorf("safeguards: %w", err)
	}
	return nil
}
