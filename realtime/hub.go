package realtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Hub shares one broker subscription per topic among all local subscribers of this instance and
// drops it when the last local subscriber leaves.
type Hub struct {
	broker Broker

	mu     sync.Mutex
	topics map[string]*hubTopic
}

type hubTopic struct {
	subs   map[*hubSub]struct{}
	cancel func()
	ready  chan struct{}
	err    error
}

// hubSub is one local subscriber: a queue (Subscribe) or a callback (SubscribeFunc).
type hubSub struct {
	ch chan []byte
	fn func([]byte)
}

// NewHub returns a hub over broker.
func NewHub(broker Broker) *Hub {
	return &Hub{broker: broker, topics: map[string]*hubTopic{}}
}

// subscriberBuffer bounds each local subscriber's queue. A subscriber that falls further behind
// misses wake-ups; since they only say "something changed", the next one makes it catch up.
const subscriberBuffer = 64

// Subscribe returns a channel of the topic's messages and a release function that must be called
// when the subscriber leaves (it closes the channel).
func (h *Hub) Subscribe(ctx context.Context, topic string) (<-chan []byte, func(), error) {
	sub := &hubSub{ch: make(chan []byte, subscriberBuffer)}
	release, err := h.add(ctx, topic, sub)
	if err != nil {
		return nil, nil, err
	}
	return sub.ch, release, nil
}

// SubscribeFunc calls fn with each of the topic's messages until release is called; no goroutine
// or queue is kept for the subscriber. fn runs on the broker's delivery goroutine, so it must not
// block, nor subscribe and wait for it (Redis confirms subscriptions on that goroutine); it may
// release or publish, and it may still be called once while release runs.
func (h *Hub) SubscribeFunc(ctx context.Context, topic string, fn func([]byte)) (release func(), err error) {
	return h.add(ctx, topic, &hubSub{fn: fn})
}

func (h *Hub) add(ctx context.Context, topic string, sub *hubSub) (func(), error) {
	h.mu.Lock()
	t, ok := h.topics[topic]
	if !ok {
		t = &hubTopic{subs: map[*hubSub]struct{}{}, ready: make(chan struct{})}
		h.topics[topic] = t
		go h.open(ctx, topic, t)
	}
	t.subs[sub] = struct{}{}
	h.mu.Unlock()

	select {
	case <-t.ready:
	case <-ctx.Done():
		h.release(topic, t, sub)
		return nil, ctx.Err()
	}
	if t.err != nil {
		h.release(topic, t, sub)
		return nil, t.err
	}
	var once sync.Once
	return func() { once.Do(func() { h.release(topic, t, sub) }) }, nil
}

func (h *Hub) open(ctx context.Context, topic string, t *hubTopic) {
	cancel, err := h.broker.Subscribe(context.WithoutCancel(ctx), topic, func(p []byte) { h.fanOut(topic, p) })
	h.mu.Lock()
	if err != nil {
		t.err = fmt.Errorf("hub subscribe %s: %w", topic, err)
		if h.topics[topic] == t {
			delete(h.topics, topic)
		}
	} else {
		t.cancel = cancel
		if len(t.subs) == 0 {
			// Everyone left while the broker subscription was being made.
			if h.topics[topic] == t {
				delete(h.topics, topic)
			}
			h.mu.Unlock()
			close(t.ready)
			cancel()
			return
		}
	}
	h.mu.Unlock()
	close(t.ready)
}

func (h *Hub) fanOut(topic string, payload []byte) {
	h.mu.Lock()
	t := h.topics[topic]
	if t == nil {
		h.mu.Unlock()
		return
	}
	var fns []func([]byte)
	for s := range t.subs {
		if s.fn != nil {
			fns = append(fns, s.fn)
			continue
		}
		select {
		case s.ch <- payload:
		default:
		}
	}
	h.mu.Unlock()
	// Callbacks run outside the lock: they may release or publish (see SubscribeFunc).
	for _, fn := range fns {
		fn(payload)
	}
}

func (h *Hub) release(topic string, t *hubTopic, sub *hubSub) {
	h.mu.Lock()
	if _, ok := t.subs[sub]; !ok {
		h.mu.Unlock()
		return
	}
	delete(t.subs, sub)
	if sub.ch != nil {
		close(sub.ch)
	}
	var cancel func()
	if len(t.subs) == 0 && t.cancel != nil {
		cancel = t.cancel
		t.cancel = nil
		if h.topics[topic] == t {
			delete(h.topics, topic)
		}
	}
	h.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// Topics returns how many topics hold a broker subscription (for metrics and leak tests).
func (h *Hub) Topics() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.topics)
}

// Subscribed reports whether topic has a local subscriber whose broker subscription is in
// effect, so that a message published from now on reaches it. Tests wait for it instead of
// sleeping before they publish.
func (h *Hub) Subscribed(topic string) bool {
	h.mu.Lock()
	t := h.topics[topic]
	h.mu.Unlock()
	if t == nil {
		return false
	}
	select {
	case <-t.ready:
	default:
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.topics[topic] == t && t.err == nil && len(t.subs) > 0
}

// Publish sends payload on topic through the broker.
func (h *Hub) Publish(ctx context.Context, topic string, payload []byte) error {
	return h.broker.Publish(ctx, topic, payload)
}

// PublishAll sends each publication through the broker, in one round trip when the broker can
// batch (Redis pipelining) and in order either way.
func (h *Hub) PublishAll(ctx context.Context, ps []Publication) error {
	if b, ok := h.broker.(BatchPublisher); ok {
		return b.PublishBatch(ctx, ps)
	}
	var errs []error
	for _, p := range ps {
		if err := h.broker.Publish(ctx, p.Topic, p.Payload); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
