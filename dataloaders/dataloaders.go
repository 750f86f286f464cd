// Package dataloaders batches and caches per-request loads of related entities, so a query's SQL
// statement count does not grow with the number of rows it returns.
package dataloaders

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/taxonomy"
)

// Source is what the loaders read from; *store.Queries implements it.
type Source interface {
	UsersByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.User, error)
	ProfilesByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Profile, error)
	SlotsByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.AvailabilitySlot, error)
	MemberSkillsOf(ctx context.Context, lists []domain.MemberSkillsOf) (map[domain.MemberSkillsOf][]domain.MemberSkill, error)
	PrefetchMembers(ctx context.Context, profilesOf []uuid.UUID, lists []domain.MemberSkillsOf, taxonomy bool) (
		profiles map[uuid.UUID]domain.Profile, skills map[domain.MemberSkillsOf][]domain.MemberSkill, taxonomyVersion int64, err error)
	BlockedIDs(ctx context.Context, viewer uuid.UUID) ([]uuid.UUID, error)

	ConversationsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Conversation, error)
	ParticipantsByConversationIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.Participant, error)
	LastMessagesByConversationIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Message, error)
	UnreadCountsByConversationIDs(ctx context.Context, viewer uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]int, error)
	MessagesByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Message, error)
	NotificationsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Notification, error)
	UnreadNotificationCounts(ctx context.Context, userIDs []uuid.UUID) (map[uuid.UUID]int, error)
	SanctionsByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.Sanction, error)
	SanctionsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Sanction, error)
	AppealMessagesByAppealIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.AppealMessage, error)
	AppealsBySanctionIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Appeal, error)

	SessionSource
	PaymentSource
	ModerationSource
}

// ViewerKey keys a loader whose answer depends on who asks (a member's unread count in a
// conversation, the reviews of a session they may read): one request normally has one viewer,
// but the key keeps a cached answer from ever reaching another member, for example after signUp
// adopts a new viewer mid-request.
type ViewerKey struct {
	Viewer uuid.UUID
	ID     uuid.UUID
}

// Loaders are the request-scoped loaders.
type Loaders struct {
	// Users loads accounts by id; a missing id fails with NOT_FOUND.
	Users *dataloadgen.Loader[uuid.UUID, domain.User]
	// Profiles loads profiles by user id; a member without one gets the default profile.
	Profiles *dataloadgen.Loader[uuid.UUID, domain.Profile]
	// Slots loads weekly availability by user id.
	Slots *dataloadgen.Loader[uuid.UUID, []domain.AvailabilitySlot]
	// MemberSkills loads members' offers or wants (forget a member's with ForgetMemberSkills).
	MemberSkills *dataloadgen.Loader[domain.MemberSkillsOf, []domain.MemberSkill]
	// Blocks loads, for a viewer, the members on either side of a block with them.
	Blocks *dataloadgen.Loader[uuid.UUID, map[uuid.UUID]bool]

	// Conversations loads conversations by id; a missing id fails with NOT_FOUND.
	Conversations *dataloadgen.Loader[uuid.UUID, domain.Conversation]
	// Participants loads the current participants of conversations, in joining order.
	Participants *dataloadgen.Loader[uuid.UUID, []domain.Participant]
	// LastMessages loads the newest message of conversations; a conversation without messages
	// fails with NOT_FOUND (see LastMessage).
	LastMessages *dataloadgen.Loader[uuid.UUID, domain.Message]
	// UnreadCounts loads a member's unread count in conversations (0 where they take no part).
	UnreadCounts *dataloadgen.Loader[ViewerKey, int]
	// Messages loads messages by id.
	Messages *dataloadgen.Loader[uuid.UUID, domain.Message]
	// Notifications loads notifications by id.
	Notifications *dataloadgen.Loader[uuid.UUID, domain.Notification]
	// UnreadNotifications loads members' unread notification counts (0 for none).
	UnreadNotifications *dataloadgen.Loader[uuid.UUID, int]
	// Sanctions loads members' sanctions, newest first (User.sanctions, staff only).
	Sanctions *dataloadgen.Loader[uuid.UUID, []domain.Sanction]
	// SanctionsByID loads sanctions by id (an appeal's sanction).
	SanctionsByID *dataloadgen.Loader[uuid.UUID, domain.Sanction]
	// AppealMessages loads the threads of appeals, oldest first.
	AppealMessages *dataloadgen.Loader[uuid.UUID, []domain.AppealMessage]
	// Appeals loads the appeal of sanctions, keyed by sanction id (missing: not appealed).
	Appeals *dataloadgen.Loader[uuid.UUID, domain.Appeal]
	// Sessions are the skill-session, review and rating loaders.
	Sessions *SessionLoaders
	// Payments are the payment, price and mentor-account loaders.
	Payments *PaymentLoaders
	// Moderation are the moderation queue's loaders.
	Moderation *ModerationLoaders

	// src is what the loaders read, for prefetches that prime them without waiting for a
	// batching window (PrefetchCases).
	src Source

	// taxonomy is the skill taxonomy, checked against the database once per response (the
	// first field that needs it); see TaxonomyOf.
	taxonomy     Taxonomy
	taxonomyOnce sync.Once
	taxonomyRead atomic.Bool // taxonomyOnce has run (PrefetchMembers then reads no version)
	snapshot     *taxonomy.Snapshot
	snapshotErr  error
}

