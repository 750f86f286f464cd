package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/realtime"
)

// Stream delivers convID's messages to a participant: those after afterSeq first (nil: only
// messages sent from now on), then live ones, in seq order, each exactly once. It subscribes to
// the conversation's topic before reading PostgreSQL, so nothing committed in between is missed;
// wake-ups only say "seq n exists", and any gap is read from PostgreSQL. The channel closes, and
// the hub interest is released, when ctx ends.
//
// A stream holds no goroutine while it waits: wake-ups arrive as hub callbacks, and a goroutine
// exists only while PostgreSQL is being read (see realtime.Outbox for the consumer side).
func (s *Service) Stream(ctx context.Context, actor domain.Actor, convID uuid.UUID, afterSeq *int64) (<-chan *domain.Message, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	a, err := access(ctx, s.store.Q(), convID, actor.ID())
	if err != nil {
		return nil, fmt.Errorf("stream messages: %w", err)
	}
	last := a.Conversation.LastSeq
	if afterSeq != nil {
		if *afterSeq < 0 || *afterSeq > last {
			return nil, domain.Invalid("afterSeq", "must be between 0 and the conversation's last seq (%d)", last)
		}
		last = *afterSeq
	}
	p := &pump{
		s: s, ctx: ctx, convID: convID, last: last, known: last,
		// Messages committed after `last` was read and before the subscription took effect have
		// no wake-up coming: always start with a read of PostgreSQL (the replay).
		behind: true,
	}
	p.out = realtime.NewOutbox[domain.Message](outboxSize, p.advance)
	release, err := s.hub.SubscribeFunc(ctx, realtime.ConversationTopic(convID), p.wake)
	if err != nil {
		p.out.Close()
		return nil, fmt.Errorf("stream messages: %w", err)
	}
	p.mu.Lock()
	p.release = release
	if s.resync > 0 {
		p.resync = time.AfterFunc(s.resync, p.resyncNow)
	}
	p.mu.Unlock()
	context.AfterFunc(ctx, p.stop)
	// The replay is read before returning, like any resolver's reads: once subscribed, only
	// wake-ups (and the gaps they reveal) cause reads.
	p.mu.Lock()
	p.reading = true
	p.mu.Unlock()
	p.catchUp()
	return p.out.Start(ctx), nil
}

const (
	// replayPage is how many messages one catch-up read fetches.
	replayPage = 100
	// outboxSize is how many messages may wait for the client's socket.
	outboxSize = 32
	// maxPending bounds the messages kept from wake-ups while the consumer is slow; beyond it
	// they are read again from PostgreSQL.
	maxPending = 256
	// retryAfter spaces catch-up reads after a database error.
	retryAfter = time.Second
)

// wakeDecoder decodes a conversation's wake-up once for all the streams of this instance: the
// hub hands each local subscriber the same payload, one after the other.
type wakeDecoder struct {
	mu   sync.Mutex
	last []byte
	w    wakeUp
	err  error
}

// decode returns b decoded, from the last call when b holds the same bytes. The message it
// carries is shared: readers copy it and never write through it.
func (d *wakeDecoder) decode(b []byte) (wakeUp, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last != nil && bytes.Equal(b, d.last) {
		return d.w, d.err
	}
	var w wakeUp
	err := json.Unmarshal(b, &w)
	d.last, d.w, d.err = b, w, err
	return w, err
}

// pump is one Stream's state. Its methods run on whatever goroutine brings news (a wake-up, the
// consumer taking a message, a timer) under mu; only reads of PostgreSQL get a goroutine.
type pump struct {
	s      *Service
	ctx    context.Context
	convID uuid.UUID
	out    *realtime.Outbox[domain.Message]

	mu      sync.Mutex
	release func()
	resync  *time.Timer
	retry   *time.Timer
	// last is the highest seq handed to the outbox; known the highest seq a wake-up announced.
	last, known int64
	// pending holds messages carried by wake-ups, by seq, until their turn.
	pending map[int64]domain.Message
	// behind means PostgreSQL may hold messages no wake-up will announce (start, undecodable or
	// dropped wake-ups, periodic resync).
	behind bool
	// reading is set while a catch-up goroutine runs; done once the stream has ended.
	reading, done bool
}

// wake records a wake-up from the hub.
func (p *pump) wake(b []byte) {
	w, err := p.s.wakes.decode(b)
	p.mu.Lock()
	switch {
	case err != nil:
		p.behind = true
	case w.Seq <= p.last:
	default:
		p.known = max(p.known, w.Seq)
		if w.Message != nil && w.Message.Seq == w.Seq && w.Message.ConversationID == p.convID {
			if p.pending == nil {
				p.pending = map[int64]domain.Message{}
			}
			if len(p.pending) < maxPending {
				p.pending[w.Seq] = *w.Message
			} else {
				p.behind = true
			}
		}
	}
	p.flushAndUnlock()
}

// advance hands what it can to the outbox; it runs when the consumer takes a message, and at
// the start.
func (p *pump) advance() {
	p.mu.Lock()
	p.flushAndUnlock()
}

func (p *pump) resyncNow() {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return
	}
	p.behind = true
	p.resync.Reset(p.s.resync)
	p.flushAndUnlock()
}

// flushAndUnlock hands what it can to the outbox, unlocks mu, and starts a catch-up read if one
// is needed.
func (p *pump) flushAndUnlock() {
	read := p.flushLocked()
	p.mu.Unlock()
	if read {
		go p.catchUp()
	}
}

