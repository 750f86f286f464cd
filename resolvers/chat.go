package resolvers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/relay"
)

// viewerParticipant finds the viewer's participation in a conversation through the loader, so a
// list of conversations asking for `muted` costs one statement, not one per row.
func viewerParticipant(ctx context.Context, convID uuid.UUID) (*domain.Participant, error) {
	actor, err := auth.RequireActor(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := dataloaders.For(ctx).Participants.Load(ctx, convID)
	if err != nil {
		return nil, fmt.Errorf("load participants: %w", err)
	}
	for i := range ps {
		if ps[i].UserID == actor.ID() {
			return &ps[i], nil
		}
	}
	return nil, nil
}

// visibleConversation loads a conversation the viewer takes part in; nil when it is gone or they
// do not (a notification about a conversation they have since left).
func visibleConversation(ctx context.Context, convID uuid.UUID) (*domain.Conversation, error) {
	p, err := viewerParticipant(ctx, convID)
	if err != nil || p == nil {
		return nil, err
	}
	c, err := dataloaders.Conversation(ctx, convID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// visibleMessage loads a message whose conversation the viewer takes part in; nil otherwise.
func visibleMessage(ctx context.Context, id uuid.UUID) (*domain.Message, error) {
	m, err := dataloaders.Message(ctx, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if p, err := viewerParticipant(ctx, m.ConversationID); err != nil || p == nil {
		return nil, err
	}
	return &m, nil
}

// prefetchConversationUsers loads, in one users batch, the members a page of conversations
// shows: the senders of the last messages (known now) and the participants (one participants
// batch first). Left to the fields, the senders would be loaded in one round and the
// participants' accounts in the next, and whether the two rounds merge would depend on timing.
func prefetchConversationUsers(ctx context.Context, edges []relay.Edge[domain.ConversationItem]) error {
	senders := selectionPath(ctx, "edges", "node", "lastMessage", "sender") != nil
	members := selectionPath(ctx, "edges", "node", "participants", "user") != nil
	if (!senders && !members) || len(edges) == 0 {
		return nil
	}
	l := dataloaders.For(ctx)
	var users []uuid.UUID
	if senders {
		for _, e := range edges {
			if m := e.Node.LastMessage; m != nil {
				users = append(users, m.SenderID)
			}
		}
	}
	if members {
		ids := make([]uuid.UUID, len(edges))
		for i, e := range edges {
			ids[i] = e.Node.Conversation.ID
		}
		parts, err := dataloaders.Found(ctx, l.Participants, ids)
		if err != nil {
			return fmt.Errorf("load participants: %w", err)
		}
		for _, ps := range parts {
			for _, p := range ps {
				users = append(users, p.UserID)
			}
		}
	}
	l.Users.LoadAllThunk(ctx, users)
	return nil
}

// conversationPayload reloads a conversation after a change to the viewer's participation.
func (r *mutationResolver) conversationPayload(ctx context.Context, actor domain.Actor, cid uuid.UUID) (*model.MarkConversationReadPayload, error) {
	c, err := r.Chat.Conversation(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	return &model.MarkConversationReadPayload{Conversation: &c}, nil
}

// int64Field converts a seq for GraphQL's 32-bit Int; a conversation would need two billion
// messages to overflow it, which the API treats as an internal error rather than wrapping.
func int64Field(v int64) (int, error) {
	if v > math.MaxInt32 || v < math.MinInt32 {
		return 0, fmt.Errorf("value %d does not fit a GraphQL Int", v)
	}
	return int(v), nil
}

// mutedUntil is the viewer's mute end, nil when not muted or muted indefinitely.
func mutedUntil(p *domain.Participant, now time.Time) *time.Time {
	if p == nil || !p.IsMuted(now) {
		return nil
	}
	return p.MutedUntil
}

// blame names the input field a domain error without one is about (the message a FORBIDDEN or
// CONFLICT refers to), so every refused chat mutation carries extensions.field and a client can
// attach the error to what it submitted.
func blame(err error, field string) error {
	var de *domain.Error
	if !errors.As(err, &de) || de.Field != "" {
		return err
	}
	cp := *de
	cp.Field = field
	return &cp
}
