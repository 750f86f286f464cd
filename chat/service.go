// Package chat owns conversations (direct, group, support), their participants and messages, and
// the real-time streams over them.
//
// PostgreSQL is the source of truth: a message gets its per-conversation seq in the sending
// transaction, is committed, and only then is a wake-up carrying the seq published on the broker.
// Streams listen first, replay from PostgreSQL, then go live, so they never skip or repeat.
//
// Every operation a member performs takes their domain.Actor right after the context (the zero
// Actor is UNAUTHENTICATED: chat serves no signed-out caller); AddParticipant, a system
// operation its callers authorise, takes plain ids. Lists take a relay.Page and return a
// relay.Connection whose cursors are of the kinds below.
package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Cursor kinds of the chat lists. Clients hold cursors: the strings never change.
const (
	// ConversationsCursor: Conversations, keyed by ConversationKey.
	ConversationsCursor = "conversations"
	// MessagesCursor: Messages, keyed by the message's seq.
	MessagesCursor = "messages"
)

// ConversationKey is the keyset position of a conversation in Conversations: latest activity
// first, then id. The store reads by it, hence the alias.
type ConversationKey = store.ConversationKey

// Notifier creates notifications inside the caller's transaction (notifications.Service).
type Notifier interface {
	// NotifyOnce notifies userIDs, at most one unread notification per member and groupKey.
	NotifyOnce(ctx context.Context, q *store.Queries, userIDs []uuid.UUID, typ domain.NotificationType, groupKey string, payload any) ([]domain.Notification, error)
	// MarkGroupRead marks userID's unread notification with groupKey read.
	MarkGroupRead(ctx context.Context, q *store.Queries, userID uuid.UUID, groupKey string) error
}

// Options tune the service; the zero value gives the defaults.
type Options struct {
	// AwayAfter: a participant who has not read (nor written in) a conversation for this long is
	// "away", and a new message there notifies them (default 2 minutes). Clients viewing a
	// conversation mark it read as messages arrive, which keeps them "present".
	AwayAfter time.Duration
	// ResyncEvery makes every live stream re-read PostgreSQL this often even without wake-ups,
	// bounding how long a message whose wake-up was lost (Redis restarting) waits for the next
	// one. 0 (the default) relies on wake-ups and on clients resubscribing with afterSeq.
	ResyncEvery time.Duration
	// Now is the clock (tests); UTC time.Now when nil.
	Now func() time.Time
	// Limiter and MessageRate bound how many messages a member sends (per member, over every
	// conversation); a nil Limiter or zero rate sends without limit.
	Limiter     ratelimit.Limiter
	MessageRate ratelimit.Rate
	// Unverified says whether members whose email is not verified may message (action MESSAGE):
	// by default they may not open conversations nor send messages, except to support.
	Unverified domain.UnverifiedPolicy
	// Conversations bound how many conversations a member opens (with Limiter).
	Conversations ConversationLimits
	// Limits, when set, refuses new conversations to a member a moderator limited
	// (moderation.Service implements it).
	Limits Limits
}

// Limits tells whether a member may start conversations (a moderator's LIMIT refuses it).
type Limits interface {
	// RequireNotLimited returns a FORBIDDEN domain error while the member is limited.
	RequireNotLimited(ctx context.Context, userID uuid.UUID) error
}

// Service implements chat.
type Service struct {
	unverified domain.UnverifiedPolicy
	store      *store.Store
	hub        *realtime.Hub
	notifier   Notifier
	log        *slog.Logger
	now        func() time.Time
	away       time.Duration
	resync     time.Duration
	wakes      wakeDecoder
	limiter    ratelimit.Limiter
	msgRate    ratelimit.Rate
	convLimits ConversationLimits
	limits     Limits
}

// NewService wires the service: st for the data, hub to publish and subscribe to wake-ups,
// notifier (may be nil) for "new message while away" notifications.
func NewService(st *store.Store, hub *realtime.Hub, notifier Notifier, log *slog.Logger, opts Options) *Service {
	s := &Service{store: st, hub: hub, notifier: notifier, log: log, now: opts.Now, away: opts.AwayAfter, resync: opts.ResyncEvery,
		limiter: opts.Limiter, msgRate: opts.MessageRate, unverified: opts.Unverified,
		convLimits: opts.Conversations, limits: opts.Limits}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	if s.away <= 0 {
		s.away = 2 * time.Minute
	}
	return s
}