// Taxonomy is the process's copy of the skill taxonomy; *taxonomy.Cache implements it.
type Taxonomy interface {
	Current(ctx context.Context) (*taxonomy.Snapshot, error)
	// At is Current given the version, read with other statements (PrefetchMembers).
	At(ctx context.Context, version int64) (*taxonomy.Snapshot, error)
}

// DefaultWait is how long a loader waits to collect keys into one query.
const DefaultWait = 2 * time.Millisecond

// New returns fresh loaders over src that batch the keys asked for within wait, and read the
// skill taxonomy from tax. Missing keys become domain not-found errors.
func New(src Source, tax Taxonomy, batchWait time.Duration) *Loaders {
	wait := dataloadgen.WithWait(batchWait)
	return &Loaders{
		src:          src,
		taxonomy:     tax,
		Sessions:     newSessionLoaders(src, wait),
		Payments:     newPaymentLoaders(src, wait),
		Moderation:   newModerationLoaders(src, wait),
		Users:        dataloadgen.NewMappedLoader(src.UsersByIDs, wait),
		Slots:        dataloadgen.NewMappedLoader(orEmpty(src.SlotsByUserIDs), wait),
		MemberSkills: dataloadgen.NewMappedLoader(orEmpty(src.MemberSkillsOf), wait),
		Profiles:     dataloadgen.NewMappedLoader(orDefaultProfile(src.ProfilesByUserIDs), wait),
		Blocks: dataloadgen.NewMappedLoader(func(ctx context.Context, viewers []uuid.UUID) (map[uuid.UUID]map[uuid.UUID]bool, error) {
			out := make(map[uuid.UUID]map[uuid.UUID]bool, len(viewers))
			for _, v := range viewers {
				ids, err := src.BlockedIDs(ctx, v)
				if err != nil {
					return nil, err
				}
				set := make(map[uuid.UUID]bool, len(ids))
				for _, id := range ids {
					set[id] = true
				}
				out[v] = set
			}
			return out, nil
		}, wait),
		Conversations: dataloadgen.NewMappedLoader(src.ConversationsByIDs, wait),
		Participants:  dataloadgen.NewMappedLoader(orEmpty(src.ParticipantsByConversationIDs), wait),
		LastMessages:  dataloadgen.NewMappedLoader(src.LastMessagesByConversationIDs, wait),
		UnreadCounts: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []ViewerKey) (map[ViewerKey]int, error) {
			// One statement per viewer: a request has one.
			byViewer := map[uuid.UUID][]uuid.UUID{}
			for _, k := range keys {
				byViewer[k.Viewer] = append(byViewer[k.Viewer], k.ID)
			}
			out := make(map[ViewerKey]int, len(keys))
			for v, ids := range byViewer {
				counts, err := src.UnreadCountsByConversationIDs(ctx, v, ids)
				if err != nil {
					return nil, err
				}
				for _, id := range ids {
					out[ViewerKey{Viewer: v, ID: id}] = counts[id]
				}
			}
			return out, nil
		}, wait),
		Messages:       dataloadgen.NewMappedLoader(src.MessagesByIDs, wait),
		Notifications:  dataloadgen.NewMappedLoader(src.NotificationsByIDs, wait),
		Sanctions:      dataloadgen.NewMappedLoader(orEmpty(src.SanctionsByUserIDs), wait),
		Appeals:        dataloadgen.NewMappedLoader(src.AppealsBySanctionIDs, wait),
		SanctionsByID:  dataloadgen.NewMappedLoader(src.SanctionsByIDs, wait),
		AppealMessages: dataloadgen.NewMappedLoader(orEmpty(src.AppealMessagesByAppealIDs), wait),
		UnreadNotifications: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]int, error) {
			found, err := src.UnreadNotificationCounts(ctx, ids)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if _, ok := found[id]; !ok {
					found[id] = 0 // no unread notification: a count of 0, not NOT_FOUND
				}
			}
			return found, nil
		}, wait),
	}
}

