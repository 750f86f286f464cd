package chat

import (
	"context"
	"encoding/json"
	"fmt"
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
func (s *Service) Stream(ctx context.Context, viewer, convID uuid.UUID, afterSeq *int64) (<-chan *domain.Message, error) {
	a, err := access(ctx, s.store.Q(), convID, viewer)
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
	wake, release, err := s.hub.Subscribe(ctx, realtime.ConversationTopic(convID))
	if err != nil {
		return nil, fmt.Errorf("stream messages: %w", err)
	}
	ch := make(chan *domain.Message)
	p := &pump{
		s: s, convID: convID, out: ch, wake: wake, last: last, known: last,
		pending: map[int64]domain.Message{},
		// Messages committed after `last` was read and before the subscription took effect have
		// no wake-up coming: always start with a read of PostgreSQL (the replay).
		behind: true,
	}
	go func() {
		defer close(ch)
		defer release()
		p.run(ctx)
	}()
	return ch, nil
}

const (
	// replayPage is how many messages one catch-up read fetches.
	replayPage = 100
	// maxPending bounds the messages kept from wake-ups while the consumer is slow; beyond it
	// they are read again from PostgreSQL.
	maxPending = 256
	// retryAfter spaces catch-up reads after a database error.
	retryAfter = time.Second
)

// pump is one Stream's state, owned by its goroutine.
type pump struct {
	s      *Service
	convID uuid.UUID
	out    chan<- *domain.Message
	wake   <-chan []byte

	// last is the highest seq delivered; known the highest seq a wake-up announced.
	last, known int64
	// pending holds messages carried by wake-ups, by seq, until their turn.
	pending map[int64]domain.Message
	// behind means PostgreSQL may hold messages no wake-up will announce (start, dropped or
	// undecodable wake-ups, periodic resync).
	behind bool
}

func (p *pump) run(ctx context.Context) {
	var tick <-chan time.Time
	if p.s.resync > 0 {
		t := time.NewTicker(p.s.resync)
		defer t.Stop()
		tick = t.C
	}
	for {
		if m, ok := p.pending[p.last+1]; ok {
			delete(p.pending, m.Seq)
			if !p.send(ctx, m) {
				return
			}
			continue
		}
		if p.behind || p.known > p.last {
			if !p.catchUp(ctx) {
				return
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case b, ok := <-p.wake:
			if !ok {
				return
			}
			p.note(b)
		case <-tick:
			p.behind = true
		}
	}
}

// send delivers m, reading wake-ups meanwhile so the hub's buffer does not overflow while the
// consumer is slow. It reports false when the stream must end.
func (p *pump) send(ctx context.Context, m domain.Message) bool {
	if m.Seq <= p.last {
		return true
	}
	for {
		select {
		case p.out <- &m:
			p.last = m.Seq
			return true
		case b, ok := <-p.wake:
			if !ok {
				return false
			}
			p.note(b)
		case <-ctx.Done():
			return false
		}
	}
}

// note records a wake-up.
func (p *pump) note(b []byte) {
	// The hub drops wake-ups for a subscriber whose buffer is full. If it was full when we took
	// this one, a later one may be gone: read PostgreSQL rather than trust the wake-ups.
	if len(p.wake)+1 >= cap(p.wake) {
		p.behind = true
	}
	var w wakeUp
	if err := json.Unmarshal(b, &w); err != nil {
		p.behind = true
		return
	}
	if w.Seq <= p.last {
		return
	}
	if w.Seq > p.known {
		p.known = w.Seq
	}
	if w.Message != nil && w.Message.Seq == w.Seq && w.Message.ConversationID == p.convID && len(p.pending) < maxPending {
		p.pending[w.Seq] = *w.Message
	}
}

// catchUp reads and delivers the next messages after last from PostgreSQL. It reports false
// when the stream must end.
func (p *pump) catchUp(ctx context.Context) bool {
	knownBefore := p.known
	p.behind = false
	msgs, err := p.s.store.Q().MessagesAfter(ctx, p.convID, p.last, replayPage)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		p.s.log.WarnContext(ctx, "chat stream: catch up", "conversation_id", p.convID, "after_seq", p.last, "err", err)
		p.behind = true
		select {
		case <-ctx.Done():
			return false
		case <-time.After(retryAfter):
			return true
		}
	}
	for _, m := range msgs {
		if !p.send(ctx, m) {
			return false
		}
	}
	for seq := range p.pending {
		if seq <= p.last {
			delete(p.pending, seq)
		}
	}
	if len(msgs) == replayPage {
		p.behind = true
	} else if p.known == knownBefore && p.known > p.last {
		// PostgreSQL is the truth: a seq announced but absent there (it cannot be, as wake-ups
		// follow commits) must not make us spin.
		p.known = p.last
	}
	return true
}

// ConversationUpdated delivers events about viewer's conversations (new ones, messages added,
// edited or deleted, read position and mute changes from their other devices) until ctx ends.
// Events are hints for refreshing lists: one lost while Redis restarts is repaired by the next
// or by reloading the list.
func (s *Service) ConversationUpdated(ctx context.Context, viewer uuid.UUID) (<-chan *domain.ConversationEvent, error) {
	wake, release, err := s.hub.Subscribe(ctx, realtime.UserConversationsTopic(viewer))
	if err != nil {
		return nil, fmt.Errorf("subscribe conversation updates: %w", err)
	}
	return forward(ctx, wake, release, func(ev domain.ConversationEvent) bool { return ev.ConversationID != uuid.Nil }), nil
}

// Typing tells convID's other participants that viewer is typing. It goes through the broker
// only: nothing is stored.
func (s *Service) Typing(ctx context.Context, viewer, convID uuid.UUID) error {
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

// TypingStream delivers who is typing in convID (never viewer themself) until ctx ends.
func (s *Service) TypingStream(ctx context.Context, viewer, convID uuid.UUID) (<-chan *domain.TypingEvent, error) {
	if _, err := access(ctx, s.store.Q(), convID, viewer); err != nil {
		return nil, fmt.Errorf("typing stream: %w", err)
	}
	wake, release, err := s.hub.Subscribe(ctx, realtime.TypingTopic(convID))
	if err != nil {
		return nil, fmt.Errorf("typing stream: %w", err)
	}
	return forward(ctx, wake, release, func(ev domain.TypingEvent) bool {
		return ev.UserID != viewer && ev.ConversationID == convID
	}), nil
}

// forward decodes JSON wake-ups into T and delivers those keep accepts until ctx ends, then
// closes the channel and releases the hub interest.
func forward[T any](ctx context.Context, wake <-chan []byte, release func(), keep func(T) bool) <-chan *T {
	ch := make(chan *T)
	go func() {
		defer close(ch)
		defer release()
		for {
			select {
			case <-ctx.Done():
				return
			case b, ok := <-wake:
				if !ok {
					return
				}
				var v T
				if json.Unmarshal(b, &v) != nil || !keep(v) {
					continue
				}
				select {
				case ch <- &v:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch
}
