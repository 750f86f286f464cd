package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// The database enforces the chat invariants itself, not only the Go code.
func TestChatConstraints(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	q := st.Q()
	a, b := newUser(t, q, "chat-a@example.com"), newUser(t, q, "chat-b@example.com")
	outsider := newUser(t, q, "chat-outsider@example.com")
	low, high := domain.DirectPair(a.ID, b.ID)
	now := time.Now().UTC()

	conv, created, err := q.InsertConversation(ctx, store.NewConversation{
		ID: uuid.Must(uuid.NewV7()), Kind: domain.ConversationDirect, CreatedAt: now, DirectLow: &low, DirectHigh: &high,
	})
	if err != nil || !created {
		t.Fatalf("insert direct: %v", err)
	}
	// The same pair again inserts nothing.
	if _, created, err := q.InsertConversation(ctx, store.NewConversation{
		ID: uuid.Must(uuid.NewV7()), Kind: domain.ConversationDirect, CreatedAt: now, DirectLow: &low, DirectHigh: &high,
	}); err != nil || created {
		t.Fatalf("second direct for one pair: created=%v, %v", created, err)
	}
	if err := q.AddParticipants(ctx, []domain.Participant{
		{ConversationID: conv.ID, UserID: a.ID, Role: domain.ParticipantMember, JoinedAt: now},
		{ConversationID: conv.ID, UserID: b.ID, Role: domain.ParticipantMember, JoinedAt: now},
	}); err != nil {
		t.Fatal(err)
	}
	msg := func(clientID, body string) domain.Message {
		return domain.Message{ID: uuid.Must(uuid.NewV7()), ConversationID: conv.ID, SenderID: a.ID, ClientID: clientID, Body: body, CreatedAt: now}
	}
	if m, err := q.AppendMessage(ctx, msg("c1", "hello")); err != nil || m.Seq != 1 {
		t.Fatalf("append message: %+v %v", m, err)
	}
	// Appending moves the sender's read position to their own message, not the others'.
	parts, err := q.ParticipantsByConversationIDs(ctx, []uuid.UUID{conv.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts[conv.ID] {
		if want := map[uuid.UUID]int64{a.ID: 1, b.ID: 0}[p.UserID]; p.LastReadSeq != want {
			t.Fatalf("%s read up to %d, want %d", p.UserID, p.LastReadSeq, want)
		}
	}

	bad := []struct {
		name string
		sql  string
		args []any
	}{
		{"direct without a pair", `INSERT INTO conversations (id, kind, created_at, activity_at) VALUES ($1, 'DIRECT', now(), now())`, []any{uuid.Must(uuid.NewV7())}},
		{"pair in the wrong order", `INSERT INTO conversations (id, kind, created_at, activity_at, direct_low, direct_high) VALUES ($1, 'DIRECT', now(), now(), $2, $3)`, []any{uuid.Must(uuid.NewV7()), high, low}},
		{"unknown kind", `INSERT INTO conversations (id, kind, created_at, activity_at) VALUES ($1, 'CHANNEL', now(), now())`, []any{uuid.Must(uuid.NewV7())}},
		{"unknown role", `UPDATE conversation_participants SET role = 'KING' WHERE user_id = $1`, []any{a.ID}},
		{"mute until without mute", `UPDATE conversation_participants SET muted_until = now() WHERE user_id = $1`, []any{a.ID}},
		{"duplicate seq", `INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at) VALUES ($1, $2, 1, $3, 'c9', 'x', now())`, []any{uuid.Must(uuid.NewV7()), conv.ID, b.ID}},
		{"body over 4000", `INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at) VALUES ($1, $2, 2, $3, 'c2', $4, now())`, []any{uuid.Must(uuid.NewV7()), conv.ID, a.ID, strings.Repeat("a", 4001)}},
		{"empty message", `INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at) VALUES ($1, $2, 2, $3, 'c2', '', now())`, []any{uuid.Must(uuid.NewV7()), conv.ID, a.ID}},
		{"http attachment", `INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, attachment_url, created_at) VALUES ($1, $2, 2, $3, 'c2', 'x', 'http://x', now())`, []any{uuid.Must(uuid.NewV7()), conv.ID, a.ID}},
		{"tombstone with content", `UPDATE messages SET deleted_at = now() WHERE conversation_id = $1`, []any{conv.ID}},
		{"notification type shape", `INSERT INTO notifications (id, user_id, type, created_at) VALUES ($1, $2, 'lower', now())`, []any{uuid.Must(uuid.NewV7()), a.ID}},
		{"notification payload not an object", `INSERT INTO notifications (id, user_id, type, payload, created_at) VALUES ($1, $2, 'NEW_MESSAGE', '[1]', now())`, []any{uuid.Must(uuid.NewV7()), a.ID}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := st.Pool().Exec(ctx, tc.sql, tc.args...); err == nil {
				t.Fatal("the database accepted it")
			}
		})
	}

	// Same client id from the same sender: refused as a whole, even outside a transaction, so no
	// seq is taken (idempotent retry).
	if _, err := q.AppendMessage(ctx, msg("c1", "again")); !errors.Is(err, store.ErrDuplicateMessage) {
		t.Fatalf("duplicate client id: %v", err)
	}
	// A member who is not a participant appends nothing, and takes no seq either.
	if _, err := q.AppendMessage(ctx, domain.Message{ID: uuid.Must(uuid.NewV7()), ConversationID: conv.ID, SenderID: outsider.ID, ClientID: "o1", Body: "hi", CreatedAt: now}); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("non-participant: %v", err)
	}
	if c, err := q.ConversationsByIDs(ctx, []uuid.UUID{conv.ID}); err != nil || c[conv.ID].LastSeq != 1 {
		t.Fatalf("last seq after refused appends: %+v, %v", c[conv.ID], err)
	}
	if next, err := q.AppendMessage(ctx, msg("c2", "next")); err != nil || next.Seq != 2 {
		t.Fatalf("next append: %+v, %v", next, err)
	}
	// A tombstone keeps its seq.
	m, err := q.MessageByClientID(ctx, conv.ID, a.ID, "c1")
	if err != nil {
		t.Fatal(err)
	}
	tomb, err := q.TombstoneMessage(ctx, m.ID, now)
	if err != nil || tomb.Body != "" || tomb.Seq != 1 || tomb.DeletedAt == nil {
		t.Fatalf("tombstone: %+v, %v", tomb, err)
	}
	if _, err := q.MessageByClientID(ctx, conv.ID, a.ID, "nope"); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("missing message: %v", err)
	}
}