// orDefaultProfile makes the profile fetch answer the default profile for members without a row.
func orDefaultProfile(fetch func(context.Context, []uuid.UUID) (map[uuid.UUID]domain.Profile, error)) func(context.Context, []uuid.UUID) (map[uuid.UUID]domain.Profile, error) {
	return func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Profile, error) {
		found, err := fetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if _, ok := found[id]; !ok {
				found[id] = domain.DefaultProfile(id)
			}
		}
		return found, nil
	}
}

// orEmpty makes a one-to-many fetch answer an empty list (not NOT_FOUND) for keys without rows.
func orEmpty[K comparable, V any](fetch func(context.Context, []K) (map[K][]V, error)) func(context.Context, []K) (map[K][]V, error) {
	return func(ctx context.Context, ids []K) (map[K][]V, error) {
		found, err := fetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if _, ok := found[id]; !ok {
				found[id] = []V{}
			}
		}
		return found, nil
	}
}

type ctxKey struct{}

// Middleware gives every GraphQL response its own loaders: one set per query or mutation, and a
// fresh set per subscription event, so a long-lived WebSocket never serves stale cached rows.
// Install it with handler.Server.AroundResponses.
func Middleware(src Source, tax Taxonomy, batchWait time.Duration) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(context.WithValue(ctx, ctxKey{}, &lazyLoaders{src: src, tax: tax, wait: batchWait}))
	}
}

// lazyLoaders makes a response's loaders on first use: most subscription events (a chat
// message's seq and body) need none, and making the thirty of them costs more than the event.
type lazyLoaders struct {
	once sync.Once
	src  Source
	tax  Taxonomy
	wait time.Duration
	l    *Loaders
}

// WithLoaders returns ctx carrying l.
func WithLoaders(ctx context.Context, l *Loaders) context.Context {
	lz := &lazyLoaders{l: l}
	lz.once.Do(func() {})
	return context.WithValue(ctx, ctxKey{}, lz)
}

// For returns the request's loaders. It panics when the middleware is missing: that is a wiring
// bug, never a runtime condition.
func For(ctx context.Context) *Loaders {
	lz, ok := ctx.Value(ctxKey{}).(*lazyLoaders)
	if !ok {
		panic("dataloaders: no loaders in context; is dataloaders.Middleware installed?")
	}
	lz.once.Do(func() { lz.l = New(lz.src, lz.tax, lz.wait) })
	return lz.l
}

// User loads one account, mapping the loader's not-found to the domain's.
func User(ctx context.Context, id uuid.UUID) (domain.User, error) {
	u, err := For(ctx).Users.Load(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return domain.User{}, domain.NotFound("user")
		}
		return domain.User{}, err
	}
	return u, nil
}

