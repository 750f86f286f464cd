package chat_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/chat"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
)

func ptr[T any](v T) *T { return &v }

func TestStreamReplaysThenGoesLiveWithoutGapOrDuplicate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)
	for range 5 {
		e.send(t, alice, conv.ID, "before")
	}

	// Messages keep coming while the subscriber subscribes: the replay and the live part overlap.
	const more = 60
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range more {
			if _, err := e.chat.Send(context.Background(), as(alice), conv.ID, fmt.Sprint("live-", i), "live", nil); err != nil {
				t.Error(err)
				return
			}
		}
	})
	time.Sleep(5 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := e.chat.Stream(ctx, as(bob), conv.ID, ptr(int64(2)))
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, ch, 5+more-2, 10*time.Second)
	wg.Wait()
	wantSeqs(t, got, 3, 5+more)
	noMore(t, ch)

	// Without afterSeq: only what is sent from now on.
	live, err := e.chat.Stream(ctx, as(bob), conv.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := e.send(t, bob, conv.ID, "now")
	if got := collect(t, live, 1, 5*time.Second); got[0].ID != m.ID {
		t.Fatalf("live stream got %+v, want %+v", got[0], m)
	}
	_, err = e.chat.Stream(ctx, as(bob), conv.ID, ptr(int64(1000)))
	wantKind(t, err, domain.KindInvalid)
}

func TestStreamFillsGapsFromPostgres(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice, bob := e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)
	ch, err := e.chat.Stream(ctx, as(bob), conv.ID, ptr(int64(0)))
	if err != nil {
		t.Fatal(err)
	}
	// Once the stream is live (it delivered 1), messages 2..4 are committed with no wake-up (as
	// if Redis lost them); 5 arrives with one, announcing a gap.
	e.send(t, alice, conv.ID, "first")
	wantSeqs(t, collect(t, ch, 1, 5*time.Second), 1, 1)
	for i := range 3 {
		if _, err := e.st.Q().AppendMessage(ctx, domain.Message{
			ID: uuid.Must(uuid.NewV7()), ConversationID: conv.ID, SenderID: alice,
			ClientID: fmt.Sprint("silent-", i), Body: "silent", CreatedAt: time.Now(),
		}); err != nil {
			t.Fatal(err)
		}
	}
	noMore(t, ch)
	e.send(t, alice, conv.ID, "loud")
	wantSeqs(t, collect(t, ch, 4, 5*time.Second), 2, 5)
	noMore(t, ch)
}

func TestStreamSurvivesASlowConsumer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice, bob := e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)
	ch, err := e.chat.Stream(ctx, as(bob), conv.ID, ptr(int64(0)))
	if err != nil {
		t.Fatal(err)
	}
	// Far more wake-ups than the hub buffers while nobody reads.
	const n = 300
	for range n {
		e.send(t, alice, conv.ID, "flood")
	}
	wantSeqs(t, collect(t, ch, n, 20*time.Second), 1, n)
	noMore(t, ch)
}

func TestStreamAcrossTwoInstancesOverRedis(t *testing.T) {
	t.Parallel()
	url := testdb.New(t)
	a := newEnvOn(t, url, redisBroker(t), chat.Options{})
	b := newEnvOn(t, url, redisBroker(t), chat.Options{})
	alice, bob := a.user(t), a.user(t)
	conv := a.direct(t, alice, bob)

	ctx, cancel := context.WithCancel(context.Background())
	ch, err := b.chat.Stream(ctx, as(bob), conv.ID, ptr(int64(0)))
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for range n {
		a.send(t, alice, conv.ID, "across")
	}
	got := collect(t, ch, n, 10*time.Second)
	wantSeqs(t, got, 1, n)

	// Disconnect; messages are sent meanwhile; resubscribing with afterSeq gets exactly those.
	cancel()
	for range ch {
	}
	for range 7 {
		a.send(t, alice, conv.ID, "missed")
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	ch2, err := b.chat.Stream(ctx2, as(bob), conv.ID, ptr(lastSeq(got)))
	if err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, collect(t, ch2, 7, 10*time.Second), n+1, n+7)
	// And then live again, from the other instance.
	a.send(t, alice, conv.ID, "live")
	wantSeqs(t, collect(t, ch2, 1, 10*time.Second), n+8, n+8)
	noMore(t, ch2)
}