func TestChatBatchLoaders(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	q := st.Q()
	a, b := newUser(t, q, "load-a@example.com"), newUser(t, q, "load-b@example.com")
	now := time.Now().UTC()
	var ids []uuid.UUID
	for i := range 3 {
		c, _, err := q.InsertConversation(ctx, store.NewConversation{ID: uuid.Must(uuid.NewV7()), Kind: domain.ConversationGroup, CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
		if err := q.AddParticipants(ctx, []domain.Participant{
			{ConversationID: c.ID, UserID: a.ID, Role: domain.ParticipantOwner, JoinedAt: now},
			{ConversationID: c.ID, UserID: b.ID, Role: domain.ParticipantMember, JoinedAt: now},
		}); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < i; j++ { // conversation i has i messages from b
			if _, err := q.AppendMessage(ctx, domain.Message{ID: uuid.Must(uuid.NewV7()), ConversationID: c.ID, SenderID: b.ID, ClientID: uuid.NewString(), Body: "m", CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
	missing := uuid.Must(uuid.NewV7())
	all := append([]uuid.UUID{missing}, ids...)
	convs, err := q.ConversationsByIDs(ctx, all)
	if err != nil || len(convs) != 3 {
		t.Fatalf("conversations: %d, %v", len(convs), err)
	}
	parts, err := q.ParticipantsByConversationIDs(ctx, all)
	if err != nil || len(parts[ids[0]]) != 2 || len(parts[missing]) != 0 {
		t.Fatalf("participants: %v, %v", parts, err)
	}
	last, err := q.LastMessagesByConversationIDs(ctx, all)
	if err != nil || len(last) != 2 || last[ids[2]].Seq != 2 || last[ids[1]].Seq != 1 {
		t.Fatalf("last messages: %v, %v", last, err)
	}
	unread, err := q.UnreadCountsByConversationIDs(ctx, a.ID, all)
	if err != nil || unread[ids[0]] != 0 || unread[ids[1]] != 1 || unread[ids[2]] != 2 {
		t.Fatalf("unread for a: %v, %v", unread, err)
	}
	// b's own messages are never unread for b.
	if unread, _ := q.UnreadCountsByConversationIDs(ctx, b.ID, all); unread[ids[2]] != 0 {
		t.Fatalf("unread for b: %v", unread)
	}
}

// TryAppendLive stores a message in one statement exactly when nothing else is needed: a current
// participant sends, no block stops a DIRECT message, nobody is to be notified and the client id
// is new. In every other case it writes nothing, takes no seq, and reports ok false.
func TestTryAppendLive(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	q := st.Q()
	now := time.Now().UTC()
	awaySince := now.Add(-time.Minute)
	n := 0
	user := func() domain.User {
		n++
		return newUser(t, q, fmt.Sprintf("live-%d@example.com", n))
	}
	// conversation makes a conversation of sender and other, where other has read it just now
	// (so is not away) unless arrange changes that.
	conversation := func(kind domain.ConversationKind, sender, other domain.User) domain.Conversation {
		nc := store.NewConversation{ID: uuid.Must(uuid.NewV7()), Kind: kind, CreatedAt: now}
		if kind == domain.ConversationDirect {
			low, high := domain.DirectPair(sender.ID, other.ID)
			nc.DirectLow, nc.DirectHigh = &low, &high
		}
		c, _, err := q.InsertConversation(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.AddParticipants(ctx, []domain.Participant{
			{ConversationID: c.ID, UserID: sender.ID, Role: domain.ParticipantMember, JoinedAt: now},
			{ConversationID: c.ID, UserID: other.ID, Role: domain.ParticipantMember, JoinedAt: now},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := q.MarkConversationRead(ctx, c.ID, other.ID, 0, now); err != nil {
			t.Fatal(err)
		}
		return c
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		kind    domain.ConversationKind
		arrange func(c domain.Conversation, sender, other domain.User) (from uuid.UUID)
		stored  bool
	}{
		{"group, the other has read", domain.ConversationGroup, nil, true},
		{"direct, the other has read", domain.ConversationDirect, nil, true},
		{"the other is away: to be notified", domain.ConversationGroup, func(c domain.Conversation, s, o domain.User) uuid.UUID {
			exec(`UPDATE conversation_participants SET last_read_at = NULL WHERE conversation_id = $1 AND user_id = $2`, c.ID, o.ID)
			return s.ID
		}, false},
		{"the other is away but muted", domain.ConversationGroup, func(c domain.Conversation, s, o domain.User) uuid.UUID {
			exec(`UPDATE conversation_participants SET last_read_at = NULL, muted = true WHERE conversation_id = $1 AND user_id = $2`, c.ID, o.ID)
			return s.ID
		}, true},
		{"the other is away with an unread notification of it", domain.ConversationGroup, func(c domain.Conversation, s, o domain.User) uuid.UUID {
			exec(`UPDATE conversation_participants SET last_read_at = NULL WHERE conversation_id = $1 AND user_id = $2`, c.ID, o.ID)
			key := domain.ConversationGroupKey(c.ID)
			if _, err := q.InsertNotifications(ctx, []domain.Notification{{ID: uuid.Must(uuid.NewV7()), UserID: o.ID,
				Type: domain.NotificationNewMessage, Payload: []byte(`{}`), GroupKey: &key, CreatedAt: now}}); err != nil {
				t.Fatal(err)
			}
			return s.ID
		}, true},
		{"a block in a direct conversation", domain.ConversationDirect, func(c domain.Conversation, s, o domain.User) uuid.UUID {
			if err := q.Block(ctx, o.ID, s.ID, now); err != nil {
				t.Fatal(err)
			}
			return s.ID
		}, false},
		{"a block in a group hides nothing", domain.ConversationGroup, func(c domain.Conversation, s, o domain.User) uuid.UUID {
			if err := q.Block(ctx, o.ID, s.ID, now); err != nil {
				t.Fatal(err)
			}
			return s.ID
		}, true},
		{"the sender has left", domain.ConversationGroup, func(c domain.Conversation, s, o domain.User) uuid.UUID {
			exec(`UPDATE conversation_participants SET left_at = now() WHERE conversation_id = $1 AND user_id = $2`, c.ID, s.ID)
			return s.ID
		}, false},
		{"the sender never took part", domain.ConversationGroup, func(c domain.Conversation, s, o domain.User) uuid.UUID {
			return user().ID
		}, false},
		{"the client id was used", domain.ConversationGroup, func(c domain.Conversation, s, o domain.User) uuid.UUID {
			if _, err := q.AppendMessage(ctx, domain.Message{ID: uuid.Must(uuid.NewV7()), ConversationID: c.ID, SenderID: s.ID, ClientID: "k", Body: "first", CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
			return s.ID
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sender, other := user(), user()
			c := conversation(tc.kind, sender, other)
			from := sender.ID
			if tc.arrange != nil {
				from = tc.arrange(c, sender, other)
			}
			before, err := q.ConversationsByIDs(ctx, []uuid.UUID{c.ID})
			if err != nil {
				t.Fatal(err)
			}
			m := domain.Message{ID: uuid.Must(uuid.NewV7()), ConversationID: c.ID, SenderID: from, ClientID: "k", Body: "hello", CreatedAt: now}
			sent, ok, err := q.TryAppendLive(ctx, m, awaySince, domain.ConversationGroupKey(c.ID))
			if err != nil || ok != tc.stored {
				t.Fatalf("ok = %v, %v; want %v", ok, err, tc.stored)
			}
			after, err := q.ConversationsByIDs(ctx, []uuid.UUID{c.ID})
			if err != nil {
				t.Fatal(err)
			}
			lastSeq := before[c.ID].LastSeq
			if !tc.stored {
				if after[c.ID].LastSeq != lastSeq {
					t.Fatalf("refused, yet last seq %d -> %d", lastSeq, after[c.ID].LastSeq)
				}
				return
			}
			want := []uuid.UUID{sender.ID, other.ID}
			slices.SortFunc(want, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
			if sent.Seq != lastSeq+1 || after[c.ID].LastSeq != sent.Seq || sent.Body != "hello" || sent.ID != m.ID || !slices.Equal(sent.Participants, want) {
				t.Fatalf("stored %+v (last seq %d -> %d), want seq %d to %v", sent, lastSeq, after[c.ID].LastSeq, lastSeq+1, want)
			}
			parts, err := q.ParticipantsByConversationIDs(ctx, []uuid.UUID{c.ID})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range parts[c.ID] {
				if p.UserID == sender.ID && p.LastReadSeq != sent.Seq {
					t.Fatalf("the sender's read position is %d, want their message's %d", p.LastReadSeq, sent.Seq)
				}
			}
		})
	}
}
