package chat_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/chat"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
)

func TestOpenDirectIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user(t), e.user(t)

	// Both open it at once, from both sides: one conversation.
	const n = 8
	ids := make([]uuid.UUID, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			a, b := alice, bob
			if i%2 == 1 {
				a, b = bob, alice
			}
			c, err := e.chat.OpenDirect(ctx, as(a), b)
			ids[i], errs[i] = c.ID, err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("open %d returned %s, open 0 returned %s", i, ids[i], ids[0])
		}
	}
	parts, err := e.st.Q().ParticipantsByConversationIDs(ctx, []uuid.UUID{ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts[ids[0]]) != 2 {
		t.Fatalf("%d participants, want 2", len(parts[ids[0]]))
	}

	_, err = e.chat.OpenDirect(ctx, as(alice), alice)
	wantKind(t, err, domain.KindInvalid)
	_, err = e.chat.OpenDirect(ctx, as(alice), uuid.Must(uuid.NewV7()))
	wantKind(t, err, domain.KindNotFound)
}

func TestSendIsIdempotentOnClientID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)

	first, err := e.chat.Send(ctx, as(alice), conv.ID, "client-1", "hello", nil)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := e.chat.Send(ctx, as(alice), conv.ID, "client-1", "hello", nil)
	if err != nil {
		t.Fatal(err)
	}
	if retry.ID != first.ID || retry.Seq != 1 {
		t.Fatalf("sequential retry made %+v, want the original %+v", retry, first)
	}
	// The same client id from another sender is another message.
	if m, err := e.chat.Send(ctx, as(bob), conv.ID, "client-1", "hi", nil); err != nil || m.Seq != 2 {
		t.Fatalf("bob's message: %+v, %v", m, err)
	}

	// N concurrent retries of one send: one message, every caller gets it. The test holds the
	// conversation's row lock until all N have checked for the client id and wait for their seq,
	// so they really race on the insert.
	const n = 16
	lock, err := e.st.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, `SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE`, conv.ID); err != nil {
		t.Fatal(err)
	}
	got := make([]domain.Message, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = e.chat.Send(ctx, as(alice), conv.ID, "client-2", "again", nil) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := e.st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sends wait for the conversation lock", waiting, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if got[i].ID != got[0].ID {
			t.Fatalf("concurrent retry %d returned message %s, retry 0 returned %s", i, got[i].ID, got[0].ID)
		}
	}
	page, err := nodes(e.chat.Messages(ctx, as(alice), conv.ID, pageOf[int64](100)))
	if err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, page, 1, 3)
	convs, _ := e.st.Q().ConversationsByIDs(ctx, []uuid.UUID{conv.ID})
	if convs[conv.ID].LastSeq != 3 {
		t.Fatalf("last_seq = %d after rolled-back duplicates, want 3", convs[conv.ID].LastSeq)
	}
}

