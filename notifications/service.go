// Package notifications owns members' notifications and their channels: in the app (created
// inside the transaction of the event that causes them, listed as a feed, marked read, and
// pushed live through the broker once that transaction commits), by email, and by push to the
// member's devices through Expo (push.go). Each type is registered once, with its text, its
// default channels and whether it is critical (registry.go); members choose their channels per
// type, and critical types are emailed whatever they chose.
//
// What a member does with their own notifications (Feed, UnreadCount, MarkRead, MarkAllRead,
// Preferences, SetPreference, Stream) takes their domain.Actor right after the context; the zero
// Actor is UNAUTHENTICATED. Notify, NotifyOnce and MarkGroupRead are system operations other
// services call inside their own transactions, for explicit members.
package notifications

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// FeedCursor is the cursor kind of Feed, keyed by notification id (a UUIDv7, which orders by
// creation). Clients hold cursors: the string never changes.
const FeedCursor = "notifications"

// Options tune the service; the zero value is usable.
type Options struct {
	// Email makes Notify enqueue an EmailArgs job (worked by EmailWorker) for members whose
	// preference asks for email. Off when no job inserter or mailer is configured.
	Email bool
	// Push makes Notify write a push to every device of members whose preference asks for push
	// (sent by PushWorker). Off when Expo is not configured.
	Push bool
	// AppName titles pushes.
	AppName string
	// MaxPushDevices caps the devices of one member (0: DefaultMaxPushDevices); registering one
	// more forgets the least recently registered.
	MaxPushDevices int
	// Now is the clock (tests); UTC time.Now when nil.
	Now func() time.Time
}

// Service implements notifications.
type Service struct {
	store *store.Store
	hub   *realtime.Hub
	log   *slog.Logger
	email bool
	push  bool
	app   string
	// maxDevices caps the push devices of one member.
	maxDevices int
	now        func() time.Time
}

// NewService wires the service: st for the data, hub to push notifications live.
func NewService(st *store.Store, hub *realtime.Hub, log *slog.Logger, opts Options) *Service {
	now := opts.Now
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	maxDevices := opts.MaxPushDevices
	if maxDevices <= 0 {
		maxDevices = DefaultMaxPushDevices
	}
	app := opts.AppName
	if app == "" {
		app = "SkillSwap"
	}
	return &Service{store: st, hub: hub, log: log, email: opts.Email, push: opts.Push, app: app, maxDevices: maxDevices, now: now}
}