func newID() (uuid.UUID, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, fmt.Errorf("new id: %w", err)
	}
	return id, nil
}

// OpenDirect returns the DIRECT conversation between the actor and other, creating it the first
// time (idempotent, also when both open it at once). Members who blocked each other cannot.
func (s *Service) OpenDirect(ctx context.Context, actor domain.Actor, other uuid.UUID) (domain.Conversation, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Conversation{}, err
	}
	if err := s.unverified.Require(actor, domain.UnverifiedMessage); err != nil {
		return domain.Conversation{}, err
	}
	if err := s.requireNotLimited(ctx, actor); err != nil {
		return domain.Conversation{}, err
	}
	viewer := actor.ID()
	if other == viewer {
		return domain.Conversation{}, domain.Invalid("userId", "you cannot open a conversation with yourself")
	}
	low, high := domain.DirectPair(viewer, other)
	// Only a new conversation spends the budget: reopening one (the usual case) costs a read.
	giveBack := func() {}
	if _, err := s.store.Q().DirectConversation(ctx, low, high); domain.IsKind(err, domain.KindNotFound) {
		if giveBack, err = s.takeConversation(ctx, actor, "userId"); err != nil {
			return domain.Conversation{}, err
		}
	} else if err != nil {
		return domain.Conversation{}, fmt.Errorf("open direct conversation: %w", err)
	}
	var conv domain.Conversation
	var created bool
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		if err := s.requireReachable(ctx, q, viewer, []uuid.UUID{other}, "userId"); err != nil {
			return err
		}
		existing, err := q.DirectConversation(ctx, low, high)
		if err == nil {
			conv = existing
			return nil
		}
		if !domain.IsKind(err, domain.KindNotFound) {
			return err
		}
		id, err := newID()
		if err != nil {
			return err
		}
		now := s.now()
		conv, created, err = q.InsertConversation(ctx, store.NewConversation{
			ID: id, Kind: domain.ConversationDirect, CreatedBy: &viewer, CreatedAt: now, DirectLow: &low, DirectHigh: &high,
		})
		if err != nil {
			return err
		}
		if !created {
			// The other member opened it concurrently; the unique pair made us wait for them.
			conv, err = q.DirectConversation(ctx, low, high)
			return err
		}
		if err := q.AddParticipants(ctx, []domain.Participant{
			{ConversationID: id, UserID: viewer, Role: domain.ParticipantMember, JoinedAt: now},
			{ConversationID: id, UserID: other, Role: domain.ParticipantMember, JoinedAt: now},
		}); err != nil {
			return err
		}
		s.afterCommitEvents(ctx, q, []uuid.UUID{viewer, other}, domain.ConversationEvent{ConversationID: id, Kind: domain.ConversationCreated})
		return nil
	})
	if !created {
		giveBack() // refused, failed, or the other member created it meanwhile
	}
	if err != nil {
		return domain.Conversation{}, fmt.Errorf("open direct conversation: %w", err)
	}
	return conv, nil
}

// requireNotLimited refuses a new conversation to a member under a moderator's LIMIT (support
// conversations stay open to them).
func (s *Service) requireNotLimited(ctx context.Context, actor domain.Actor) error {
	if s.limits == nil {
		return nil
	}
	return s.limits.RequireNotLimited(ctx, actor.ID())
}

// RemoveMessage tombstones a message for a moderator inside the caller's transaction q, as
// Delete does for its sender (body and attachment erased), and tells its conversation after
// commit. Package moderation calls it for a CONTENT_REMOVAL sanction; it checks nothing.
func (s *Service) RemoveMessage(ctx context.Context, q *store.Queries, id uuid.UUID) (domain.Message, error) {
	m, err := q.TombstoneMessage(ctx, id, s.now())
	if err != nil {
		return domain.Message{}, fmt.Errorf("remove message: %w", err)
	}
	if err := s.afterCommitParticipants(ctx, q, m, domain.ConversationMessageDeleted); err != nil {
		return domain.Message{}, fmt.Errorf("remove message: %w", err)
	}
	return m, nil
}

