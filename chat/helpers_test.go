package chat_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/chat"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Compile-time check: the notifications service is what chat needs.
var _ chat.Notifier = (*notifications.Service)(nil)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one "instance": a store, a hub over a broker, and the services.
type env struct {
	st    *store.Store
	hub   *realtime.Hub
	chat  *chat.Service
	notes *notifications.Service
	clock *clock
}

func openStore(t *testing.T, url string) *store.Store {
	t.Helper()
	pool, err := store.OpenPool(context.Background(), url, store.PoolConfig{MaxConns: 20, StatementTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return store.New(pool, nil, slog.New(slog.DiscardHandler))
}

func newEnvOn(t *testing.T, url string, broker realtime.Broker, opts chat.Options) *env {
	t.Helper()
	st := openStore(t, url)
	hub := realtime.NewHub(broker)
	c := &clock{t: time.Now().UTC()}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	log := slog.New(slog.DiscardHandler)
	notes := notifications.NewService(st, hub, log, notifications.Options{Now: opts.Now})
	return &env{st: st, hub: hub, chat: chat.NewService(st, hub, notes, log, opts), notes: notes, clock: c}
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, testdb.New(t), realtime.NewMemory(), chat.Options{})
}

// redisBroker connects to REDIS_URL; it skips in a bare `go test` without it and fails under
// SKILLSWAP_REQUIRE_SERVICES=1.
func redisBroker(t *testing.T) realtime.Broker {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		if testdb.RequireServices() {
			t.Fatal("REDIS_URL is not set")
		}
		t.Skip("REDIS_URL is not set (run `make test` to bring the services up)")
	}
	b, err := realtime.NewRedis(context.Background(), url)
	if err != nil {
		if testdb.RequireServices() {
			t.Fatalf("redis: %v", err)
		}
		t.Skipf("redis: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

var userSeq atomic.Int64 // tests run in parallel

func (e *env) user(t *testing.T) uuid.UUID {
	t.Helper()
	n := userSeq.Add(1)
	u, err := e.st.Q().CreateUser(context.Background(), domain.User{
		ID: uuid.Must(uuid.NewV7()), Email: fmt.Sprintf("u%d-%s@example.com", n, uuid.NewString()[:8]),
		PasswordHash: "$argon2id$x", DisplayName: fmt.Sprintf("User %d", n),
		Roles: []domain.Role{domain.RoleMember}, Status: domain.UserActive, CreatedAt: time.Now().UTC(),
		EmailVerifiedAt: new(time.Now().UTC()),
	})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func (e *env) direct(t *testing.T, a, b uuid.UUID) domain.Conversation {
	t.Helper()
	c, err := e.chat.OpenDirect(context.Background(), as(a), b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) send(t *testing.T, from, conv uuid.UUID, body string) domain.Message {
	t.Helper()
	m, err := e.chat.Send(context.Background(), as(from), conv, uuid.NewString(), body, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// as is the member id acting, as the resolvers hand it over once signed in.
// as acts for the member id, whose email is verified (as every member of env.user's is).
func as(id uuid.UUID) domain.Actor {
	return domain.Actor{User: domain.User{ID: id, EmailVerifiedAt: new(time.Unix(0, 0).UTC())}}
}

// pageOf is a page of at most n items from the start of a list.
func pageOf[K any](n int) relay.Page[K] { return relay.Page[K]{First: n} }

// nodes are the items of a connection's page, in order.
func nodes[T any](c relay.Connection[T], err error) ([]T, error) {
	out := make([]T, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out, err
}

func wantKind(t *testing.T, err error, k domain.Kind) {
	t.Helper()
	if !domain.IsKind(err, k) {
		t.Fatalf("error = %v, want kind %d", err, k)
	}
}

// collect reads n messages from ch, failing after timeout.
func collect(t *testing.T, ch <-chan *domain.Message, n int, timeout time.Duration) []domain.Message {
	t.Helper()
	out := make([]domain.Message, 0, n)
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatalf("stream closed after %d of %d messages", len(out), n)
			}
			out = append(out, *m)
		case <-deadline:
			t.Fatalf("got %d of %d messages before timeout (last seq %d)", len(out), n, lastSeq(out))
		}
	}
	return out
}

func lastSeq(ms []domain.Message) int64 {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Seq
}

// wantSeqs checks that ms are exactly seqs from..to in order.
func wantSeqs(t *testing.T, ms []domain.Message, from, to int64) {
	t.Helper()
	if int64(len(ms)) != to-from+1 {
		t.Fatalf("got %d messages, want seqs %d..%d", len(ms), from, to)
	}
	for i, m := range ms {
		if m.Seq != from+int64(i) {
			t.Fatalf("message %d has seq %d, want %d", i, m.Seq, from+int64(i))
		}
	}
}

// noMore checks that ch delivers nothing more for a short while.
func noMore[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v, ok := <-ch:
		if ok {
			t.Fatalf("unexpected extra delivery: %+v", v)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

func asDomain(err error, target **domain.Error) bool { return errors.As(err, target) }

// domainErr is err's domain error (the zero one when it has none).
func domainErr(err error) domain.Error {
	var de *domain.Error
	if errors.As(err, &de) {
		return *de
	}
	return domain.Error{}
}
