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

// notificationPreferenceID is the id of the viewer's preference for one type. A preference is
// only ever read by its own member (notificationPreferences, setNotificationPreference are
// @auth and answer the caller's), so the caller names the member.
func notificationPreferenceID(ctx context.Context, p *domain.NotificationPreference) string {
	return relay.DerivedID(relay.KindNotificationPreference, auth.ActorFrom(ctx).ID().String(), string(p.Type))
}
