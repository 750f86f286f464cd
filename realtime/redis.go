package realtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Broker over Redis pub/sub, shared by every instance.
//
// All of an instance's subscriptions share one Redis connection, read by one goroutine that calls
// the handlers: topics come and go with SUBSCRIBE and UNSUBSCRIBE on it. A connection per topic
// would hold two buffers (about 400 KiB of heap measured) and a few goroutines for every
// conversation with a local subscriber, and wake a goroutine per message and topic.
type Redis struct {
	client redis.UniversalClient
	ps     *redis.PubSub
	done   chan struct{}

	// writeMu orders the SUBSCRIBE and UNSUBSCRIBE commands written with their records in
	// topics; mu guards topics alone, so delivery never waits for a write.
	writeMu sync.Mutex
	mu      sync.Mutex
	topics  map[string]*redisTopic
}

// redisTopic is the local state of one Redis channel.
type redisTopic struct {
	handlers map[*redisHandler]struct{}
	// pending lists, in the order they were written, the SUBSCRIBE and UNSUBSCRIBE commands whose
	// confirmation has not arrived yet. Redis answers one connection's commands in order, so a
	// confirmation settles the oldest entry: a subscription is in effect once its own SUBSCRIBE
	// is confirmed, not an earlier one that an UNSUBSCRIBE has undone since.
	pending []redisPending
}

type redisPending struct {
	subscribe bool
	confirmed chan struct{} // closed on confirmation (subscribe only)
}

type redisHandler struct{ handle func([]byte) }

// redisSubscribeTimeout bounds how long Subscribe waits for Redis to confirm.
const redisSubscribeTimeout = 10 * time.Second

// redisIdlePing is how long the shared connection may stay silent before it is pinged, so a dead
// connection is found and replaced (go-redis reconnects and resubscribes when a write fails).
const redisIdlePing = 30 * time.Second

// NewRedis connects to the Redis at url (redis://host:port/db).
func NewRedis(ctx context.Context, url string) (*Redis, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	return NewRedisClient(ctx, redis.NewClient(opts))
}

// NewRedisClient returns a broker over client, which it owns from now on (Close closes it): one
// server, a Sentinel group (go-redis's failover client asks the sentinels for the master at
// every dial, so after a failover the shared connection is re-established on the new master and
// resubscribes) or a Cluster (plain PUBLISH reaches the subscribers of every node; sharded
// pub/sub is not used).
func NewRedisClient(ctx context.Context, client redis.UniversalClient) (*Redis, error) {
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("ping redis: %w", err)
	}
	r := &Redis{client: client, ps: client.Subscribe(context.WithoutCancel(ctx)), done: make(chan struct{}), topics: map[string]*redisTopic{}}
	go r.receive(context.WithoutCancel(ctx))
	return r, nil
}

// AddHook instruments the broker's Redis client (tracing's hook).
func (r *Redis) AddHook(h redis.Hook) { r.client.AddHook(h) }

// Publish implements Broker.
func (r *Redis) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := r.client.Publish(ctx, topic, payload).Err(); err != nil {
		return fmt.Errorf("redis publish %s: %w", topic, err)
	}
	return nil
}

// PublishBatch implements BatchPublisher with one pipelined round trip.
func (r *Redis) PublishBatch(ctx context.Context, ps []Publication) error {
	_, err := r.client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, p := range ps {
			pipe.Publish(ctx, p.Topic, p.Payload)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis publish %d messages: %w", len(ps), err)
	}
	return nil
}

// Subscribe implements Broker. It returns once Redis has confirmed the subscription, so every
// message published afterwards reaches handle. handle runs on the connection's reading
// goroutine, shared by all topics, so it must not block. After Redis restarts, go-redis
// reconnects and resubscribes; messages published meanwhile are lost, which callers tolerate by
// reading PostgreSQL.
func (r *Redis) Subscribe(ctx context.Context, topic string, handle func([]byte)) (func(), error) {
	h := &redisHandler{handle: handle}
	confirmed := make(chan struct{})
	// A SUBSCRIBE is written even when the topic has another handler (the hub replacing a
	// subscription it is dropping), so that this one knows when it is in effect.
	err := r.write(topic, redisPending{subscribe: true, confirmed: confirmed}, func(t *redisTopic) {
		t.handlers[h] = struct{}{}
	}, func() error { return r.ps.Subscribe(ctx, topic) })
	unsubscribe := func() { r.remove(topic, h) }
	if err != nil {
		unsubscribe()
		return nil, fmt.Errorf("redis subscribe %s: %w", topic, err)
	}
	timer := time.NewTimer(redisSubscribeTimeout)
	defer timer.Stop()
	select {
	case <-confirmed:
	case <-ctx.Done():
		unsubscribe()
		return nil, fmt.Errorf("redis subscribe %s: %w", topic, ctx.Err())
	case <-timer.C:
		unsubscribe()
		return nil, fmt.Errorf("redis subscribe %s: not confirmed within %s", topic, redisSubscribeTimeout)
	case <-r.done:
		unsubscribe()
		return nil, fmt.Errorf("redis subscribe %s: broker closed", topic)
	}
	var once sync.Once
	return func() { once.Do(unsubscribe) }, nil
}

