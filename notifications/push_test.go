package notifications_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/expotest"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/push"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/store"
)

// pushEnv is a database, the service with push on, an Expo-compatible server and a sender whose
// clock and waits the test drives.
type pushEnv struct {
	*env
	expo   *expotest.Server
	sender *notifications.PushSender
	clock  *clock
}

// clock is the tests' movable clock: services, senders and runners read it (concurrent runners
// included), sleeping moves it on.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t.UTC() }
func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

func newPushEnv(t *testing.T, opts notifications.Options) *pushEnv {
	t.Helper()
	st, log := newStore(t, 5)
	opts.Email, opts.Push = true, true
	c := &clock{now: time.Now().UTC()}
	srv := expotest.New(t)
	client := push.NewClient(push.Config{BaseURL: srv.URL, Sleep: c.Sleep})
	sender := notifications.NewPushSender(st, client, push.NewPacer(ratelimit.NewMemoryFlights(c.Now), push.ProjectRatePerSecond, c.Sleep),
		log, notifications.PushConfig{Now: c.Now})
	return &pushEnv{
		env:  &env{st: st, svc: notifications.NewService(st, realtime.NewHub(realtime.NewMemory()), log, opts)},
		expo: srv, sender: sender, clock: c,
	}
}

func deviceToken(u uuid.UUID, n int) string {
	return fmt.Sprintf("ExponentPushToken[%s-%d]", u.String()[:23], n)
}

// member signs up a member with one registered device and returns both.
func (e *pushEnv) member(t *testing.T) (uuid.UUID, string) {
	t.Helper()
	u := e.user(t)
	tok := deviceToken(u, 0)
	if _, err := e.svc.RegisterPushDevice(context.Background(), as(u), notifications.PushDeviceInput{Token: tok, Platform: domain.PushIOS}); err != nil {
		t.Fatal(err)
	}
	return u, tok
}

func (e *pushEnv) notify(t *testing.T, users []uuid.UUID, typ domain.NotificationType, payload any) {
	t.Helper()
	err := e.st.InTx(context.Background(), func(q *store.Queries) error {
		_, err := e.svc.NotifyOnce(context.Background(), q, users, typ, "", payload)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *pushEnv) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.st.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *pushEnv) devices(t *testing.T, u uuid.UUID) int {
	return e.count(t, `SELECT count(*) FROM push_devices WHERE user_id = $1`, u)
}

// TestPushBatchesOf100 sends 250 notifications to 250 devices in three requests of at most 100,
// each message within 4 KiB, with the member's unread count as badge; tickets are stored and
// the outbox emptied.
func TestPushBatchesOf100(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, notifications.Options{})
	ctx := context.Background()
	users := make([]uuid.UUID, 250)
	tokens := map[string]bool{}
	for i := range users {
		var tok string
		users[i], tok = e.member(t)
		tokens[tok] = true
	}
	e.notify(t, users, domain.NotificationSessionReminder, map[string]string{"sessionId": uuid.NewString()})
	if n := e.count(t, `SELECT count(*) FROM push_outbox`); n != 250 {
		t.Fatalf("outbox %d, want 250", n)
	}
	if n := e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'push_flush'`); n != 1 {
		t.Fatalf("%d flush jobs, want 1", n)
	}
	sent, more, err := e.sender.Flush(ctx)
	if err != nil || sent != 250 || more {
		t.Fatalf("flush: %d sent, more %v, %v", sent, more, err)
	}
	reqs := e.expo.Requests()
	if len(reqs) != 3 || len(reqs[0].Messages) != 100 || len(reqs[1].Messages) != 100 || len(reqs[2].Messages) != 50 {
		t.Fatalf("%d requests, want 100 + 100 + 50", len(reqs))
	}
	for _, m := range e.expo.Messages() {
		if !tokens[m.To] {
			t.Fatalf("message to %s: unknown or repeated", m.To)
		}
		delete(tokens, m.To)
		if size := push.PayloadSize(m); size > push.MaxPayloadBytes {
			t.Fatalf("payload %d bytes", size)
		}
		var data struct {
			NotificationID uuid.UUID
			Type           domain.NotificationType
		}
		if err := json.Unmarshal(m.Data, &data); err != nil || data.Type != domain.NotificationSessionReminder || data.NotificationID == uuid.Nil {
			t.Fatalf("data %s (%v)", m.Data, err)
		}
		if m.Badge == nil || *m.Badge != 1 || m.Title != "SkillSwap" || m.Body != "Your session starts soon" {
			t.Fatalf("message %+v", m)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM push_outbox`); n != 0 {
		t.Fatalf("outbox keeps %d", n)
	}
	if n := e.count(t, `SELECT count(*) FROM push_tickets`); n != 250 {
		t.Fatalf("%d tickets stored, want 250", n)
	}
}