func TestSeqIsContiguousUnderConcurrentSends(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner := e.user(t)
	members := []uuid.UUID{e.user(t), e.user(t), e.user(t)}
	conv, err := e.chat.CreateGroup(ctx, as(owner), "Guitar club", members)
	if err != nil {
		t.Fatal(err)
	}
	senders := append([]uuid.UUID{owner}, members...)
	const each = 15
	var wg sync.WaitGroup
	errs := make(chan error, len(senders)*each)
	for _, s := range senders {
		wg.Go(func() {
			for range each {
				if _, err := e.chat.Send(ctx, as(s), conv.ID, uuid.NewString(), "note", nil); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	page, err := nodes(e.chat.Messages(ctx, as(owner), conv.ID, pageOf[int64](100)))
	if err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, page, 1, int64(len(senders)*each))
}

func TestOnlyParticipantsMayUseAConversation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, mallory := e.user(t), e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)
	m := e.send(t, alice, conv.ID, "private")
	zero := int64(0)

	cases := []struct {
		name string
		call func(viewer, convID uuid.UUID) error
	}{
		{"send", func(v, c uuid.UUID) error { _, err := e.chat.Send(ctx, as(v), c, "x", "hi", nil); return err }},
		{"messages", func(v, c uuid.UUID) error {
			_, err := nodes(e.chat.Messages(ctx, as(v), c, pageOf[int64](10)))
			return err
		}},
		{"conversation", func(v, c uuid.UUID) error { _, err := e.chat.Conversation(ctx, as(v), c); return err }},
		{"stream", func(v, c uuid.UUID) error { _, err := e.chat.Stream(ctx, as(v), c, &zero); return err }},
		{"typing", func(v, c uuid.UUID) error { return e.chat.Typing(ctx, as(v), c) }},
		{"typing stream", func(v, c uuid.UUID) error { _, err := e.chat.TypingStream(ctx, as(v), c); return err }},
		{"mark read", func(v, c uuid.UUID) error { _, err := e.chat.MarkRead(ctx, as(v), c, 1); return err }},
		{"mute", func(v, c uuid.UUID) error { _, err := e.chat.Mute(ctx, as(v), c, true, nil); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A stranger's conversation answers exactly as one that does not exist.
			hidden, missing := tc.call(mallory, conv.ID), tc.call(mallory, uuid.Must(uuid.NewV7()))
			wantKind(t, hidden, domain.KindNotFound)
			wantKind(t, missing, domain.KindNotFound)
			if he, me := domainErr(hidden), domainErr(missing); he.Message != me.Message || he.Field != me.Field {
				t.Fatalf("stranger's conversation %+v, missing one %+v", he, me)
			}
		})
	}
	_, err := e.chat.Edit(ctx, as(mallory), m.ID, "changed")
	wantKind(t, err, domain.KindNotFound)
	_, err = e.chat.Delete(ctx, as(mallory), m.ID)
	wantKind(t, err, domain.KindNotFound)
	if list, err := nodes(e.chat.Conversations(ctx, as(mallory), pageOf[chat.ConversationKey](10))); err != nil || len(list) != 0 {
		t.Fatalf("mallory lists %d conversations (%v)", len(list), err)
	}
}

func TestBlockedMembersCannotMessageEachOther(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, carol := e.user(t), e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)
	e.send(t, alice, conv.ID, "before the block")
	if err := e.st.Q().Block(ctx, bob, alice, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, from := range []uuid.UUID{alice, bob} {
		_, err := e.chat.Send(ctx, as(from), conv.ID, uuid.NewString(), "after", nil)
		wantKind(t, err, domain.KindForbidden)
		wantKind(t, e.chat.Typing(ctx, as(from), conv.ID), domain.KindForbidden)
	}
	// History stays readable.
	if page, err := nodes(e.chat.Messages(ctx, as(alice), conv.ID, pageOf[int64](10))); err != nil || len(page) != 1 {
		t.Fatalf("history: %d messages, %v", len(page), err)
	}
	if err := e.st.Q().Block(ctx, carol, alice, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := e.chat.OpenDirect(ctx, as(alice), carol)
	wantKind(t, err, domain.KindForbidden)
	_, err = e.chat.CreateGroup(ctx, as(alice), "group", []uuid.UUID{carol})
	wantKind(t, err, domain.KindForbidden)
}

func TestEditWindowAndTombstone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)

	m := e.send(t, alice, conv.ID, "helo")
	cases := []struct {
		name    string
		editor  uuid.UUID
		advance time.Duration
		body    string
		want    domain.Kind // 0: success
	}{
		{"sender within the window", alice, time.Minute, "hello", 0},
		{"other participant", bob, 0, "hijack", domain.KindForbidden},
		{"empty body", alice, 0, "   ", domain.KindInvalid},
		{"too long", alice, 0, strings.Repeat("é", domain.MaxMessageLength+1), domain.KindInvalid},
		{"sender just inside", alice, 13*time.Minute + 59*time.Second, "hello!", 0},
		{"sender after 15 minutes", alice, 2 * time.Second, "too late", domain.KindConflict},
	}
	for _, tc := range cases {
		e.clock.Advance(tc.advance)
		got, err := e.chat.Edit(ctx, as(tc.editor), m.ID, tc.body)
		if tc.want == 0 {
			if err != nil || got.Body != tc.body || got.EditedAt == nil {
				t.Fatalf("%s: %+v, %v", tc.name, got, err)
			}
			continue
		}
		if !domain.IsKind(err, tc.want) {
			t.Fatalf("%s: error %v, want kind %d", tc.name, err, tc.want)
		}
	}

	// Delete: sender only, tombstone keeps the seq, idempotent.
	_, err := e.chat.Delete(ctx, as(bob), m.ID)
	wantKind(t, err, domain.KindForbidden)
	d, err := e.chat.Delete(ctx, as(alice), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Deleted() || d.Body != "" || d.Seq != m.Seq {
		t.Fatalf("tombstone = %+v", d)
	}
	if again, err := e.chat.Delete(ctx, as(alice), m.ID); err != nil || !again.DeletedAt.Equal(*d.DeletedAt) {
		t.Fatalf("second delete: %+v, %v", again, err)
	}
	e.clock.Advance(-20 * time.Minute)
	_, err = e.chat.Edit(ctx, as(alice), m.ID, "resurrect")
	wantKind(t, err, domain.KindConflict)
	page, err := nodes(e.chat.Messages(ctx, as(bob), conv.ID, pageOf[int64](10)))
	if err != nil || len(page) != 1 || !page[0].Deleted() {
		t.Fatalf("history after delete: %+v, %v", page, err)
	}
	// A tombstone is not unread.
	items, err := nodes(e.chat.Conversations(ctx, as(bob), pageOf[chat.ConversationKey](10)))
	if err != nil || items[0].UnreadCount != 0 || items[0].LastMessage == nil || !items[0].LastMessage.Deleted() {
		t.Fatalf("bob's list: %+v, %v", items, err)
	}
}

func TestMessagesKeysetPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)
	for range 25 {
		e.send(t, alice, conv.ID, "m")
	}
	seq := func(n int64) *int64 { return &n }
	cases := []struct {
		name     string
		q        relay.Page[int64]
		from, to int64
		more     bool
	}{
		{"newest", relay.Page[int64]{First: 10}, 16, 25, true},
		{"before 16", relay.Page[int64]{Before: seq(16), First: 10}, 6, 15, true},
		{"before 6", relay.Page[int64]{Before: seq(6), First: 10}, 1, 5, false},
		{"after 0", relay.Page[int64]{After: seq(0), First: 10}, 1, 10, true},
		{"after 20", relay.Page[int64]{After: seq(20), First: 10}, 21, 25, false},
		{"exact fit", relay.Page[int64]{After: seq(15), First: 10}, 16, 25, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := e.chat.Messages(ctx, as(bob), conv.ID, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := nodes(conn, nil)
			wantSeqs(t, page, tc.from, tc.to)
			// More in the paging direction: older before a cursor (and on the newest page), newer after one.
			hasMore := conn.PageInfo.HasPreviousPage
			if tc.q.After != nil {
				hasMore = conn.PageInfo.HasNextPage
			}
			if hasMore != tc.more {
				t.Fatalf("HasMore = %v, want %v", hasMore, tc.more)
			}
		})
	}
	_, err := e.chat.Messages(ctx, as(bob), conv.ID, relay.Page[int64]{Before: seq(5), After: seq(1), First: 10})
	wantKind(t, err, domain.KindInvalid)
	_, err = e.chat.Messages(ctx, as(bob), conv.ID, relay.Page[int64]{First: 101})
	wantKind(t, err, domain.KindInvalid)
}

func TestConversationListUnreadCountsAndMarkRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, carol := e.user(t), e.user(t), e.user(t)
	withBob := e.direct(t, alice, bob)
	e.clock.Advance(time.Second)
	withCarol := e.direct(t, alice, carol)
	e.clock.Advance(time.Second)
	e.send(t, bob, withBob.ID, "1")
	e.send(t, bob, withBob.ID, "2")
	e.send(t, alice, withBob.ID, "mine is never unread")
	e.clock.Advance(time.Second)
	e.send(t, carol, withCarol.ID, "hey")

	items, err := nodes(e.chat.Conversations(ctx, as(alice), pageOf[chat.ConversationKey](10)))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Conversation.ID != withCarol.ID || items[1].Conversation.ID != withBob.ID {
		t.Fatalf("order: %+v", items)
	}
	// Alice's own message moved her read position past Bob's.
	if items[0].UnreadCount != 1 || items[1].UnreadCount != 0 {
		t.Fatalf("unread = %d, %d; want 1, 0", items[0].UnreadCount, items[1].UnreadCount)
	}
	if items[0].LastMessage == nil || items[0].LastMessage.Body != "hey" {
		t.Fatalf("last message: %+v", items[0].LastMessage)
	}
	bobItems, _ := nodes(e.chat.Conversations(ctx, as(bob), pageOf[chat.ConversationKey](10)))
	if bobItems[0].UnreadCount != 1 {
		t.Fatalf("bob unread = %d, want 1", bobItems[0].UnreadCount)
	}

	// Keyset: one per page.
	page1, err := nodes(e.chat.Conversations(ctx, as(alice), pageOf[chat.ConversationKey](1)))
	if err != nil || len(page1) != 1 {
		t.Fatal(err)
	}
	cur := chat.ConversationKey{ActivityAt: page1[0].Conversation.ActivityAt, ID: page1[0].Conversation.ID}
	page2, err := nodes(e.chat.Conversations(ctx, as(alice), relay.Page[chat.ConversationKey]{First: 1, After: &cur}))
	if err != nil || len(page2) != 1 || page2[0].Conversation.ID != withBob.ID {
		t.Fatalf("page 2: %+v, %v", page2, err)
	}

	p, err := e.chat.MarkRead(ctx, as(alice), withCarol.ID, 99)
	if err != nil || p.LastReadSeq != 1 {
		t.Fatalf("mark read past the end: %+v, %v", p, err)
	}
	if p, err = e.chat.MarkRead(ctx, as(alice), withCarol.ID, 0); err != nil || p.LastReadSeq != 1 {
		t.Fatalf("read position moved back: %+v, %v", p, err)
	}
	unread, _ := e.st.Q().UnreadCountsByConversationIDs(ctx, alice, []uuid.UUID{withCarol.ID, withBob.ID})
	if unread[withCarol.ID] != 0 || unread[withBob.ID] != 0 {
		t.Fatalf("unread after mark read: %v", unread)
	}
	if p, err := e.chat.Mute(ctx, as(alice), withCarol.ID, true, nil); err != nil || !p.IsMuted(time.Now()) {
		t.Fatalf("mute: %+v, %v", p, err)
	}
	past := time.Now().Add(-time.Hour)
	_, err = e.chat.Mute(ctx, as(alice), withCarol.ID, true, &past)
	wantKind(t, err, domain.KindInvalid)
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)
	bad := "http://example.com/x.png"
	good := "https://cdn.example.com/x.png"
	cases := []struct {
		name, clientID, body string
		att                  *string
		field                string
	}{
		{"empty body", "c1", "  ", nil, "body"},
		{"too long", "c2", strings.Repeat("a", 4001), nil, "body"},
		{"no client id", "", "hi", nil, "clientId"},
		{"spaces in client id", "a b", "hi", nil, "clientId"},
		{"http attachment", "c3", "hi", &bad, "attachmentUrl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.chat.Send(ctx, as(alice), conv.ID, tc.clientID, tc.body, tc.att)
			var de *domain.Error
			if !domain.IsKind(err, domain.KindInvalid) || !asDomain(err, &de) || de.Field != tc.field {
				t.Fatalf("error %v, want BAD_USER_INPUT on %s", err, tc.field)
			}
		})
	}
	m, err := e.chat.Send(ctx, as(alice), conv.ID, "c4", "", &good)
	if err != nil || m.AttachmentURL == nil || *m.AttachmentURL != good {
		t.Fatalf("attachment only: %+v, %v", m, err)
	}
	if m, err := e.chat.Send(ctx, as(alice), conv.ID, "c5", strings.Repeat("é", 4000), nil); err != nil || len([]rune(m.Body)) != 4000 {
		t.Fatalf("4000 characters: %v", err)
	}
}