// flushLocked moves in-order pending messages to the outbox and reports whether a catch-up read
// must start (the caller starts it after unlocking).
func (p *pump) flushLocked() bool {
	if p.done {
		return false
	}
	for {
		m, ok := p.pending[p.last+1]
		if !ok {
			break
		}
		if !p.out.Offer(&m) {
			// Full: the consumer's next take calls advance.
			return false
		}
		delete(p.pending, m.Seq)
		p.last = m.Seq
	}
	if p.reading || p.retry != nil || !(p.behind || p.known > p.last) || p.out.Room() == 0 {
		return false
	}
	p.reading = true
	return true
}

// catchUp reads the messages after last from PostgreSQL and hands them to the outbox, as many
// as fit, until nothing is missing or the outbox is full (the consumer's next take resumes it).
func (p *pump) catchUp() {
	for p.readOnce() {
	}
}

// readOnce is one catch-up read; it reports whether another must follow.
func (p *pump) readOnce() bool {
	p.mu.Lock()
	after, knownBefore := p.last, p.known
	p.behind = false
	p.mu.Unlock()

	msgs, err := p.s.store.Q().MessagesAfter(p.ctx, p.convID, after, replayPage)

	p.mu.Lock()
	defer p.mu.Unlock()
	p.reading = false
	if p.done {
		return false
	}
	if err != nil {
		p.behind = true
		p.s.log.WarnContext(p.ctx, "chat stream: catch up", "conversation_id", p.convID, "after_seq", after, "err", err)
		p.retry = time.AfterFunc(retryAfter, func() {
			p.mu.Lock()
			p.retry = nil
			p.mu.Unlock()
			p.advance()
		})
		return false
	}
	for i, m := range msgs {
		if m.Seq <= p.last {
			continue
		}
		if !p.out.Offer(&msgs[i]) {
			// The rest is read again when the consumer makes room.
			p.behind = true
			break
		}
		p.last = m.Seq
	}
	for seq := range p.pending {
		if seq <= p.last {
			delete(p.pending, seq)
		}
	}
	if len(msgs) == replayPage {
		p.behind = true
	} else if !p.behind && p.known == knownBefore && p.known > p.last {
		// PostgreSQL is the truth: a seq announced but absent there (it cannot be, as wake-ups
		// follow commits) must not make us spin.
		p.known = p.last
	}
	return p.flushLocked()
}

// stop ends the stream when its context ends.
func (p *pump) stop() {
	p.mu.Lock()
	p.done = true
	release := p.release
	if p.resync != nil {
		p.resync.Stop()
	}
	if p.retry != nil {
		p.retry.Stop()
	}
	p.mu.Unlock()
	if release != nil {
		release()
	}
	p.out.Close()
}

// ConversationUpdated delivers events about the actor's conversations (new ones, messages added,
// edited or deleted, read position and mute changes from their other devices) until ctx ends.
// Events are hints for refreshing lists: one lost while Redis restarts is repaired by the next
// or by reloading the list.
func (s *Service) ConversationUpdated(ctx context.Context, actor domain.Actor) (<-chan *domain.ConversationEvent, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	ch, err := forward(ctx, s.hub, realtime.UserConversationsTopic(actor.ID()), func(ev domain.ConversationEvent) bool { return ev.ConversationID != uuid.Nil })
	if err != nil {
		return nil, fmt.Errorf("subscribe conversation updates: %w", err)
	}
	return ch, nil
}

// Typing tells convID's other participants that the actor is typing. It goes through the broker
// only: nothing is stored.
func (s *Service) Typing(ctx context.Context, actor domain.Actor, convID uuid.UUID) error {
	if err := actor.RequireSignedIn(); err != nil {
		return err
	}
	viewer := actor.ID()
	a, err := access(ctx, s.store.Q(), convID, viewer)
	if err != nil {
		return fmt.Errorf("typing: %w", err)
	}
	if a.Blocked && a.Conversation.Kind == domain.ConversationDirect {
		return domain.Forbidden("you cannot message a member you blocked or who blocked you")
	}
	b, err := json.Marshal(domain.TypingEvent{ConversationID: convID, UserID: viewer, At: s.now()})
	if err != nil {
		return fmt.Errorf("typing: %w", err)
	}
	if err := s.hub.Publish(ctx, realtime.TypingTopic(convID), b); err != nil {
		return fmt.Errorf("typing: %w", err)
	}
	return nil
}

// TypingStream delivers who is typing in convID (never the actor themself) until ctx ends.
func (s *Service) TypingStream(ctx context.Context, actor domain.Actor, convID uuid.UUID) (<-chan *domain.TypingEvent, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	viewer := actor.ID()
	if _, err := access(ctx, s.store.Q(), convID, viewer); err != nil {
		return nil, fmt.Errorf("typing stream: %w", err)
	}
	ch, err := forward(ctx, s.hub, realtime.TypingTopic(convID), func(ev domain.TypingEvent) bool {
		return ev.UserID != viewer && ev.ConversationID == convID
	})
	if err != nil {
		return nil, fmt.Errorf("typing stream: %w", err)
	}
	return ch, nil
}

// forward decodes JSON wake-ups into T and delivers those keep accepts until ctx ends, then
// closes the channel and releases the hub interest. Events are hints: one arriving while the
// client's queue is full is dropped, like a wake-up lost while Redis restarts.
func forward[T any](ctx context.Context, hub *realtime.Hub, topic string, keep func(T) bool) (<-chan *T, error) {
	out := realtime.NewOutbox[T](eventOutboxSize, nil)
	release, err := hub.SubscribeFunc(ctx, topic, func(b []byte) {
		var v T
		if json.Unmarshal(b, &v) != nil || !keep(v) {
			return
		}
		out.Offer(&v)
	})
	if err != nil {
		out.Close()
		return nil, err
	}
	context.AfterFunc(ctx, func() {
		release()
		out.Close()
	})
	return out.Start(ctx), nil
}

// eventOutboxSize is how many conversation or typing events may wait for the client's socket.
const eventOutboxSize = 16