func TestStreamSubscribeCancelCyclesLeaveNoGoroutines(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user(t), e.user(t)
	conv := e.direct(t, alice, bob)
	e.send(t, alice, conv.ID, "warm up")
	// Warm the pool and the hub before the baseline.
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := e.chat.Stream(ctx, as(bob), conv.ID, ptr(int64(0)))
	if err != nil {
		t.Fatal(err)
	}
	collect(t, ch, 1, 5*time.Second)
	cancel()
	for range ch {
	}
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()

	for i := range 300 {
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := e.chat.Stream(ctx, as(bob), conv.ID, ptr(int64(0)))
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			<-ch // mid-delivery for some, abrupt for others
		}
		cancel()
		if i%50 == 0 {
			e.send(t, alice, conv.ID, "tick")
		}
		// Also the per-user and typing streams.
		ctx2, cancel2 := context.WithCancel(context.Background())
		if _, err := e.chat.ConversationUpdated(ctx2, as(bob)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.chat.TypingStream(ctx2, as(bob), conv.ID); err != nil {
			t.Fatal(err)
		}
		cancel2()
	}
	deadline := time.Now().Add(5 * time.Second)
	for (runtime.NumGoroutine() > before+2 || e.hub.Topics() != 0) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines %d -> %d after 300 subscribe/cancel cycles\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	if n := e.hub.Topics(); n != 0 {
		t.Fatalf("hub still holds %d topics", n)
	}
}

func TestConversationUpdatedAndTyping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice, bob := e.user(t), e.user(t)
	updates, err := e.chat.ConversationUpdated(ctx, as(bob))
	if err != nil {
		t.Fatal(err)
	}
	conv := e.direct(t, alice, bob)
	next := func() domain.ConversationEvent {
		t.Helper()
		select {
		case ev := <-updates:
			return *ev
		case <-time.After(5 * time.Second):
			t.Fatal("no conversation event")
			return domain.ConversationEvent{}
		}
	}
	if ev := next(); ev.Kind != domain.ConversationCreated || ev.ConversationID != conv.ID {
		t.Fatalf("event %+v", ev)
	}
	m := e.send(t, alice, conv.ID, "hi")
	if ev := next(); ev.Kind != domain.ConversationMessageAdded || ev.Message == nil || ev.Message.ID != m.ID || ev.Seq != 1 {
		t.Fatalf("event %+v", ev)
	}
	if _, err := e.chat.Edit(ctx, as(alice), m.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Kind != domain.ConversationMessageEdited || ev.Message.Body != "hello" {
		t.Fatalf("event %+v", ev)
	}
	if _, err := e.chat.Delete(ctx, as(alice), m.ID); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Kind != domain.ConversationMessageDeleted || !ev.Message.Deleted() {
		t.Fatalf("event %+v", ev)
	}
	if _, err := e.chat.MarkRead(ctx, as(bob), conv.ID, 1); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Kind != domain.ConversationRead {
		t.Fatalf("event %+v", ev)
	}

	typing, err := e.chat.TypingStream(ctx, as(bob), conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.chat.Typing(ctx, as(bob), conv.ID); err != nil { // own typing is not echoed
		t.Fatal(err)
	}
	if err := e.chat.Typing(ctx, as(alice), conv.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-typing:
		if ev.UserID != alice || ev.ConversationID != conv.ID {
			t.Fatalf("typing event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no typing event")
	}
	noMore(t, typing)
}