// Notify creates a notification of type typ for userID inside the caller's transaction q, if the
// member's preferences ask for it, and pushes it live after q commits. It returns the
// notification, or nil when the member turned this type off in the app.
func (s *Service) Notify(ctx context.Context, q *store.Queries, userID uuid.UUID, typ domain.NotificationType, payload any) (*domain.Notification, error) {
	out, err := s.NotifyOnce(ctx, q, []uuid.UUID{userID}, typ, "", payload)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// NotifyOnce notifies several members at once inside the caller's transaction q (two
// statements, whatever their number). With a groupKey, a member who still has an unread
// notification with that key gets no new one (nor a new email): a burst of chat messages makes
// one notification, not fifty. It returns the notifications created.
func (s *Service) NotifyOnce(ctx context.Context, q *store.Queries, userIDs []uuid.UUID, typ domain.NotificationType, groupKey string, payload any) ([]domain.Notification, error) {
	if !typ.Valid() {
		return nil, fmt.Errorf("notify: unknown notification type %q", typ)
	}
	if len(userIDs) == 0 {
		return nil, nil
	}
	raw, err := encodePayload(payload)
	if err != nil {
		return nil, fmt.Errorf("notify %s: %w", typ, err)
	}
	prefs, err := q.NotificationPreferencesOf(ctx, userIDs, typ)
	if err != nil {
		return nil, fmt.Errorf("notify %s: %w", typ, err)
	}
	var key *string
	if groupKey != "" {
		key = &groupKey
	}
	now := s.now()
	var inApp []domain.Notification
	// Members who do not keep this type in the app get its email and push without a feed row;
	// without a row there is nothing to coalesce on, so a grouped type reaches only members who
	// keep it in the app.
	var outOfApp []uuid.UUID
	chosen := make(map[uuid.UUID]domain.NotificationPreference, len(userIDs))
	for _, u := range userIDs {
		var stored *domain.NotificationPreference
		if p, ok := prefs[u]; ok {
			stored = &p
		}
		p := Effective(typ, stored)
		chosen[u] = p
		if !p.InApp {
			if key == nil {
				outOfApp = append(outOfApp, u)
			}
			continue
		}
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("notify %s: %w", typ, err)
		}
		inApp = append(inApp, domain.Notification{ID: id, UserID: u, Type: typ, Payload: raw, GroupKey: key, CreatedAt: now})
	}
	created, err := q.InsertNotifications(ctx, inApp)
	if err != nil {
		return nil, fmt.Errorf("notify %s: %w", typ, err)
	}
	// Who gets what beyond the feed: each created notification, and each member out of the app.
	type delivery struct {
		user uuid.UUID
		note *uuid.UUID
	}
	deliveries := make([]delivery, 0, len(created)+len(outOfApp))
	for i := range created {
		deliveries = append(deliveries, delivery{created[i].UserID, &created[i].ID})
	}
	for _, u := range outOfApp {
		deliveries = append(deliveries, delivery{user: u})
	}
	var pushes []store.PushRequest
	spec := specOf(typ)
	// Members in their quiet hours get email and push when the window ends (quiet.go).
	var held map[uuid.UUID]time.Time
	if (s.email || s.push) && len(deliveries) > 0 {
		users := make([]uuid.UUID, len(deliveries))
		for i, d := range deliveries {
			users[i] = d.user
		}
		if held, err = holds(ctx, q, spec, users, now); err != nil {
			return nil, fmt.Errorf("notify %s: %w", typ, err)
		}
	}
	for _, d := range deliveries {
		p := chosen[d.user]
		until, isHeld := held[d.user]
		// A critical type is emailed whatever the member chose; a type whose capability sends its
		// own email (OwnEmail) never gets this one, nor does a type the member reads in their
		// digest (digest.go).
		if s.email && !spec.OwnEmail && (p.Email || p.Critical) && !digested(p) {
			args := EmailArgs{UserID: d.user, Type: typ, Payload: raw}
			if isHeld {
				args.HeldUntil = until
			}
			if d.note != nil {
				args.NotificationID = *d.note
			}
			if err := q.EnqueueJob(ctx, args, heldEmail(until, isHeld)); err != nil {
				return nil, fmt.Errorf("notify %s: %w", typ, err)
			}
		}
		if s.push && p.Push != nil && *p.Push {
			msgs, err := s.pushMessages(typ, d.note, raw)
			if err != nil {
				return nil, fmt.Errorf("notify %s: %w", typ, err)
			}
			pushes = append(pushes, store.PushRequest{UserID: d.user, NotificationID: d.note, Messages: msgs, NotBefore: heldPush(until, isHeld)})
		}
	}
	if err := s.enqueuePushes(ctx, q, pushes, now); err != nil {
		return nil, fmt.Errorf("notify %s: %w", typ, err)
	}
	if len(created) > 0 {
		// Pushed only once the notification is committed: a subscriber that reloads the feed on
		// this push always finds it.
		q.AfterCommit(ctx, func(ctx context.Context) { s.publish(ctx, created) })
	}
	return created, nil
}

func encodePayload(payload any) (json.RawMessage, error) {
	switch p := payload.(type) {
	case nil:
		return json.RawMessage(`{}`), nil
	case json.RawMessage:
		return p, nil
	case []byte:
		return json.RawMessage(p), nil
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("payload must encode to a JSON object, got %.40s", b)
	}
	return b, nil
}

