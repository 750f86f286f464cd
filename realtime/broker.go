// Package realtime carries wake-ups between server instances: a Broker (Redis pub/sub, or in
// process when no Redis is configured) and a Hub that keeps one broker subscription per topic per
// instance and fans messages out to local subscribers.
//
// Delivery is at most once: PostgreSQL is the source of truth, and a message on a topic only tells
// subscribers that something changed.
package realtime

import (
	"context"
	"fmt"
)

// Broker publishes messages to topics and delivers them to subscribers on every instance.
type Broker interface {
	// Publish sends payload to every current subscriber of topic, on every instance.
	Publish(ctx context.Context, topic string, payload []byte) error
	// Subscribe delivers the messages of topic to handle until the returned cancel is called.
	// handle is called in publish order, on a goroutine the broker may share among all its
	// subscriptions (Redis does), so it must not block, nor wait for a new subscription.
	Subscribe(ctx context.Context, topic string, handle func(payload []byte)) (cancel func(), err error)
	// Ping reports whether the broker is reachable (readiness).
	Ping(ctx context.Context) error
	// Close releases the broker's connections.
	Close() error
}

// Publication is one message for one topic.
type Publication struct {
	Topic   string
	Payload []byte
}

// BatchPublisher is a Broker that can send several publications in one round trip.
type BatchPublisher interface {
	PublishBatch(ctx context.Context, ps []Publication) error
}

// UserTopic carries "this account changed" wake-ups.
func UserTopic(userID fmt.Stringer) string { return "user:" + userID.String() }

// SessionTopic carries "this login session was revoked" wake-ups, so open sockets close.
func SessionTopic(sessionID fmt.Stringer) string { return "session:" + sessionID.String() }