// TestPushRetriesAndReleases: 429 and 5xx are retried with the same content; a batch that still
// fails is released and sent whole by the next attempt, once.
func TestPushRetriesAndReleases(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, notifications.Options{})
	ctx := context.Background()
	u1, _ := e.member(t)
	u2, _ := e.member(t)
	e.notify(t, []uuid.UUID{u1, u2}, domain.NotificationSessionConfirmed, nil)

	e.expo.Fail(http.StatusTooManyRequests, http.StatusBadGateway, http.StatusInternalServerError, http.StatusServiceUnavailable)
	if _, err := e.sender.SendBatch(ctx); !push.Retryable(err) {
		t.Fatalf("four failures: %v, want a retryable error (River retries the job)", err)
	}
	if n := e.count(t, `SELECT count(*) FROM push_outbox WHERE claimed_until IS NULL`); n != 2 {
		t.Fatalf("%d pushes released, want 2", n)
	}
	e.expo.Fail(http.StatusTooManyRequests, http.StatusServiceUnavailable)
	if n, err := e.sender.SendBatch(ctx); err != nil || n != 2 {
		t.Fatalf("retry: %d, %v", n, err)
	}
	reqs := e.expo.Requests()
	if len(reqs) != 7 {
		t.Fatalf("%d requests, want 4 + 3", len(reqs))
	}
	// Within each attempt of the job the bytes are the same; the two attempts carry the same
	// messages (the badge is read when sent, and nothing was read meanwhile).
	for _, r := range reqs[1:] {
		if string(r.Body) != string(reqs[0].Body) {
			t.Fatalf("a retry changed the content:\n%s\n%s", r.Body, reqs[0].Body)
		}
	}
	if got := len(e.expo.Messages()); got != 2 {
		t.Fatalf("%d messages accepted, want 2 (no duplicate)", got)
	}
}

// TestDeviceNotRegisteredRemovesTheDevice: in a ticket at once, in a receipt read 15 minutes later.
func TestDeviceNotRegisteredRemovesTheDevice(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, notifications.Options{})
	ctx := context.Background()
	gone, goneTok := e.member(t)
	later, laterTok := e.member(t)
	fine, _ := e.member(t)
	e.expo.Unregister(goneTok)
	e.expo.UnregisterLater(laterTok)
	e.notify(t, []uuid.UUID{gone, later, fine}, domain.NotificationNewMutualMatch, nil)
	if _, _, err := e.sender.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if e.devices(t, gone) != 0 || e.devices(t, later) != 1 || e.devices(t, fine) != 1 {
		t.Fatal("a DeviceNotRegistered ticket did not remove exactly its device")
	}
	// Receipts are not asked before they are due.
	if n, err := e.sender.CheckReceipts(ctx); err != nil || n != 0 || len(e.expo.ReceiptRequests()) != 0 {
		t.Fatalf("receipts read before 15 minutes: %d, %v", n, err)
	}
	e.clock.Set(e.clock.Now().Add(15 * time.Minute))
	if n, err := e.sender.CheckReceipts(ctx); err != nil || n != 2 {
		t.Fatalf("receipts: %d, %v", n, err)
	}
	if e.devices(t, later) != 0 || e.devices(t, fine) != 1 {
		t.Fatal("a DeviceNotRegistered receipt did not remove exactly its device")
	}
	if n := e.count(t, `SELECT count(*) FROM push_tickets`); n != 0 {
		t.Fatalf("%d tickets left after their receipts", n)
	}
}

// TestReceiptsInBatchesOf1000: 2,500 due tickets are read in requests of 1,000, 1,000 and 500;
// those whose receipt is not ready are asked again later.
func TestReceiptsInBatchesOf1000(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, notifications.Options{})
	ctx := context.Background()
	_, tok := e.member(t)
	var device uuid.UUID
	if err := e.st.Pool().QueryRow(ctx, `SELECT id FROM push_devices WHERE token = $1`, tok).Scan(&device); err != nil {
		t.Fatal(err)
	}
	ts := make([]store.PushTicket, 2500)
	for i := range ts {
		ts[i] = store.PushTicket{ID: uuid.NewString(), DeviceID: device, CreatedAt: e.clock.Now(), CheckAfter: e.clock.Now()}
	}
	if err := e.st.Q().InsertPushTickets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sender.CheckReceipts(ctx); err != nil {
		t.Fatal(err)
	}
	calls := e.expo.ReceiptRequests()
	if len(calls) != 3 || len(calls[0]) != 1000 || len(calls[1]) != 1000 || len(calls[2]) != 500 {
		t.Fatalf("%d receipt requests", len(calls))
	}
	// Unknown to the server: not ready, so postponed, not forgotten.
	if n := e.count(t, `SELECT count(*) FROM push_tickets WHERE check_after > $1`, e.clock.Now()); n != 2500 {
		t.Fatalf("%d tickets postponed, want 2500", n)
	}
}

