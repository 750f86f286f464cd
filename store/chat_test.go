package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// The database enforces the chat invariants itself, not only the Go code.
func TestChatConstraints(t *testing.T) {
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