// requireReachable checks that every id is an active member and that none blocked viewer or
// was blocked by them.
func (s *Service) requireReachable(ctx context.Context, q *store.Queries, viewer uuid.UUID, ids []uuid.UUID, field string) error {
	users, err := q.UsersByIDs(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if u, ok := users[id]; !ok || u.Status != domain.UserActive {
			e := domain.NotFound("member")
			e.Field = field
			return e
		}
	}
	blocked, err := q.BlockedAmong(ctx, viewer, ids)
	if err != nil {
		return err
	}
	if len(blocked) > 0 {
		return domain.Forbidden("you cannot start a conversation with a member you blocked or who blocked you")
	}
	return nil
}

// CreateGroup creates a GROUP conversation owned by the actor with the given members (the owner
// is added if missing; duplicates are ignored).
func (s *Service) CreateGroup(ctx context.Context, actor domain.Actor, title string, members []uuid.UUID) (domain.Conversation, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Conversation{}, err
	}
	if err := s.unverified.Require(actor, domain.UnverifiedMessage); err != nil {
		return domain.Conversation{}, err
	}
	if err := s.requireNotLimited(ctx, actor); err != nil {
		return domain.Conversation{}, err
	}
	owner := actor.ID()
	t, err := domain.ValidateConversationTitle("title", title)
	if err != nil {
		return domain.Conversation{}, err
	}
	others := uniqueWithout(members, owner)
	if len(others) == 0 || len(others) > domain.MaxGroupMembers {
		return domain.Conversation{}, domain.Invalid("memberIds", "give 1 to %d other members", domain.MaxGroupMembers)
	}
	roles := map[uuid.UUID]domain.ParticipantRole{owner: domain.ParticipantOwner}
	for _, m := range others {
		roles[m] = domain.ParticipantMember
	}
	giveBack, err := s.takeConversation(ctx, actor, "memberIds")
	if err != nil {
		return domain.Conversation{}, err
	}
	conv, err := s.create(ctx, owner, domain.ConversationGroup, &t, others, roles)
	if err != nil {
		giveBack()
		return domain.Conversation{}, fmt.Errorf("create group: %w", err)
	}
	return conv, nil
}

// CreateSupport creates a SUPPORT conversation between the actor (its owner) and support agents
// (possibly none yet; see AddParticipant). Blocks do not apply: support must stay reachable.
func (s *Service) CreateSupport(ctx context.Context, actor domain.Actor, subject string, agents []uuid.UUID) (domain.Conversation, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Conversation{}, err
	}
	member := actor.ID()
	t, err := domain.ValidateConversationTitle("subject", subject)
	if err != nil {
		return domain.Conversation{}, err
	}
	agents = uniqueWithout(agents, member)
	roles := map[uuid.UUID]domain.ParticipantRole{member: domain.ParticipantOwner}
	for _, a := range agents {
		roles[a] = domain.ParticipantAgent
	}
	conv, err := s.create(ctx, member, domain.ConversationSupport, &t, nil, roles)
	if err != nil {
		return domain.Conversation{}, fmt.Errorf("create support conversation: %w", err)
	}
	return conv, nil
}

// create inserts a GROUP or SUPPORT conversation with participants; reachable are checked with
// requireReachable against creator first.
func (s *Service) create(ctx context.Context, creator uuid.UUID, kind domain.ConversationKind, title *string, reachable []uuid.UUID, roles map[uuid.UUID]domain.ParticipantRole) (domain.Conversation, error) {
	var conv domain.Conversation
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		if len(reachable) > 0 {
			if err := s.requireReachable(ctx, q, creator, reachable, "memberIds"); err != nil {
				return err
			}
		}
		id, err := newID()
		if err != nil {
			return err
		}
		now := s.now()
		if conv, _, err = q.InsertConversation(ctx, store.NewConversation{ID: id, Kind: kind, Title: title, CreatedBy: &creator, CreatedAt: now}); err != nil {
			return err
		}
		ps := make([]domain.Participant, 0, len(roles))
		ids := make([]uuid.UUID, 0, len(roles))
		for u, r := range roles {
			ps = append(ps, domain.Participant{ConversationID: id, UserID: u, Role: r, JoinedAt: now})
			ids = append(ids, u)
		}
		if err := q.AddParticipants(ctx, ps); err != nil {
			return err
		}
		s.afterCommitEvents(ctx, q, ids, domain.ConversationEvent{ConversationID: id, Kind: domain.ConversationCreated})
		return nil
	})
	return conv, err
}