func (s *Service) publish(ctx context.Context, ns []domain.Notification) {
	for _, n := range ns {
		b, err := json.Marshal(n)
		if err != nil {
			s.log.ErrorContext(ctx, "notifications: encode wake-up", "err", err)
			continue
		}
		// Redis down must not fail the write: the member sees it in the feed on the next load.
		if err := s.hub.Publish(ctx, realtime.NotificationsTopic(n.UserID), b); err != nil {
			s.log.WarnContext(ctx, "notifications: publish", "user_id", n.UserID, "err", err)
		}
	}
}

// MarkGroupRead marks userID's unread notification with groupKey read, inside the caller's
// transaction (chat calls it when a member reads a conversation).
func (s *Service) MarkGroupRead(ctx context.Context, q *store.Queries, userID uuid.UUID, groupKey string) error {
	if _, err := q.MarkNotificationGroupRead(ctx, userID, groupKey, s.now()); err != nil {
		return fmt.Errorf("mark notification group read: %w", err)
	}
	return nil
}

// Feed returns a page of the actor's notifications, newest first; unreadOnly keeps the unread
// ones.
func (s *Service) Feed(ctx context.Context, actor domain.Actor, unreadOnly bool, page relay.Page[uuid.UUID]) (relay.Connection[domain.Notification], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.Notification]{}, err
	}
	if page.First < 1 || page.First > relay.MaxPageSize {
		return relay.Connection[domain.Notification]{}, domain.Invalid("first", "must be between 1 and %d", relay.MaxPageSize)
	}
	out, err := s.store.Q().NotificationFeed(ctx, actor.ID(), page.After, page.Limit(), unreadOnly)
	if err != nil {
		return relay.Connection[domain.Notification]{}, fmt.Errorf("notification feed: %w", err)
	}
	return relay.Paginate(FeedCursor, page, out, func(n domain.Notification) uuid.UUID { return n.ID }), nil
}

// UnreadCount counts the actor's unread notifications (the badge).
func (s *Service) UnreadCount(ctx context.Context, actor domain.Actor) (int, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return 0, err
	}
	counts, err := s.store.Q().UnreadNotificationCounts(ctx, []uuid.UUID{actor.ID()})
	if err != nil {
		return 0, fmt.Errorf("unread notifications: %w", err)
	}
	return counts[actor.ID()], nil
}

// maxMarkIDs bounds the ids of one markNotificationsRead.
const maxMarkIDs = 100

// MarkRead marks the given notifications of the actor read; ids of others' notifications are
// ignored (never revealed). It returns how many changed.
func (s *Service) MarkRead(ctx context.Context, actor domain.Actor, ids []uuid.UUID) (int64, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return 0, err
	}
	if len(ids) == 0 || len(ids) > maxMarkIDs {
		return 0, domain.Invalid("ids", "give 1 to %d ids", maxMarkIDs)
	}
	n, err := s.store.Q().MarkNotificationsRead(ctx, actor.ID(), ids, s.now())
	if err != nil {
		return 0, fmt.Errorf("mark notifications read: %w", err)
	}
	return n, nil
}

// MarkAllRead marks every unread notification of the actor read, only up to the notification
// upTo when set (the newest one the client showed). It returns how many changed.
func (s *Service) MarkAllRead(ctx context.Context, actor domain.Actor, upTo *uuid.UUID) (int64, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return 0, err
	}
	n, err := s.store.Q().MarkAllNotificationsRead(ctx, actor.ID(), upTo, s.now())
	if err != nil {
		return 0, fmt.Errorf("mark all notifications read: %w", err)
	}
	return n, nil
}