// TestPushFollowsPreferences: push goes where the member's choice (or the type's default) says;
// turning it off stops it, and critical types are emailed whatever the email choice.
func TestPushFollowsPreferences(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, notifications.Options{})
	ctx := context.Background()
	off, on := false, true
	cases := []struct {
		name   string
		typ    domain.NotificationType
		pref   *domain.NotificationPreference
		pushes int
		emails int
	}{
		{"default push on", domain.NotificationNewMessage, nil, 1, 0},
		{"default push off", domain.NotificationReviewReceived, nil, 0, 0},
		{"push turned off", domain.NotificationNewMessage, &domain.NotificationPreference{InApp: true, Push: &off}, 0, 0},
		{"push turned on", domain.NotificationReviewReceived, &domain.NotificationPreference{InApp: true, Push: &on}, 1, 0},
		{"push without the app", domain.NotificationSessionReminder, &domain.NotificationPreference{Push: &on}, 1, 0},
		{"critical: emailed though email is off", domain.NotificationPaymentFailed, &domain.NotificationPreference{InApp: true, Push: &off}, 0, 1},
		{"critical: emailed with every channel off", domain.NotificationPaymentFailed, &domain.NotificationPreference{Push: &off}, 0, 1},
		{"not critical: email off is off", domain.NotificationPaymentCaptured, &domain.NotificationPreference{InApp: true}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := e.member(t)
			if tc.pref != nil {
				p := *tc.pref
				p.Type = tc.typ
				got, err := e.svc.SetPreference(ctx, as(u), p)
				if err != nil {
					t.Fatal(err)
				}
				spec, _ := notifications.Spec(tc.typ)
				if got.Critical != spec.Critical || got.Push == nil {
					t.Fatalf("stored %+v", got)
				}
			}
			payload := any(nil)
			if tc.typ == domain.NotificationNewMessage {
				payload = domain.NewMessagePayload{ConversationID: uuid.New(), MessageID: uuid.New(), SenderID: uuid.New(), Seq: 1}
			}
			e.notify(t, []uuid.UUID{u}, tc.typ, payload)
			if n := e.count(t, `SELECT count(*) FROM push_outbox WHERE user_id = $1`, u); n != tc.pushes {
				t.Fatalf("pushes %d, want %d", n, tc.pushes)
			}
			if n := e.emailJobs(t, u); n != tc.emails {
				t.Fatalf("emails %d, want %d", n, tc.emails)
			}
		})
	}

	// One thread per conversation: the push of a NEW_MESSAGE names its conversation.
	u, _ := e.member(t)
	conv := uuid.New()
	e.notify(t, []uuid.UUID{u}, domain.NotificationNewMessage, domain.NewMessagePayload{ConversationID: conv, MessageID: uuid.New(), SenderID: uuid.New(), Seq: 1})
	var raw []byte
	if err := e.st.Pool().QueryRow(ctx, `SELECT message FROM push_outbox WHERE user_id = $1`, u).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var m struct {
		ChannelID string `json:"channelId"`
		Data      struct{ ThreadID string }
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Data.ThreadID != domain.ConversationGroupKey(conv) || m.ChannelID != "messages" {
		t.Fatalf("NEW_MESSAGE push %s", raw)
	}
}

