package chat_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
)

func TestNewMessageWhileAwayNotifiesInTheSameTransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice, bob := e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)
	live, err := e.notes.Stream(ctx, as(bob), nil)
	if err != nil {
		t.Fatal(err)
	}

	m := e.send(t, alice, conv.ID, "are you there?")
	var pushed *domain.Notification
	select {
	case pushed = <-live:
	case <-time.After(5 * time.Second):
		t.Fatal("no live notification")
	}
	if pushed.Type != domain.NotificationNewMessage || pushed.UserID != bob {
		t.Fatalf("pushed %+v", pushed)
	}
	var payload domain.NewMessagePayload
	if err := json.Unmarshal(pushed.Payload, &payload); err != nil || payload.MessageID != m.ID || payload.ConversationID != conv.ID {
		t.Fatalf("payload %s (%v)", pushed.Payload, err)
	}
	// The sender is present (they just wrote): nothing for them.
	if feed, _ := nodes(e.notes.Feed(ctx, as(alice), false, relay.Page[uuid.UUID]{First: 10})); len(feed) != 0 {
		t.Fatalf("the sender got %d notifications", len(feed))
	}

	// More messages while Bob is still away coalesce into the one unread notification.
	e.send(t, alice, conv.ID, "hello?")
	e.send(t, alice, conv.ID, "hello??")
	feed, err := nodes(e.notes.Feed(ctx, as(bob), true, relay.Page[uuid.UUID]{First: 10}))
	if err != nil || len(feed) != 1 || feed[0].ID != pushed.ID {
		t.Fatalf("bob's unread feed: %+v, %v", feed, err)
	}
	noMore(t, live)

	// Reading the conversation reads its notification, and makes Bob present.
	if _, err := e.chat.MarkRead(ctx, as(bob), conv.ID, 3); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.notes.UnreadCount(ctx, as(bob)); n != 0 {
		t.Fatalf("unread notifications after reading the conversation: %d", n)
	}
	e.send(t, alice, conv.ID, "while bob reads")
	noMore(t, live)

	// Later he is away again: a new notification.
	e.clock.Advance(3 * time.Minute)
	e.send(t, alice, conv.ID, "gone?")
	select {
	case n := <-live:
		if n.ID == pushed.ID {
			t.Fatal("the read notification came again")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification once away again")
	}
}

func TestNewMessageNotificationHonoursMuteAndPreferences(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, carol := e.user(t), e.user(t), e.user(t)
	withBob := e.direct(t, alice, bob)
	withCarol := e.direct(t, alice, carol)

	if _, err := e.chat.Mute(ctx, as(bob), withBob.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.notes.SetPreference(ctx, as(carol), domain.NotificationPreference{Type: domain.NotificationNewMessage, InApp: false}); err != nil {
		t.Fatal(err)
	}
	e.send(t, alice, withBob.ID, "muted")
	e.send(t, alice, withCarol.ID, "opted out")
	for _, u := range []uuid.UUID{bob, carol} {
		if n, err := e.notes.UnreadCount(ctx, as(u)); err != nil || n != 0 {
			t.Fatalf("member notified despite mute/preference: %d (%v)", n, err)
		}
	}
	// A mute that ended notifies again.
	until := e.clock.Now().Add(time.Minute)
	if _, err := e.chat.Mute(ctx, as(bob), withBob.ID, true, &until); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute)
	e.send(t, alice, withBob.ID, "unmuted by time")
	if n, _ := e.notes.UnreadCount(ctx, as(bob)); n != 1 {
		t.Fatalf("bob has %d notifications after his mute ended, want 1", n)
	}
}