// AddParticipant adds userID to a GROUP or SUPPORT conversation (a workshop seat, a support agent
// taking a ticket). It is a system operation: callers authorise it.
func (s *Service) AddParticipant(ctx context.Context, convID, userID uuid.UUID, role domain.ParticipantRole) error {
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		convs, err := q.ConversationsByIDs(ctx, []uuid.UUID{convID})
		if err != nil {
			return err
		}
		c, ok := convs[convID]
		if !ok {
			return domain.NotFound("conversation")
		}
		if c.Kind == domain.ConversationDirect {
			return domain.Conflict("a direct conversation keeps its two members")
		}
		if err := q.AddParticipants(ctx, []domain.Participant{{ConversationID: convID, UserID: userID, Role: role, JoinedAt: s.now()}}); err != nil {
			return err
		}
		ids, err := q.ActiveParticipantIDs(ctx, convID)
		if err != nil {
			return err
		}
		s.afterCommitEvents(ctx, q, []uuid.UUID{userID}, domain.ConversationEvent{ConversationID: convID, Kind: domain.ConversationCreated, Seq: c.LastSeq})
		s.afterCommitEvents(ctx, q, ids, domain.ConversationEvent{ConversationID: convID, Kind: domain.ConversationParticipantsChanged, Seq: c.LastSeq})
		return nil
	})
	if err != nil {
		return fmt.Errorf("add participant: %w", err)
	}
	return nil
}

func uniqueWithout(ids []uuid.UUID, drop uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if id != drop && id != uuid.Nil && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// access reads convID for viewer and requires a current participation: NOT_FOUND when the
// conversation does not exist or viewer never took part in it (a stranger cannot tell the two
// apart), FORBIDDEN when viewer has left it (they know it exists).
func access(ctx context.Context, q *store.Queries, convID, viewer uuid.UUID) (store.ConversationAccess, error) {
	a, err := q.ConversationAccessOf(ctx, convID, viewer)
	if err != nil {
		return a, err
	}
	return a, requireParticipant(a)
}

// requireParticipant is nil when a's member currently takes part in the conversation,
// FORBIDDEN when they have left it, and for a member who never took part exactly the NOT_FOUND
// of a conversation that does not exist, so that its existence is not revealed.
func requireParticipant(a store.ConversationAccess) error {
	if a.Participant == nil {
		return domain.NotFound("conversation")
	}
	if !a.Participant.Active() {
		return domain.Forbidden("you are not a participant of this conversation")
	}
	return nil
}

// hiddenMessage turns the NOT_FOUND of a message's conversation into the message's own, as for
// a message that does not exist.
func hiddenMessage(err error) error {
	if domain.IsKind(err, domain.KindNotFound) {
		return domain.NotFound("message")
	}
	return err
}

// Conversation returns one conversation the actor takes part in.
func (s *Service) Conversation(ctx context.Context, actor domain.Actor, convID uuid.UUID) (domain.Conversation, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Conversation{}, err
	}
	a, err := access(ctx, s.store.Q(), convID, actor.ID())
	if err != nil {
		return domain.Conversation{}, fmt.Errorf("conversation: %w", err)
	}
	return a.Conversation, nil
}

// validFirst is BAD_USER_INPUT on `first` unless a page's size is within relay's bounds (pages
// also come from callers other than relay.ParsePage).
func validFirst(first int) error {
	if first < 1 || first > relay.MaxPageSize {
		return domain.Invalid("first", "must be between 1 and %d", relay.MaxPageSize)
	}
	return nil
}