// TestPreferencesStoredBeforePushKeepTheirMeaning: a row written before migration 0025 (push
// NULL) reads as it did, with the type's default push; setting it without push keeps that.
func TestPreferencesStoredBeforePushKeepTheirMeaning(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, notifications.Options{})
	ctx := context.Background()
	u := e.user(t)
	if _, err := e.st.Pool().Exec(ctx, `INSERT INTO notification_preferences (user_id, type, in_app, email, updated_at)
		VALUES ($1, 'NEW_MESSAGE', false, true, now())`, u); err != nil {
		t.Fatal(err)
	}
	find := func() domain.NotificationPreference {
		prefs, err := e.svc.Preferences(ctx, as(u))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range prefs {
			if p.Type == domain.NotificationNewMessage {
				return p
			}
		}
		t.Fatal("NEW_MESSAGE missing")
		return domain.NotificationPreference{}
	}
	if p := find(); p.InApp || !p.Email || p.Push == nil || !*p.Push {
		t.Fatalf("old row reads %+v, want in-app off, email on, push default (on)", p)
	}
	off := false
	if _, err := e.svc.SetPreference(ctx, as(u), domain.NotificationPreference{Type: domain.NotificationNewMessage, InApp: true, Email: true, Push: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPreference(ctx, as(u), domain.NotificationPreference{Type: domain.NotificationNewMessage, InApp: true, Email: false}); err != nil {
		t.Fatal(err)
	}
	if p := find(); !p.InApp || p.Email || *p.Push {
		t.Fatalf("after setting without push: %+v, want push still off", p)
	}
}

// TestRegisterPushDevice: token validation, a token moving to another member, the cap.
func TestRegisterPushDevice(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, notifications.Options{MaxPushDevices: 2})
	ctx := context.Background()
	alice, bob := e.user(t), e.user(t)
	bad := []struct {
		in    notifications.PushDeviceInput
		field string
	}{
		{notifications.PushDeviceInput{Token: "not-a-token", Platform: domain.PushIOS}, "token"},
		{notifications.PushDeviceInput{Token: deviceToken(alice, 0), Platform: "WINDOWS"}, "platform"},
		{notifications.PushDeviceInput{Token: deviceToken(alice, 0), Platform: domain.PushAndroid, Locale: new("français!")}, "locale"},
	}
	for _, b := range bad {
		_, err := e.svc.RegisterPushDevice(ctx, as(alice), b.in)
		if !domain.IsKind(err, domain.KindInvalid) || fieldOf(err) != b.field {
			t.Errorf("%+v: %v, want BAD_USER_INPUT on %s", b.in, err, b.field)
		}
	}
	if _, err := e.svc.RegisterPushDevice(ctx, domain.Actor{}, notifications.PushDeviceInput{Token: deviceToken(alice, 0), Platform: domain.PushIOS}); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Errorf("signed out: %v", err)
	}

	shared := deviceToken(alice, 9)
	reg := func(u uuid.UUID, tok string) domain.PushDevice {
		t.Helper()
		d, err := e.svc.RegisterPushDevice(ctx, as(u), notifications.PushDeviceInput{Token: tok, Platform: domain.PushAndroid, Locale: new("fr-FR")})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := reg(alice, shared)
	// Alice has a push waiting on it when the phone passes to Bob: it must not reach him.
	e.notify(t, []uuid.UUID{alice}, domain.NotificationSessionConfirmed, nil)
	again := reg(alice, shared)
	if again.ID != first.ID || !again.LastRegisteredAt.After(first.LastRegisteredAt) && !again.LastRegisteredAt.Equal(first.LastRegisteredAt) {
		t.Fatalf("re-registering made a new device: %+v %+v", first, again)
	}
	moved := reg(bob, shared)
	if moved.ID == first.ID || e.devices(t, alice) != 0 || e.devices(t, bob) != 1 {
		t.Fatal("the token did not move to Bob")
	}
	if n := e.count(t, `SELECT count(*) FROM push_outbox`); n != 0 {
		t.Fatalf("%d pushes of Alice's left on the device Bob now holds", n)
	}
	// The cap: a third device forgets the least recently registered.
	reg(bob, deviceToken(bob, 1))
	reg(bob, deviceToken(bob, 2))
	list, err := e.svc.PushDevices(ctx, as(bob))
	if err != nil || len(list) != 2 {
		t.Fatalf("devices %d, %v; want the cap of 2", len(list), err)
	}
	if e.count(t, `SELECT count(*) FROM push_devices WHERE token = $1`, shared) != 0 {
		t.Fatal("the oldest device was kept")
	}
	if ok, err := e.svc.UnregisterPushDevice(ctx, as(alice), deviceToken(bob, 2)); ok || err != nil {
		t.Fatalf("Alice unregistered Bob's device: %v %v", ok, err)
	}
	if ok, err := e.svc.UnregisterPushDevice(ctx, as(bob), deviceToken(bob, 2)); !ok || err != nil {
		t.Fatalf("unregister: %v %v", ok, err)
	}
	if _, err := e.svc.UnregisterPushDevice(ctx, as(bob), "nope"); fieldOf(err) != "token" {
		t.Fatalf("malformed token: %v", err)
	}
}

func fieldOf(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Field
	}
	return ""
}

// TestEveryTypeIsRegistered: each notification type has one registration (its text is in the
// i18n catalogues: TestEveryTypeHasItsTextInEveryLanguage); a type added to domain without one
// fails here (issue 17 item 7: one place).
func TestEveryTypeIsRegistered(t *testing.T) {
	t.Parallel()
	seen := map[domain.NotificationType]bool{}
	for _, s := range notifications.Registered() {
		if seen[s.Type] || !s.Type.Valid() {
			t.Errorf("registration %+v: twice or unknown", s)
		}
		seen[s.Type] = true
	}
	for _, typ := range domain.AllNotificationTypes {
		if !seen[typ] {
			t.Errorf("%s is not registered in notifications/registry.go", typ)
		}
	}
	if s, _ := notifications.Spec(domain.NotificationNewMessage); s.Defaults.Email {
		t.Error("chat messages email by default")
	}
	if s, _ := notifications.Spec(domain.NotificationPaymentFailed); !s.Critical {
		t.Error("a declined payment is not critical")
	}
}
