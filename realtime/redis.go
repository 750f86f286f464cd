package realtime

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Redis is a Broker over Redis pub/sub, shared by every instance.
type Redis struct {
	client *redis.Client
}

// NewRedis connects to the Redis at url (redis://host:port/db).
func NewRedis(ctx context.Context, url string) (*Redis, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	c := redis.NewClient(opts)
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("ping redis: %w", err)
	}
	return &Redis{client: c}, nil
}

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

// Subscribe implements Broker. go-redis reconnects the subscription by itself after Redis
// restarts; messages published meanwhile are lost, which callers tolerate by reading PostgreSQL.
func (r *Redis) Subscribe(ctx context.Context, topic string, handle func([]byte)) (func(), error) {
	ps := r.client.Subscribe(context.WithoutCancel(ctx), topic)
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("redis subscribe %s: %w", topic, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for msg := range ps.Channel() {
			handle([]byte(msg.Payload))
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = ps.Close()
			<-done
		})
	}, nil
}

// Ping implements Broker.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Close implements Broker.
func (r *Redis) Close() error { return r.client.Close() }