// Conversations lists the actor's conversations by latest activity, each with their unread
// count and the last message: three statements whatever the page size.
func (s *Service) Conversations(ctx context.Context, actor domain.Actor, page relay.Page[ConversationKey]) (relay.Connection[domain.ConversationItem], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.ConversationItem]{}, err
	}
	if err := validFirst(page.First); err != nil {
		return relay.Connection[domain.ConversationItem]{}, err
	}
	viewer := actor.ID()
	q := s.store.Q()
	convs, err := q.ConversationsOfMember(ctx, viewer, page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.ConversationItem]{}, fmt.Errorf("list conversations: %w", err)
	}
	out := make([]domain.ConversationItem, len(convs))
	if len(convs) > 0 {
		ids := make([]uuid.UUID, len(convs))
		for i, c := range convs {
			ids[i] = c.ID
		}
		unread, err := q.UnreadCountsByConversationIDs(ctx, viewer, ids)
		if err != nil {
			return relay.Connection[domain.ConversationItem]{}, fmt.Errorf("list conversations: %w", err)
		}
		last, err := q.LastMessagesByConversationIDs(ctx, ids)
		if err != nil {
			return relay.Connection[domain.ConversationItem]{}, fmt.Errorf("list conversations: %w", err)
		}
		for i, c := range convs {
			out[i] = domain.ConversationItem{Conversation: c, UnreadCount: unread[c.ID]}
			if m, ok := last[c.ID]; ok {
				out[i].LastMessage = &m
			}
		}
	}
	return relay.Paginate(ConversationsCursor, page, out, func(it domain.ConversationItem) ConversationKey {
		return ConversationKey{ActivityAt: it.Conversation.ActivityAt, ID: it.Conversation.ID}
	}), nil
}

// Send posts a message to convID as the actor. clientID makes it idempotent: a retry (sequential or
// concurrent) returns the original message and creates nothing. The message gets the next seq
// of the conversation; away participants are notified in the same transaction; the wake-up is
// published after commit. Blocks stop DIRECT messages both ways; in GROUP and SUPPORT
// conversations everyone shares one thread, so a block there hides nothing and is not checked.
//
// A send in a live conversation (nobody to notify, no block, a new client id) is one statement
// and one round trip: store.TryAppendLive. Any other send reads first what it depends on (one
// batch: the conversation, the sender's access, an earlier message with clientID and the
// targets) to answer with the right error or the earlier message, and a send that notifies
// someone runs as a transaction that also creates the notifications.
func (s *Service) Send(ctx context.Context, actor domain.Actor, convID uuid.UUID, clientID, body string, attachmentURL *string) (domain.Message, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Message{}, err
	}
	if err := s.unverified.Require(actor, domain.UnverifiedMessage); err != nil {
		// Support stays reachable: it is where a member whose emails do not arrive turns.
		conv, cerr := s.Conversation(ctx, actor, convID)
		if cerr != nil {
			return domain.Message{}, cerr
		}
		if conv.Kind != domain.ConversationSupport {
			return domain.Message{}, err
		}
	}
	viewer := actor.ID()
	if err := domain.ValidateClientID("clientId", clientID); err != nil {
		return domain.Message{}, err
	}
	att, err := domain.ValidateAttachmentURL("attachmentUrl", attachmentURL)
	if err != nil {
		return domain.Message{}, err
	}
	body, err = domain.ValidateMessageBody("body", body, att != nil)
	if err != nil {
		return domain.Message{}, err
	}
	if err := ratelimit.Take(ctx, s.limiter, "message:user:"+viewer.String(), s.msgRate, 1); err != nil {
		return domain.Message{}, err
	}
	id, err := newID()
	if err != nil {
		return domain.Message{}, fmt.Errorf("send message: %w", err)
	}
	msg := domain.Message{
		ID: id, ConversationID: convID, SenderID: viewer, ClientID: clientID,
		Body: body, AttachmentURL: att, CreatedAt: s.now(),
	}
	groupKey := domain.ConversationGroupKey(convID)
	live, ok, err := s.store.Q().TryAppendLive(ctx, msg, msg.CreatedAt.Add(-s.away), groupKey)
	if err != nil {
		return domain.Message{}, fmt.Errorf("send message: %w", err)
	}
	if ok {
		if err := s.announce(ctx, s.store.Q(), live.Message, live.Participants); err != nil {
			return domain.Message{}, fmt.Errorf("send message: %w", err)
		}
		return live.Message, nil
	}
	sent, notify, err := s.send(ctx, s.store.Q(), msg, false)
	if err == nil && notify {
		err = s.store.InTx(ctx, func(q *store.Queries) error {
			sent, _, err = s.send(ctx, q, msg, true)
			return err
		})
	}
	if errors.Is(err, store.ErrDuplicateMessage) {
		// A concurrent retry stored it first; its message is the answer.
		sent, err = s.store.Q().MessageByClientID(ctx, convID, viewer, clientID)
	}
	if err != nil {
		return domain.Message{}, fmt.Errorf("send message: %w", err)
	}
	return sent, nil
}

