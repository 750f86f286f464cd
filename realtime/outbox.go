package realtime

import (
	"context"
	"sync"
)

// Delivery is how a transport consumes a subscription without parking a goroutine on its
// channel. A transport that supports it puts one in the context a subscription resolver runs
// with (WithDelivery); the Outbox the resolver creates attaches to it, says when a value (or the
// channel's close) is waiting, and hears when the transport has written a value out. With ten
// thousand idle subscriptions, this is the difference between ten thousand blocked goroutines
// and none.
type Delivery interface {
	// Attach is called by the subscription's outbox. From then on the transport receives from the
	// channel only after Ready, once per Ready, and calls consumed after writing each value. It
	// returns false if another outbox already attached (that one then delivers on its own).
	Attach(consumed func()) bool
	// Ready says one value, or the channel's close, is waiting.
	Ready()
}

type deliveryKey struct{}

// WithDelivery returns ctx carrying d for the subscription resolved with it.
func WithDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}

// Outbox is a subscription's bounded queue of outgoing values, fed from callbacks (hub wake-ups,
// database reads) rather than by a goroutine per subscription. Offer never blocks: when the
// queue is full it refuses, and the producer hears through onRoom when the client has taken a
// value. Under a transport with Delivery no goroutine exists between deliveries; elsewhere
// (server-sent events, tests reading the channel) one goroutine bridges the queue to the
// channel.
//
// A resolver makes the outbox, subscribes its sources, and calls Start only once it is sure to
// succeed: a resolver returning an error must not leave a delivery attached that will never
// be told anything.
type Outbox[T any] struct {
	mu      sync.Mutex
	q       chan *T
	queued  int
	closed  bool
	started bool
	ready   func()
	onRoom  func()
	out     <-chan *T
}

// NewOutbox returns an outbox of capacity values. onRoom (may be nil) is called, without locks
// held, each time the consumer has taken a value.
func NewOutbox[T any](capacity int, onRoom func()) *Outbox[T] {
	return &Outbox[T]{q: make(chan *T, capacity), onRoom: onRoom}
}

// Start attaches the outbox to the subscription's transport and returns the channel the resolver
// returns; values offered before are delivered first. The channel closes after Close, once the
// values before it are taken.
func (o *Outbox[T]) Start(ctx context.Context) <-chan *T {
	o.mu.Lock()
	if o.started {
		o.mu.Unlock()
		return o.out
	}
	o.started = true
	if d, ok := ctx.Value(deliveryKey{}).(Delivery); ok && d.Attach(o.consumed) {
		o.ready, o.out = d.Ready, o.q
		pending := o.queued
		if o.closed {
			pending++
		}
		o.mu.Unlock()
		for range pending {
			d.Ready()
		}
		return o.q
	}
	out := make(chan *T)
	o.out = out
	o.mu.Unlock()
	go o.bridge(ctx, out)
	return out
}

// bridge hands queued values to a consumer that blocks on the channel.
func (o *Outbox[T]) bridge(ctx context.Context, out chan<- *T) {
	defer close(out)
	for {
		select {
		case v, ok := <-o.q:
			if !ok {
				return
			}
			select {
			case out <- v:
				o.consumed()
			case <-ctx.Done():
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// Offer queues v unless the outbox is full or closed, and reports whether it did.
func (o *Outbox[T]) Offer(v *T) bool {
	o.mu.Lock()
	if o.closed || o.queued >= cap(o.q) {
		o.mu.Unlock()
		return false
	}
	o.q <- v
	o.queued++
	ready := o.ready
	o.mu.Unlock()
	if ready != nil {
		ready()
	}
	return true
}

// Room reports how many more values Offer would accept now.
func (o *Outbox[T]) Room() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return 0
	}
	return cap(o.q) - o.queued
}

// Close ends the stream after the values already queued. It is safe to call more than once.
func (o *Outbox[T]) Close() {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.closed = true
	close(o.q)
	ready := o.ready
	o.mu.Unlock()
	if ready != nil {
		ready()
	}
}

func (o *Outbox[T]) consumed() {
	o.mu.Lock()
	o.queued--
	o.mu.Unlock()
	if o.onRoom != nil {
		o.onRoom()
	}
}
