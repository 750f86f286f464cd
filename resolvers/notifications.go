package resolvers

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
)

// cursorNotifications is the cursor kind of the notification feed (keyed by UUIDv7 id, which
// orders by creation).
const cursorNotifications = "notifications"

// notificationRef reads the uuid a notification's payload holds under one of keys (payloads are
// type-specific JSON objects written by the services).
func notificationRef(n *domain.Notification, keys ...string) (uuid.UUID, bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(n.Payload, &fields) != nil {
		return uuid.Nil, false
	}
	for _, k := range keys {
		var s string
		if raw, ok := fields[k]; ok && json.Unmarshal(raw, &s) == nil {
			if id, err := uuid.Parse(s); err == nil {
				return id, true
			}
		}
	}
	return uuid.Nil, false
}

// actorKeys are the payload keys naming the member who caused a notification.
var actorKeys = []string{"senderId", "actorId", "partnerId", "reviewerId", "proposerId"}

func notificationConversation(ctx context.Context, n *domain.Notification) (*domain.Conversation, error) {
	id, ok := notificationRef(n, "conversationId")
	if !ok {
		return nil, nil
	}
	return visibleConversation(ctx, id)
}

func notificationMessage(ctx context.Context, n *domain.Notification) (*domain.Message, error) {
	id, ok := notificationRef(n, "messageId")
	if !ok {
		return nil, nil
	}
	return visibleMessage(ctx, id)
}

func notificationActor(ctx context.Context, n *domain.Notification) (*domain.User, error) {
	id, ok := notificationRef(n, actorKeys...)
	if !ok {
		return nil, nil
	}
	u, err := dataloaders.User(ctx, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// nodeOf resolves the chat and notification kinds of Query.node, with the same access rules as
// their own queries; nil when the object does not exist or the caller may not see it.
func (r *queryResolver) nodeOf(ctx context.Context, kind string, id uuid.UUID) (relay.Node, bool, error) {
	switch kind {
	case relay.KindConversation:
		c, err := visibleConversation(ctx, id)
		if err != nil || c == nil {
			return nil, true, err
		}
		return c, true, nil
	case relay.KindMessage:
		m, err := visibleMessage(ctx, id)
		if err != nil || m == nil {
			return nil, true, err
		}
		return m, true, nil
	case relay.KindNotification:
		v, err := auth.RequireViewer(ctx)
		if err != nil {
			return nil, true, err
		}
		n, err := dataloaders.Notification(ctx, id)
		if domain.IsKind(err, domain.KindNotFound) || (err == nil && n.UserID != v.User.ID) {
			return nil, true, nil
		}
		if err != nil {
			return nil, true, err
		}
		return &n, true, nil
	}
	return nil, false, nil
}