// send checks and stores msg on q and announces it after commit. Without notifying it stops
// (and reports notify) before writing when some target is to be notified, since notifications
// must be created in the message's transaction; with notifying, q is that transaction.
func (s *Service) send(ctx context.Context, q *store.Queries, msg domain.Message, notifying bool) (sent domain.Message, notify bool, err error) {
	convID, viewer := msg.ConversationID, msg.SenderID
	groupKey := domain.ConversationGroupKey(convID)
	plan, err := q.PrepareSend(ctx, convID, viewer, msg.ClientID, msg.CreatedAt, msg.CreatedAt.Add(-s.away), groupKey)
	if err != nil {
		return domain.Message{}, false, err
	}
	if err := requireParticipant(plan.Access); err != nil {
		return domain.Message{}, false, err
	}
	if plan.Existing != nil {
		return *plan.Existing, false, nil
	}
	if plan.Access.Blocked && plan.Access.Conversation.Kind == domain.ConversationDirect {
		return domain.Message{}, false, domain.Forbidden("you cannot message a member you blocked or who blocked you")
	}
	all := make([]uuid.UUID, 0, len(plan.Targets))
	var away []uuid.UUID
	for _, t := range plan.Targets {
		all = append(all, t.UserID)
		if t.Away {
			away = append(away, t.UserID)
		}
	}
	if s.notifier == nil {
		away = nil
	}
	if len(away) > 0 && !notifying {
		return domain.Message{}, true, nil
	}
	// The seq, the message and the sender's read position (writing implies having read
	// everything up to one's own message) in one statement.
	m, err := q.AppendMessage(ctx, msg)
	if domain.IsKind(err, domain.KindNotFound) {
		err = domain.Forbidden("you are not a participant of this conversation") // left meanwhile
	}
	if err != nil {
		return domain.Message{}, false, err
	}
	if len(away) > 0 {
		payload := domain.NewMessagePayload{ConversationID: convID, MessageID: m.ID, SenderID: viewer, Seq: m.Seq}
		if _, err := s.notifier.NotifyOnce(ctx, q, away, domain.NotificationNewMessage, groupKey, payload); err != nil {
			return domain.Message{}, false, err
		}
	}
	if err := s.announce(ctx, q, m, all); err != nil {
		return domain.Message{}, false, err
	}
	return m, false, nil
}

// announce publishes, once q commits, message m on its conversation's topic and as a
// conversation event to each of participants.
func (s *Service) announce(ctx context.Context, q *store.Queries, m domain.Message, participants []uuid.UUID) error {
	wake, err := messageWakeUp(m)
	if err != nil {
		return err
	}
	s.afterCommitEvents(ctx, q, participants, domain.ConversationEvent{ConversationID: m.ConversationID, Kind: domain.ConversationMessageAdded, Seq: m.Seq, Message: &m}, wake)
	return nil
}

// Edit replaces the body of the actor's own message, within domain.EditWindow of sending.
func (s *Service) Edit(ctx context.Context, actor domain.Actor, messageID uuid.UUID, body string) (domain.Message, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Message{}, err
	}
	viewer := actor.ID()
	var msg domain.Message
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		m, err := q.LockMessage(ctx, messageID)
		if err != nil {
			return err
		}
		if _, err := access(ctx, q, m.ConversationID, viewer); err != nil {
			return hiddenMessage(err)
		}
		now := s.now()
		if err := domain.CanEditMessage(m, viewer, now); err != nil {
			return err
		}
		newBody, err := domain.ValidateMessageBody("body", body, m.AttachmentURL != nil)
		if err != nil {
			return err
		}
		if msg, err = q.EditMessage(ctx, messageID, newBody, now); err != nil {
			return err
		}
		return s.afterCommitParticipants(ctx, q, msg, domain.ConversationMessageEdited)
	})
	if err != nil {
		return domain.Message{}, fmt.Errorf("edit message: %w", err)
	}
	return msg, nil
}

