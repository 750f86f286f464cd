package auth

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
)

// sessionCache remembers, for a short TTL, which account an active session belongs to, so an
// authenticated request does not need a database round trip. Revocations and account changes
// evict entries at once on the instance that made them and, through the broker, on the others;
// if a broker message is lost, an entry still lives at most TTL: that is the bound on how long a
// revoked session can keep working elsewhere.
type sessionCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[uuid.UUID]cachedSession
}

type cachedSession struct {
	user    domain.User
	mfa     bool // the member has a second factor
	expires time.Time
}

func newSessionCache(ttl time.Duration, maxEntries int) *sessionCache {
	return &sessionCache{ttl: ttl, max: maxEntries, entries: map[uuid.UUID]cachedSession{}}
}

func (c *sessionCache) get(sid uuid.UUID, now time.Time) (domain.User, bool, bool) {
	if c == nil || c.ttl <= 0 {
		return domain.User{}, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sid]
	if !ok || !now.Before(e.expires) {
		return domain.User{}, false, false
	}
	return e.user, e.mfa, true
}

func (c *sessionCache) put(sid uuid.UUID, u domain.User, mfa bool, now time.Time) {
	if c == nil || c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			c.entries = map[uuid.UUID]cachedSession{}
		}
	}
	c.entries[sid] = cachedSession{user: u, mfa: mfa, expires: now.Add(c.ttl)}
}

func (c *sessionCache) evictSession(sid uuid.UUID) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.entries, sid)
	c.mu.Unlock()
}

func (c *sessionCache) evictUser(userID uuid.UUID) {
	if c == nil {
		return
	}
	c.mu.Lock()
	for k, e := range c.entries {
		if e.user.ID == userID {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
}

// InvalidationTopic carries "session:<id>" and "user:<id>" messages that evict cached sessions
// on every instance.
const InvalidationTopic = "auth:invalidate"

// Subscriber receives broker messages (realtime.Hub implements it).
type Subscriber interface {
	Subscribe(ctx context.Context, topic string) (<-chan []byte, func(), error)
}

// WatchInvalidations evicts cached sessions when any instance revokes a session or changes an
// account, until ctx ends.
func (s *Service) WatchInvalidations(ctx context.Context, sub Subscriber) error {
	ch, release, err := sub.Subscribe(ctx, InvalidationTopic)
	if err != nil {
		return err
	}
	go func() {
		defer release()
		for {
			select {
			case <-ctx.Done():
				return
			case msg, ok := <-ch:
				if !ok {
					return
				}
				s.applyInvalidation(string(msg))
			}
		}
	}()
	return nil
}

func (s *Service) applyInvalidation(msg string) {
	kind, raw, ok := cut(msg)
	if !ok {
		return
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return
	}
	switch kind {
	case "session":
		s.sessions.evictSession(id)
	case "user":
		s.sessions.evictUser(id)
	}
}

func cut(msg string) (string, string, bool) {
	for i := 0; i < len(msg); i++ {
		if msg[i] == ':' {
			return msg[:i], msg[i+1:], true
		}
	}
	return "", "", false
}

// invalidate evicts locally and tells the other instances.
func (s *Service) invalidate(ctx context.Context, kind string, id uuid.UUID) {
	s.applyInvalidation(kind + ":" + id.String())
	if err := s.pub.Publish(ctx, InvalidationTopic, []byte(kind+":"+id.String())); err != nil {
		s.log.WarnContext(ctx, "publish auth invalidation", "kind", kind, "id", id, "err", err)
	}
}