// Preferences returns the actor's preference for every registered type, defaults filled in.
func (s *Service) Preferences(ctx context.Context, actor domain.Actor) ([]domain.NotificationPreference, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	stored, err := s.store.Q().StoredNotificationPreferences(ctx, actor.ID())
	if err != nil {
		return nil, fmt.Errorf("notification preferences: %w", err)
	}
	byType := make(map[domain.NotificationType]domain.NotificationPreference, len(stored))
	for _, p := range stored {
		byType[p.Type] = p
	}
	out := make([]domain.NotificationPreference, 0, len(domain.AllNotificationTypes))
	for _, t := range domain.AllNotificationTypes {
		var p *domain.NotificationPreference
		if sp, ok := byType[t]; ok {
			p = &sp
		}
		out = append(out, Effective(t, p))
	}
	return out, nil
}

// SetPreference stores the actor's channels for one type; a nil p.Push keeps the push choice
// already stored (the type's default when none), a nil p.Digest the digest choice. It returns
// the preference now in force. Errors: BAD_USER_INPUT on emailMode when a critical type is set
// to digest.
func (s *Service) SetPreference(ctx context.Context, actor domain.Actor, p domain.NotificationPreference) (domain.NotificationPreference, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.NotificationPreference{}, err
	}
	if !p.Type.Valid() {
		return domain.NotificationPreference{}, domain.Invalid("type", "unknown notification type %q", p.Type)
	}
	if p.Digest != nil && *p.Digest && specOf(p.Type).Critical {
		return domain.NotificationPreference{}, domain.Invalid("emailMode", "a critical type is always emailed at once")
	}
	var stored domain.NotificationPreference
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if stored, err = q.UpsertNotificationPreference(ctx, actor.ID(), p, s.now()); err != nil {
			return err
		}
		// The first type set to digest gives the member the default schedule (daily, 08:00).
		if stored.Digest != nil && *stored.Digest {
			return s.ensureDigestSchedule(ctx, q, actor.ID())
		}
		return nil
	})
	if err != nil {
		return domain.NotificationPreference{}, fmt.Errorf("set notification preference: %w", err)
	}
	return Effective(p.Type, &stored), nil
}

// maxReplay bounds what a resuming Stream replays; a client further behind reloads the feed.
const maxReplay = 100

// Stream delivers the actor's new notifications live until ctx ends. With after (the id of the
// last notification the client has), it first replays those created since, so a reconnecting
// client loses nothing: it listens first, then replays, then streams, without duplicates.
func (s *Service) Stream(ctx context.Context, actor domain.Actor, after *uuid.UUID) (<-chan *domain.Notification, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	viewer := actor.ID()
	out := realtime.NewOutbox[domain.Notification](maxReplay+liveQueue, nil)
	var (
		mu        sync.Mutex
		replaying = true
		held      []domain.Notification // arrived live while the replay was read
		seen      = map[uuid.UUID]bool{}
	)
	release, err := s.hub.SubscribeFunc(ctx, realtime.NotificationsTopic(viewer), func(b []byte) {
		var n domain.Notification
		if err := json.Unmarshal(b, &n); err != nil || n.UserID != viewer {
			s.log.WarnContext(ctx, "notifications: bad wake-up", "err", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case seen[n.ID]:
		case replaying:
			held = append(held, n)
		default:
			// A client whose queue is full misses the push, not the notification: the feed has it.
			out.Offer(&n)
		}
	})
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("subscribe notifications: %w", err)
	}
	var replay []domain.Notification
	if after != nil {
		if replay, err = s.store.Q().NotificationsAfter(ctx, viewer, *after, maxReplay); err != nil {
			release()
			out.Close()
			return nil, fmt.Errorf("replay notifications: %w", err)
		}
	}
	mu.Lock()
	// Replayed notifications may also arrive live (they were committed after we subscribed).
	for i := range replay {
		seen[replay[i].ID] = true
		out.Offer(&replay[i])
	}
	for i := range held {
		if !seen[held[i].ID] {
			out.Offer(&held[i])
		}
	}
	replaying, held = false, nil
	mu.Unlock()
	context.AfterFunc(ctx, func() {
		release()
		out.Close()
	})
	return out.Start(ctx), nil
}

// liveQueue is how many live notifications may wait for the client's socket.
const liveQueue = 16
