package notifications_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/relay"
)

// The notification API end to end: a chat message to an away member creates a NEW_MESSAGE
// notification in the send's transaction, pushed live over a real graphql-transport-ws socket,
// listed in the feed, cleared by reading the conversation, and resumable after a reconnection.

const notificationFields = `id type read payload conversation { id } message { body } actor { id }`

type apiNotification struct {
	ID           string
	Type         string
	Read         bool
	Payload      string
	Conversation *struct{ ID string }
	Message      *struct{ Body string }
	Actor        *struct{ ID string }
}

func readNotification(t *testing.T, ws *apitest.WS) apiNotification {
	t.Helper()
	m := ws.Expect("next")
	var p struct {
		Data struct{ NotificationAdded apiNotification }
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Data.NotificationAdded.ID == "" {
		t.Fatalf("notificationAdded payload %s (%v)", m.Payload, err)
	}
	return p.Data.NotificationAdded
}

func unreadCount(t *testing.T, c *apitest.Client) int {
	t.Helper()
	var out struct{ UnreadNotificationCount int }
	apitest.Must(t, c.Do(t, `{ unreadNotificationCount }`, nil)).Decode(t, &out)
	return out.UnreadNotificationCount
}

func TestAPINotificationsForAnAwayMember(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	aliceTok, alice := srv.SignUp(t)
	bobTok, bob := srv.SignUp(t)

	var open struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	apitest.Must(t, alice.Do(t, `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`,
		map[string]any{"u": bobTok.User.ID})).Decode(t, &open)
	conv := open.OpenDirectConversation.Conversation.ID
	send := func(clientID, body string) {
		t.Helper()
		apitest.Must(t, alice.Do(t, `mutation($c: ID!, $k: String!, $b: String!) {
			sendMessage(input: {conversationId: $c, clientId: $k, body: $b}) { message { id } } }`,
			map[string]any{"c": conv, "k": clientID, "b": body}))
	}

	ws := srv.DialWS(t, "graphql-transport-ws")
	ws.Init(bobTok.AccessToken)
	ws.Expect("connection_ack")
	ws.Subscribe("n", `subscription { notificationAdded { `+notificationFields+` } }`, nil)
	bobID, err := relay.ParseID(relay.KindUser, bobTok.User.ID, "id")
	if err != nil {
		t.Fatal(err)
	}
	srv.WaitSubscribed(t, realtime.NotificationsTopic(bobID))

	// Bob never opened the conversation: he is away, so a message notifies him, live.
	send("n1", "are you there?")
	n := readNotification(t, ws)
	if n.Type != "NEW_MESSAGE" || n.Read || n.Conversation == nil || n.Conversation.ID != conv ||
		n.Actor == nil || n.Actor.ID != aliceTok.User.ID || n.Message == nil || n.Message.Body != "are you there?" {
		t.Fatalf("notification %+v", n)
	}
	// A burst makes one notification, not one per message.
	send("n2", "hello?")
	if m, err := ws.Read(300 * time.Millisecond); err == nil {
		t.Fatalf("second notification for one unread conversation: %s", m.Payload)
	}

	var feed struct {
		Notifications struct {
			Edges       []struct{ Node apiNotification }
			UnreadCount int
			PageInfo    struct{ HasNextPage bool }
		}
	}
	apitest.Must(t, bob.Do(t, `{ notifications(first: 10, unreadOnly: true) { edges { node { `+notificationFields+` } } unreadCount pageInfo { hasNextPage } } }`, nil)).Decode(t, &feed)
	if len(feed.Notifications.Edges) != 1 || feed.Notifications.Edges[0].Node.ID != n.ID || feed.Notifications.UnreadCount != 1 {
		t.Fatalf("feed %+v", feed)
	}
	if got := unreadCount(t, bob); got != 1 {
		t.Fatalf("unread %d, want 1", got)
	}

	// Only the owner sees a notification through node().
	var node struct{ Node *struct{ ID string } }
	apitest.Must(t, alice.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": n.ID})).Decode(t, &node)
	if node.Node != nil {
		t.Fatal("node(notification) visible to another member")
	}
	apitest.Must(t, bob.Do(t, `query($id: ID!) { node(id: $id) { id ... on Notification { type } } }`, map[string]any{"id": n.ID})).Decode(t, &node)
	if node.Node == nil || node.Node.ID != n.ID {
		t.Fatalf("node(notification) for its owner: %+v", node.Node)
	}

	// Reading the conversation reads its notification.
	apitest.Must(t, bob.Do(t, `mutation($c: ID!) { markConversationRead(input: {conversationId: $c}) { conversation { unreadCount } } }`,
		map[string]any{"c": conv}))
	if got := unreadCount(t, bob); got != 0 {
		t.Fatalf("unread %d after reading the conversation, want 0", got)
	}

	// Reconnect and resume after the last notification seen: nothing is missed. Bob is made
	// away again, a message arrives while he is disconnected, and the replay brings it.
	_ = ws.Conn.CloseNow()
	if _, err := srv.App.Pool.Exec(t.Context(), `UPDATE conversation_participants SET last_read_at = now() - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	send("n3", "while you were offline")
	ws = srv.DialWS(t, "graphql-transport-ws")
	ws.Init(bobTok.AccessToken)
	ws.Expect("connection_ack")
	ws.Subscribe("n", `subscription($after: ID) { notificationAdded(after: $after) { `+notificationFields+` } }`, map[string]any{"after": n.ID})
	missed := readNotification(t, ws)
	if missed.ID == n.ID || missed.Message == nil || missed.Message.Body != "while you were offline" {
		t.Fatalf("replayed %+v", missed)
	}

	var marked struct {
		MarkNotificationsRead struct{ MarkedCount, UnreadCount int }
	}
	apitest.Must(t, bob.Do(t, `mutation($ids: [ID!]) { markNotificationsRead(input: {ids: $ids}) { markedCount unreadCount } }`,
		map[string]any{"ids": []string{missed.ID}})).Decode(t, &marked)
	if marked.MarkNotificationsRead.MarkedCount != 1 || marked.MarkNotificationsRead.UnreadCount != 0 {
		t.Fatalf("mark read %+v", marked)
	}
	// Marking all is fine with nothing left.
	apitest.Must(t, bob.Do(t, `mutation { markNotificationsRead(input: {}) { markedCount } }`, nil))

	for _, tt := range []struct {
		ids   any
		field string
	}{
		{[]string{"not-an-id"}, "input.ids.0"},
		{[]string{}, "input.ids"},
	} {
		r := bob.Do(t, `mutation($ids: [ID!]) { markNotificationsRead(input: {ids: $ids}) { markedCount } }`, map[string]any{"ids": tt.ids})
		if r.Code() != "BAD_USER_INPUT" || r.Field() != tt.field {
			t.Fatalf("ids %v: %s", tt.ids, r.Raw)
		}
	}
}

func TestAPINotificationPreferences(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, c := srv.SignUp(t)
	type pref struct {
		Type         string
		InApp, Email bool
	}
	var out struct{ NotificationPreferences []pref }
	apitest.Must(t, c.Do(t, `{ notificationPreferences { type inApp email } }`, nil)).Decode(t, &out)
	if len(out.NotificationPreferences) < 2 || out.NotificationPreferences[0] != (pref{"NEW_MESSAGE", true, false}) {
		t.Fatalf("defaults %+v", out.NotificationPreferences)
	}
	var set struct {
		SetNotificationPreference struct{ Preference pref }
	}
	apitest.Must(t, c.Do(t, `mutation { setNotificationPreference(input: {type: NEW_MESSAGE, inApp: false, email: true}) { preference { type inApp email } } }`, nil)).Decode(t, &set)
	if set.SetNotificationPreference.Preference != (pref{"NEW_MESSAGE", false, true}) {
		t.Fatalf("set %+v", set)
	}
	apitest.Must(t, c.Do(t, `{ notificationPreferences { type inApp email } }`, nil)).Decode(t, &out)
	if out.NotificationPreferences[0] != (pref{"NEW_MESSAGE", false, true}) {
		t.Fatalf("after set %+v", out.NotificationPreferences)
	}
}