// Delete turns the actor's own message into a tombstone: its seq stays, its content goes.
// Deleting a deleted message returns it unchanged.
func (s *Service) Delete(ctx context.Context, actor domain.Actor, messageID uuid.UUID) (domain.Message, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Message{}, err
	}
	viewer := actor.ID()
	var msg domain.Message
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		m, err := q.LockMessage(ctx, messageID)
		if err != nil {
			return err
		}
		if _, err := access(ctx, q, m.ConversationID, viewer); err != nil {
			return hiddenMessage(err)
		}
		if err := domain.CanDeleteMessage(m, viewer); err != nil {
			return err
		}
		if m.Deleted() {
			msg = m
			return nil
		}
		if msg, err = q.TombstoneMessage(ctx, messageID, s.now()); err != nil {
			return err
		}
		return s.afterCommitParticipants(ctx, q, msg, domain.ConversationMessageDeleted)
	})
	if err != nil {
		return domain.Message{}, fmt.Errorf("delete message: %w", err)
	}
	return msg, nil
}

func (s *Service) afterCommitParticipants(ctx context.Context, q *store.Queries, m domain.Message, kind domain.ConversationEventKind) error {
	ids, err := q.ActiveParticipantIDs(ctx, m.ConversationID)
	if err != nil {
		return err
	}
	s.afterCommitEvents(ctx, q, ids, domain.ConversationEvent{ConversationID: m.ConversationID, Kind: kind, Seq: m.Seq, Message: &m})
	return nil
}

// Messages returns a keyset page of convID's messages (tombstones included) for a participant,
// oldest first, keyed by seq: after page.After (newer messages), or before page.Before (older
// ones), or the newest page when neither is set.
func (s *Service) Messages(ctx context.Context, actor domain.Actor, convID uuid.UUID, page relay.Page[int64]) (relay.Connection[domain.Message], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.Message]{}, err
	}
	if page.Before != nil && page.After != nil {
		return relay.Connection[domain.Message]{}, domain.Invalid("before", "give before or after, not both")
	}
	if err := validFirst(page.First); err != nil {
		return relay.Connection[domain.Message]{}, err
	}
	if (page.Before != nil && *page.Before < 1) || (page.After != nil && *page.After < 0) {
		return relay.Connection[domain.Message]{}, domain.Invalid("before", "is not a valid position")
	}
	q := s.store.Q()
	if _, err := access(ctx, q, convID, actor.ID()); err != nil {
		return relay.Connection[domain.Message]{}, fmt.Errorf("messages: %w", err)
	}
	seq := func(m domain.Message) int64 { return m.Seq }
	if page.After != nil {
		list, err := q.MessagesAfter(ctx, convID, *page.After, page.Limit())
		if err != nil {
			return relay.Connection[domain.Message]{}, fmt.Errorf("messages: %w", err)
		}
		conn := relay.Paginate(MessagesCursor, page, list, seq)
		// Seqs start at 1: nothing precedes the position 0.
		conn.PageInfo.HasPreviousPage = *page.After > 0
		return conn, nil
	}
	list, err := q.MessagesBefore(ctx, convID, page.Before, page.Limit())
	if err != nil {
		return relay.Connection[domain.Message]{}, fmt.Errorf("messages: %w", err)
	}
	return relay.PaginateBefore(MessagesCursor, page, list, seq), nil
}

