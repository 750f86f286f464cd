package resolvers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/relay"
)

// cursorNotifications is the cursor kind of the notification feed (keyed by UUIDv7 id, which
// orders by creation).
const cursorNotifications = "notifications"

func (r *queryResolver) notifications(ctx context.Context, first *int, after *string, unreadOnly *bool) (*model.NotificationConnection, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	page, err := relay.ParsePage[uuid.UUID](cursorNotifications, first, after)
	if err != nil {
		return nil, err
	}
	list, err := r.Resolver.Notifications.Feed(ctx, v.User.ID, page.After, page.Limit(), unreadOnly != nil && *unreadOnly)
	if err != nil {
		return nil, err
	}
	edges, info := relay.Slice(cursorNotifications, page, list, func(n domain.Notification) uuid.UUID { return n.ID })
	out := &model.NotificationConnection{PageInfo: toPageInfo(info), Edges: make([]model.NotificationEdge, len(edges))}
	for i, e := range edges {
		dataloaders.For(ctx).Notifications.Prime(e.Node.ID, e.Node)
		out.Edges[i] = model.NotificationEdge{Cursor: e.Cursor, Node: &edges[i].Node}
	}
	// Counted only when asked for: a plain field of the generated model has no resolver of its own.
	if selects(ctx, "unreadCount") {
		if out.UnreadCount, err = dataloaders.For(ctx).UnreadNotifications.Load(ctx, v.User.ID); err != nil {
			return nil, fmt.Errorf("count unread notifications: %w", err)
		}
	}
	return out, nil
}

func (r *queryResolver) unreadNotificationCount(ctx context.Context) (int, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return 0, err
	}
	n, err := dataloaders.For(ctx).UnreadNotifications.Load(ctx, v.User.ID)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return n, nil
}

func (r *mutationResolver) markNotificationsRead(ctx context.Context, in model.MarkNotificationsReadInput) (*model.MarkNotificationsReadPayload, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var marked int64
	if in.Ids != nil {
		ids := make([]uuid.UUID, len(in.Ids))
		for i, gid := range in.Ids {
			if ids[i], err = relay.ParseID(relay.KindNotification, gid, fmt.Sprintf("ids.%d", i)); err != nil {
				return nil, err
			}
		}
		marked, err = r.Notifications.MarkRead(ctx, v.User.ID, ids)
	} else {
		var upTo *uuid.UUID
		if upTo, err = optionalID(relay.KindNotification, in.UpTo, "upTo"); err != nil {
			return nil, err
		}
		marked, err = r.Notifications.MarkAllRead(ctx, v.User.ID, upTo)
	}
	if err != nil {
		return nil, err
	}
	unread, err := r.Notifications.UnreadCount(ctx, v.User.ID)
	if err != nil {
		return nil, err
	}
	return &model.MarkNotificationsReadPayload{MarkedCount: int(marked), UnreadCount: unread}, nil
}

func (r *mutationResolver) setNotificationPreference(ctx context.Context, in model.SetNotificationPreferenceInput) (*model.SetNotificationPreferencePayload, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	p, err := r.Notifications.SetPreference(ctx, v.User.ID, domain.NotificationPreference{Type: in.Type, InApp: in.InApp, Email: in.Email})
	if err != nil {
		return nil, err
	}
	return &model.SetNotificationPreferencePayload{Preference: &p}, nil
}

func (r *subscriptionResolver) notificationAdded(ctx context.Context, after *string) (<-chan *domain.Notification, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	id, err := optionalID(relay.KindNotification, after, "after")
	if err != nil {
		return nil, err
	}
	ch, err := r.Notifications.Stream(ctx, v.User.ID, id)
	if err != nil {
		return nil, err
	}
	return ch, nil
}

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