// write records command p of topic (after update, which may change the topic's handlers) and
// then sends it with send. Commands are recorded in the order they are written, which is the
// order of their confirmations.
func (r *Redis) write(topic string, p redisPending, update func(*redisTopic), send func() error) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	r.mu.Lock()
	t := r.topics[topic]
	if t == nil {
		t = &redisTopic{handlers: map[*redisHandler]struct{}{}}
		r.topics[topic] = t
	}
	update(t)
	t.pending = append(t.pending, p)
	r.mu.Unlock()
	return send()
}

// remove drops handler h of topic, and the Redis subscription with the topic's last handler.
func (r *Redis) remove(topic string, h *redisHandler) {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	r.mu.Lock()
	t := r.topics[topic]
	if t == nil {
		r.mu.Unlock()
		return
	}
	delete(t.handlers, h)
	if len(t.handlers) > 0 {
		r.mu.Unlock()
		return
	}
	t.pending = append(t.pending, redisPending{})
	r.mu.Unlock()
	// A failed write needs no retry: go-redis has already dropped the channel from the set it
	// resubscribes after reconnecting, and the reader forgets the command with the connection.
	_ = r.ps.Unsubscribe(context.Background(), topic)
}

// receive reads the shared connection until the broker closes, calling the handlers of each
// message's topic and settling subscription confirmations.
func (r *Redis) receive(ctx context.Context) {
	defer close(r.done)
	var handlers []*redisHandler
	for {
		msg, err := r.ps.ReceiveTimeout(ctx, redisIdlePing)
		if err != nil {
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			var timeout interface{ Timeout() bool }
			if errors.As(err, &timeout) && timeout.Timeout() {
				// The answer arrives as a *redis.Pong; a failed write makes go-redis reconnect.
				_ = r.ps.Ping(ctx)
				continue
			}
			// The connection broke. go-redis reconnects on the next read and resubscribes every
			// channel that has a handler; the confirmations of commands written on the old
			// connection will never come.
			r.lostConnection()
			time.Sleep(100 * time.Millisecond)
			continue
		}
		switch m := msg.(type) {
		case *redis.Message:
			handlers = r.handlersOf(m.Channel, handlers[:0])
			if len(handlers) == 0 {
				continue
			}
			payload := []byte(m.Payload)
			for _, h := range handlers {
				h.handle(payload)
			}
			clear(handlers)
		case *redis.Subscription:
			r.confirm(m.Channel, m.Kind == "subscribe")
		}
	}
}

// handlersOf appends the handlers of topic to dst.
func (r *Redis) handlersOf(topic string, dst []*redisHandler) []*redisHandler {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.topics[topic]; t != nil {
		for h := range t.handlers {
			dst = append(dst, h)
		}
	}
	return dst
}

// confirm settles topic's oldest pending command when it is of the confirmed kind. Any other
// confirmation is go-redis resubscribing after a reconnect, or answers a command written on a
// connection that broke since: it settles nothing.
func (r *Redis) confirm(topic string, subscribe bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.topics[topic]
	if t == nil || len(t.pending) == 0 || t.pending[0].subscribe != subscribe {
		return
	}
	if c := t.pending[0].confirmed; c != nil {
		close(c)
	}
	t.pending = t.pending[1:]
	r.dropIfUnused(topic, t)
}

// lostConnection settles every pending command after the connection broke. Waiting subscribers
// are released: go-redis subscribes their topics again on the new connection, and what is
// published until then is lost to every subscriber alike.
func (r *Redis) lostConnection() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for topic, t := range r.topics {
		for _, p := range t.pending {
			if p.confirmed != nil {
				close(p.confirmed)
			}
		}
		t.pending = nil
		r.dropIfUnused(topic, t)
	}
}

// dropIfUnused forgets topic once it has neither handlers nor commands in flight. r.mu is held.
func (r *Redis) dropIfUnused(topic string, t *redisTopic) {
	if len(t.handlers) == 0 && len(t.pending) == 0 {
		delete(r.topics, topic)
	}
}

// Ping implements Broker.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Close implements Broker.
func (r *Redis) Close() error {
	err := r.ps.Close()
	<-r.done
	return errors.Join(err, r.client.Close())
}
