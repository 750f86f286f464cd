package moderation

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// DefaultHideThreshold is how many distinct members must report a message before it is hidden
// pending review: one report can be a grudge, three members agreeing rarely are.
const DefaultHideThreshold = 3

// MessageVisibility hides and reveals reported messages inside the caller's transaction and
// tells open chats once it commits; chat.Service implements it.
type MessageVisibility interface {
	HidePendingReview(ctx context.Context, q *store.Queries, messageID uuid.UUID) error
	RevealAfterReview(ctx context.Context, q *store.Queries, messageID uuid.UUID) error
}

// Safeguards configures what happens to reported content before a moderator decides (issue 16
// item 4).
type Safeguards struct {
	// Messages hides and reveals messages (nil: messages are never hidden).
	Messages MessageVisibility
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
	if c.TargetType != domain.TargetMessage || g.Messages == nil || g.HideThreshold < 0 {
		return nil
	}
	if c.ReporterCount+1 < g.HideThreshold {
		return nil
	}
	if err := g.Messages.HidePendingReview(ctx, q, c.TargetID); err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return fmt.Errorf("safeguards: %w", err)
	}
	return nil
}

// afterDecision ends the hiding of a message whose case was decided NO_ACTION. ACTION_TAKEN
// keeps it hidden: the sanction then removes it.
func (s *Service) afterDecision(ctx context.Context, q *store.Queries, c domain.ModerationCase) error {
	g := s.safeguards
	if c.TargetType != domain.TargetMessage || g.Messages == nil || c.Decision == nil || *c.Decision != domain.DecisionNoAction {
		return nil
	}
	if err := g.Messages.RevealAfterReview(ctx, q, c.TargetID); err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return fmt.Errorf("safeguards: %w", err)
	}
	return nil
}