// AppealOf loads the appeal of a sanction; nil when it was not appealed.
func AppealOf(ctx context.Context, sanctionID uuid.UUID) (*domain.Appeal, error) {
	a, err := For(ctx).Appeals.Load(ctx, sanctionID)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return &a, nil
}

// Skill loads one skill: the response's taxonomy's own, shared, not to be modified.
func Skill(ctx context.Context, id uuid.UUID) (*domain.Skill, error) {
	t, err := TaxonomyOf(ctx)
	if err != nil {
		return nil, err
	}
	s, ok := t.Skill(id)
	if !ok {
		return nil, domain.NotFound("skill")
	}
	return s, nil
}

// TaxonomyOf is the skill taxonomy for this response: read once per response, so every field of
// it sees the same version, one that includes every change committed before the response began.
func TaxonomyOf(ctx context.Context) (*taxonomy.Snapshot, error) {
	l := For(ctx)
	l.readTaxonomy(func() (*taxonomy.Snapshot, error) { return l.taxonomy.Current(ctx) })
	return l.snapshot, l.snapshotErr
}

// readTaxonomy reads the response's taxonomy with read, unless it was read already.
func (l *Loaders) readTaxonomy(read func() (*taxonomy.Snapshot, error)) {
	l.taxonomyOnce.Do(func() {
		l.snapshot, l.snapshotErr = read()
		l.taxonomyRead.Store(true)
	})
}

// Category loads one skill category: the response's taxonomy's own, shared, not to be modified.
func Category(ctx context.Context, id uuid.UUID) (*domain.SkillCategory, error) {
	t, err := TaxonomyOf(ctx)
	if err != nil {
		return nil, err
	}
	c, ok := t.Category(id)
	if !ok {
		return nil, domain.NotFound("category")
	}
	return c, nil
}

// Conversation loads one conversation (no access check: callers check participation).
func Conversation(ctx context.Context, id uuid.UUID) (domain.Conversation, error) {
	c, err := For(ctx).Conversations.Load(ctx, id)
	if isNotFound(err) {
		return domain.Conversation{}, domain.NotFound("conversation")
	}
	return c, err
}

// Message loads one message (no access check: callers check participation).
func Message(ctx context.Context, id uuid.UUID) (domain.Message, error) {
	m, err := For(ctx).Messages.Load(ctx, id)
	if isNotFound(err) {
		return domain.Message{}, domain.NotFound("message")
	}
	return m, err
}

// Notification loads one notification (no access check: callers check its owner).
func Notification(ctx context.Context, id uuid.UUID) (domain.Notification, error) {
	n, err := For(ctx).Notifications.Load(ctx, id)
	if isNotFound(err) {
		return domain.Notification{}, domain.NotFound("notification")
	}
	return n, err
}

// LastMessage loads the newest message of a conversation; nil when it has none.
func LastMessage(ctx context.Context, convID uuid.UUID) (*domain.Message, error) {
	m, err := For(ctx).LastMessages.Load(ctx, convID)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func isNotFound(err error) bool {
	return err == dataloadgen.ErrNotFound //nolint:errorlint // the loader returns the sentinel itself
}

// Found loads many keys in one batch and returns those that exist: a key that vanished between a
// search and this load (an erased account) is left out instead of failing the whole list.
func Found[K comparable, V any](ctx context.Context, l *dataloadgen.Loader[K, V], keys []K) (map[K]V, error) {
	values, err := l.LoadAll(ctx, keys)
	var errs dataloadgen.ErrorSlice
	if err != nil && !errors.As(err, &errs) {
		return nil, err
	}
	out := make(map[K]V, len(keys))
	for i, k := range keys {
		if errs != nil && errs[i] != nil {
			if isNotFound(errs[i]) {
				continue
			}
			return nil, errs[i]
		}
		out[k] = values[i]
	}
	return out, nil
}