// MarkRead moves the actor's read position in convID forward to seq (never back), and marks the
// conversation's NEW_MESSAGE notification read.
func (s *Service) MarkRead(ctx context.Context, actor domain.Actor, convID uuid.UUID, seq int64) (domain.Participant, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Participant{}, err
	}
	viewer := actor.ID()
	if seq < 0 {
		return domain.Participant{}, domain.Invalid("seq", "must not be negative")
	}
	var p domain.Participant
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		a, err := access(ctx, q, convID, viewer)
		if err != nil {
			return err
		}
		if p, err = q.MarkConversationRead(ctx, convID, viewer, seq, s.now()); err != nil {
			return err
		}
		if s.notifier != nil {
			if err := s.notifier.MarkGroupRead(ctx, q, viewer, domain.ConversationGroupKey(convID)); err != nil {
				return err
			}
		}
		// The member's other devices update their unread badges.
		s.afterCommitEvents(ctx, q, []uuid.UUID{viewer}, domain.ConversationEvent{ConversationID: convID, Kind: domain.ConversationRead, Seq: a.Conversation.LastSeq})
		return nil
	})
	if err != nil {
		return domain.Participant{}, fmt.Errorf("mark conversation read: %w", err)
	}
	return p, nil
}

// Mute mutes convID for the actor (until a time, or indefinitely when until is nil), or unmutes
// it when muted is false. A muted conversation still delivers messages, but never notifies.
func (s *Service) Mute(ctx context.Context, actor domain.Actor, convID uuid.UUID, muted bool, until *time.Time) (domain.Participant, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Participant{}, err
	}
	viewer := actor.ID()
	if muted && until != nil && !until.After(s.now()) {
		return domain.Participant{}, domain.Invalid("until", "must be in the future")
	}
	var p domain.Participant
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		a, err := access(ctx, q, convID, viewer)
		if err != nil {
			return err
		}
		if p, err = q.SetMute(ctx, convID, viewer, muted, until); err != nil {
			return err
		}
		s.afterCommitEvents(ctx, q, []uuid.UUID{viewer}, domain.ConversationEvent{ConversationID: convID, Kind: domain.ConversationMuted, Seq: a.Conversation.LastSeq})
		return nil
	})
	if err != nil {
		return domain.Participant{}, fmt.Errorf("mute conversation: %w", err)
	}
	return p, nil
}

// wakeUp is the payload of ConversationTopic: the seq of the new message, and the message itself
// so that subscribers in step deliver it without reading PostgreSQL (those behind read it there).
type wakeUp struct {
	Seq     int64           `json:"seq"`
	Message *domain.Message `json:"message,omitempty"`
}

// messageWakeUp is the wake-up announcing m on its conversation's topic. It carries the message
// so subscribers need not read it back; a lost one (Redis down) only delays delivery until the
// next one or the client's resubscription with afterSeq.
func messageWakeUp(m domain.Message) (realtime.Publication, error) {
	b, err := json.Marshal(wakeUp{Seq: m.Seq, Message: &m})
	if err != nil {
		return realtime.Publication{}, fmt.Errorf("encode wake-up: %w", err)
	}
	return realtime.Publication{Topic: realtime.ConversationTopic(m.ConversationID), Payload: b}, nil
}

// afterCommitEvents publishes, once q commits, the publications in first and then ev to each
// member's conversations topic, all in one broker round trip.
func (s *Service) afterCommitEvents(ctx context.Context, q *store.Queries, userIDs []uuid.UUID, ev domain.ConversationEvent, first ...realtime.Publication) {
	q.AfterCommit(ctx, func(ctx context.Context) {
		b, err := json.Marshal(ev)
		if err != nil {
			s.log.ErrorContext(ctx, "chat: encode conversation event", "err", err)
			return
		}
		ps := append(make([]realtime.Publication, 0, len(first)+len(userIDs)), first...)
		for _, u := range userIDs {
			ps = append(ps, realtime.Publication{Topic: realtime.UserConversationsTopic(u), Payload: b})
		}
		// Committed already: Redis down must not fail the write (clients catch up on reconnect).
		if err := s.hub.PublishAll(ctx, ps); err != nil {
			s.log.WarnContext(ctx, "chat: publish conversation events", "conversation_id", ev.ConversationID, "err", err)
		}
	})
}

// LimitKeys are the rate-limit keys chat keeps about one member, for erasure to forget.
func LimitKeys(userID uuid.UUID) []string {
	return []string{"message:user:" + userID.String(), "conversation:user:" + userID.String()}
}
