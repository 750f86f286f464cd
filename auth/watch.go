package auth

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/realtime"
)

// WatchAccount emits the actor's account each time its topic says it changed. The wake-up only says
// "changed": the truth is read from PostgreSQL, by one read at a time (a burst of wake-ups
// makes one more read, not one each), and nothing waits in between.
func (s *Service) WatchAccount(ctx context.Context, actor domain.Actor) (<-chan *domain.User, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	id := actor.ID()
	out := realtime.NewOutbox[domain.User](4, nil)
	var (
		mu             sync.Mutex
		reading, again bool
	)
	reload := func() {
		for {
			users, err := s.store.Q().UsersByIDs(ctx, []uuid.UUID{id})
			if err != nil {
				if ctx.Err() == nil {
					s.log.WarnContext(ctx, "viewerUpdated: reload user", "err", err)
				}
			} else if u, ok := users[id]; ok {
				out.Offer(&u)
			} else {
				out.Close() // the account is gone
			}
			mu.Lock()
			if !again {
				reading = false
				mu.Unlock()
				return
			}
			again = false
			mu.Unlock()
		}
	}
	release, err := s.pub.SubscribeFunc(ctx, realtime.UserTopic(id), func([]byte) {
		mu.Lock()
		defer mu.Unlock()
		if reading {
			again = true
			return
		}
		reading = true
		go reload()
	})
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("subscribe viewer updates: %w", err)
	}
	context.AfterFunc(ctx, func() {
		release()
		out.Close()
	})
	return out.Start(ctx), nil
}
