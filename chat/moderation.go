package chat

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// HidePendingReview hides a message from everyone but its sender and staff, inside q's
// transaction (the report that crossed the threshold), and once q commits tells the
// conversation's participants with a MESSAGE_EDITED event, so open chats and conversation
// lists replace its content with a placeholder. A message already hidden or deleted is left as
// it is; an unknown one is NOT_FOUND.
func (s *Service) HidePendingReview(ctx context.Context, q *store.Queries, messageID uuid.UUID) error {
	m, changed, err := q.HideMessage(ctx, messageID, s.now())
	if err != nil {
		return fmt.Errorf("hide message: %w", err)
	}
	if !changed {
		return nil
	}
	return s.afterCommitParticipants(ctx, q, m, domain.ConversationMessageEdited)
}

// RevealAfterReview shows a message hidden pending review again (its case was decided
// NO_ACTION), inside q's transaction, and tells the participants once q commits. A message
// that is not hidden is left as it is.
func (s *Service) RevealAfterReview(ctx context.Context, q *store.Queries, messageID uuid.UUID) error {
	m, changed, err := q.RevealMessage(ctx, messageID)
	if err != nil {
		return fmt.Errorf("reveal message: %w", err)
	}
	if !changed {
		return nil
	}
	return s.afterCommitParticipants(ctx, q, m, domain.ConversationMessageEdited)
}
