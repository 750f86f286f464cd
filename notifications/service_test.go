package notifications_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/mail"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

type env struct {
	st  *store.Store
	svc *notifications.Service
}

// newStore opens a fresh database (maxConns connections) with River inserting jobs.
func newStore(t *testing.T, maxConns int32) (*store.Store, *slog.Logger) {
	t.Helper()
	pool, err := store.OpenPool(context.Background(), testdb.New(t), store.PoolConfig{MaxConns: maxConns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	log := slog.New(slog.DiscardHandler)
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return store.New(pool, inserter, log), log
}

// newEnv wires the service over a fresh database, with River inserting email jobs.
func newEnv(t *testing.T) *env {
	t.Helper()
	st, log := newStore(t, 5)
	return &env{st: st, svc: notifications.NewService(st, realtime.NewHub(realtime.NewMemory()), log, notifications.Options{Email: true})}
}

func (e *env) user(t *testing.T) uuid.UUID {
	t.Helper()
	u, err := e.st.Q().CreateUser(context.Background(), domain.User{
		ID: uuid.Must(uuid.NewV7()), Email: uuid.NewString()[:12] + "@example.com", PasswordHash: "$argon2id$x",
		DisplayName: "Member", Roles: []domain.Role{domain.RoleMember}, Status: domain.UserActive, CreatedAt: time.Now().UTC(),
		EmailVerifiedAt: new(time.Now().UTC()),
	})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// as is the member id acting, as the resolvers hand it over once signed in.
func as(id uuid.UUID) domain.Actor { return domain.Actor{User: domain.User{ID: id}} }

// nodes are the items of a connection's page, in order.
func nodes[T any](c relay.Connection[T], err error) ([]T, error) {
	out := make([]T, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out, err
}

func (e *env) emailJobs(t *testing.T, userID uuid.UUID) int {
	t.Helper()
	var n int
	err := e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM river_job
		WHERE kind = 'notification_email' AND args->>'user_id' = $1`, userID.String()).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// notify runs Notify in its own transaction, as an event's transaction would.
func (e *env) notify(t *testing.T, u uuid.UUID, typ domain.NotificationType, payload any) *domain.Notification {
	t.Helper()
	var n *domain.Notification
	err := e.st.InTx(context.Background(), func(q *store.Queries) error {
		var err error
		n, err = e.svc.Notify(context.Background(), q, u, typ, payload)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func receive(t *testing.T, ch <-chan *domain.Notification) domain.Notification {
	t.Helper()
	select {
	case n := <-ch:
		return *n
	case <-time.After(5 * time.Second):
		t.Fatal("no notification pushed")
		return domain.Notification{}
	}
}

func nothing(t *testing.T, ch <-chan *domain.Notification) {
	t.Helper()
	select {
	case n := <-ch:
		t.Fatalf("unexpected push %+v", n)
	case <-time.After(150 * time.Millisecond):
	}
}

func TestNotifyIsPartOfTheCallersTransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := e.user(t)
	live, err := e.svc.Stream(ctx, as(u), nil)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("the event failed")
	err = e.st.InTx(ctx, func(q *store.Queries) error {
		if _, err := e.svc.Notify(ctx, q, u, domain.NotificationNewMutualMatch, map[string]string{"matchId": "m1"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	nothing(t, live)
	if n, _ := e.svc.UnreadCount(ctx, as(u)); n != 0 || e.emailJobs(t, u) != 0 {
		t.Fatalf("a rolled-back event left %d notifications, %d emails", n, e.emailJobs(t, u))
	}

	var created *domain.Notification
	err = e.st.InTx(ctx, func(q *store.Queries) error {
		var err error
		created, err = e.svc.Notify(ctx, q, u, domain.NotificationNewMutualMatch, map[string]string{"matchId": "m2"})
		if err != nil {
			return err
		}
		// Not pushed before the commit.
		nothing(t, live)
		return nil
	})
	if err != nil || created == nil {
		t.Fatalf("notify: %v", err)
	}
	if got := receive(t, live); got.ID != created.ID || !strings.Contains(string(got.Payload), "m2") {
		t.Fatalf("pushed %+v, want %+v", got, created)
	}
	// NEW_MUTUAL_MATCH emails by default.
	if e.emailJobs(t, u) != 1 {
		t.Fatalf("email jobs = %d, want 1", e.emailJobs(t, u))
	}
	if _, err := e.svc.Notify(ctx, e.st.Q(), u, "NOT_A_TYPE", nil); err == nil {
		t.Fatal("unknown type accepted")
	}
}

func TestPreferencesDecideTheChannels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	cases := []struct {
		name          string
		typ           domain.NotificationType
		pref          *domain.NotificationPreference
		inApp, emails int
	}{
		{"default chat: app only", domain.NotificationNewMessage, nil, 1, 0},
		{"default session: app and email", domain.NotificationSessionProposed, nil, 1, 1},
		{"app off", domain.NotificationNewMutualMatch, &domain.NotificationPreference{InApp: false, Email: false}, 0, 0},
		{"email only", domain.NotificationSessionReminder, &domain.NotificationPreference{InApp: false, Email: true}, 0, 1},
		{"chat by email", domain.NotificationNewMessage, &domain.NotificationPreference{InApp: true, Email: true}, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := e.user(t)
			if tc.pref != nil {
				p := *tc.pref
				p.Type = tc.typ
				if _, err := e.svc.SetPreference(ctx, as(u), p); err != nil {
					t.Fatal(err)
				}
			}
			err := e.st.InTx(ctx, func(q *store.Queries) error {
				_, err := e.svc.Notify(ctx, q, u, tc.typ, nil)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := e.svc.UnreadCount(ctx, as(u)); n != tc.inApp {
				t.Fatalf("in-app = %d, want %d", n, tc.inApp)
			}
			if n := e.emailJobs(t, u); n != tc.emails {
				t.Fatalf("emails = %d, want %d", n, tc.emails)
			}
		})
	}

	u := e.user(t)
	prefs, err := e.svc.Preferences(ctx, as(u))
	if err != nil || len(prefs) != len(domain.AllNotificationTypes) {
		t.Fatalf("preferences: %+v, %v", prefs, err)
	}
	if _, err := e.svc.SetPreference(ctx, as(u), domain.NotificationPreference{Type: domain.NotificationReviewReceived, InApp: false, Email: true}); err != nil {
		t.Fatal(err)
	}
	prefs, _ = e.svc.Preferences(ctx, as(u))
	for _, p := range prefs {
		spec, _ := notifications.Spec(p.Type)
		want := spec.Defaults
		if p.Type == domain.NotificationReviewReceived {
			want = notifications.Channels{InApp: false, Email: true, Push: spec.Defaults.Push}
		}
		if got := (notifications.Channels{InApp: p.InApp, Email: p.Email, Push: *p.Push}); got != want || p.Critical != spec.Critical {
			t.Fatalf("preference %+v, want %+v", got, want)
		}
	}
	_, err = e.svc.SetPreference(ctx, as(u), domain.NotificationPreference{Type: "NOPE"})
	if !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("unknown type: %v", err)
	}
}

func TestGroupKeyCoalescesUnreadNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a, b := e.user(t), e.user(t)
	notifyBoth := func() []domain.Notification {
		var out []domain.Notification
		err := e.st.InTx(ctx, func(q *store.Queries) error {
			var err error
			out, err = e.svc.NotifyOnce(ctx, q, []uuid.UUID{a, b}, domain.NotificationNewMessage, "conversation:x", nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := notifyBoth(); len(got) != 2 {
		t.Fatalf("first: %d created", len(got))
	}
	if got := notifyBoth(); len(got) != 0 {
		t.Fatalf("second: %d created, want 0 (coalesced)", len(got))
	}
	if err := e.svc.MarkGroupRead(ctx, e.st.Q(), a, "conversation:x"); err != nil {
		t.Fatal(err)
	}
	if got := notifyBoth(); len(got) != 1 || got[0].UserID != a {
		t.Fatalf("after a read: %+v", got)
	}
}

func TestFeedPagesAndMarkRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	u, other := e.user(t), e.user(t)
	var ids []uuid.UUID
	for i := range 7 {
		ids = append(ids, e.notify(t, u, domain.NotificationSessionReminder, map[string]int{"i": i}).ID)
	}
	theirs := e.notify(t, other, domain.NotificationSessionReminder, nil)

	// Newest first, keyset by id.
	var seen []uuid.UUID
	var after *uuid.UUID
	for {
		page, err := nodes(e.svc.Feed(ctx, as(u), false, relay.Page[uuid.UUID]{First: 3, After: after}))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range page {
			seen = append(seen, n.ID)
		}
		if len(page) < 3 {
			break
		}
		after = &page[len(page)-1].ID
	}
	if len(seen) != 7 || seen[0] != ids[6] || seen[6] != ids[0] {
		t.Fatalf("feed order %v, want %v reversed", seen, ids)
	}

	// Someone else's id is silently ignored.
	n, err := e.svc.MarkRead(ctx, as(u), []uuid.UUID{ids[0], ids[1], theirs.ID})
	if err != nil || n != 2 {
		t.Fatalf("mark read: %d, %v", n, err)
	}
	if c, _ := e.svc.UnreadCount(ctx, as(other)); c != 1 {
		t.Fatal("marked another member's notification read")
	}
	unread, _ := nodes(e.svc.Feed(ctx, as(u), true, relay.Page[uuid.UUID]{First: 10}))
	if len(unread) != 5 {
		t.Fatalf("%d unread, want 5", len(unread))
	}
	// Mark all up to the 5th: the two newest stay unread.
	if n, err := e.svc.MarkAllRead(ctx, as(u), &ids[4]); err != nil || n != 3 {
		t.Fatalf("mark all up to: %d, %v", n, err)
	}
	if c, _ := e.svc.UnreadCount(ctx, as(u)); c != 2 {
		t.Fatalf("unread = %d, want 2", c)
	}
	if n, err := e.svc.MarkAllRead(ctx, as(u), nil); err != nil || n != 2 {
		t.Fatalf("mark all: %d, %v", n, err)
	}
	if _, err := nodes(e.svc.Feed(ctx, as(u), false, relay.Page[uuid.UUID]{First: 0})); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("first=0: %v", err)
	}
	if _, err := e.svc.MarkRead(ctx, as(u), nil); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("no ids: %v", err)
	}
}

func TestStreamResumesAfterAnID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := e.user(t)
	var ids []uuid.UUID
	for range 4 {
		ids = append(ids, e.notify(t, u, domain.NotificationReviewReceived, nil).ID)
	}
	live, err := e.svc.Stream(ctx, as(u), &ids[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range ids[2:] {
		if got := receive(t, live); got.ID != want {
			t.Fatalf("replayed %s, want %s", got.ID, want)
		}
	}
	n := e.notify(t, u, domain.NotificationReviewReceived, nil)
	if got := receive(t, live); got.ID != n.ID {
		t.Fatalf("live %s, want %s", got.ID, n.ID)
	}
	nothing(t, live)
}

// fakeMailer records emails.
type fakeMailer struct{ sent []mail.Email }

func (f *fakeMailer) Send(_ context.Context, m mail.Email) error {
	f.sent = append(f.sent, m)
	return nil
}

func TestEmailWorkerSendsToActiveMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	u := e.user(t)
	mailer := &fakeMailer{}
	w := &notifications.EmailWorker{Users: e.st.Q(), Mailer: mailer, AppName: "SkillSwap"}
	job := &river.Job[notifications.EmailArgs]{Args: notifications.EmailArgs{UserID: u, Type: domain.NotificationSessionProposed}}
	if err := w.Work(ctx, job); err != nil {
		t.Fatal(err)
	}
	if len(mailer.sent) != 1 || !strings.Contains(mailer.sent[0].Subject, "session") {
		t.Fatalf("sent %+v", mailer.sent)
	}
	job.Args.UserID = uuid.Must(uuid.NewV7())
	if err := w.Work(ctx, job); err != nil || len(mailer.sent) != 1 {
		t.Fatalf("unknown member: %v, %d sent", err, len(mailer.sent))
	}
}
