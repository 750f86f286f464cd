package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const conversationColumns = `id, kind, title, created_by, created_at, last_seq, last_message_at, activity_at`

const participantColumns = `conversation_id, user_id, role, joined_at, left_at, last_read_seq, last_read_at, muted, muted_until`

const messageColumns = `id, conversation_id, seq, sender_id, client_id, body, attachment_url, created_at, edited_at, deleted_at, hidden_at`

// NewConversation describes a conversation to create. DirectLow/DirectHigh are set (ordered by
// domain.DirectPair) for DIRECT conversations only.
type NewConversation struct {
	ID         uuid.UUID
	Kind       domain.ConversationKind
	Title      *string
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
	DirectLow  *uuid.UUID
	DirectHigh *uuid.UUID
}

// InsertConversation creates a conversation. For a DIRECT pair that already has one it inserts
// nothing and reports created = false (the caller then reads the existing one): concurrent opens
// of one pair wait for each other on the unique key instead of failing.
func (q *Queries) InsertConversation(ctx context.Context, c NewConversation) (domain.Conversation, bool, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO conversations (id, kind, title, created_by, created_at, activity_at, direct_low, direct_high)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7)
		ON CONFLICT (direct_low, direct_high) DO NOTHING
		RETURNING `+conversationColumns, c.ID, c.Kind, c.Title, c.CreatedBy, c.CreatedAt, c.DirectLow, c.DirectHigh)
	if err != nil {
		return domain.Conversation{}, false, mapErr(err, "insert conversation", "conversation", "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Conversation])
	if err != nil {
		return domain.Conversation{}, false, mapErr(err, "insert conversation", "conversation", "")
	}
	if len(list) == 0 {
		return domain.Conversation{}, false, nil
	}
	return list[0], true, nil
}

// DirectConversation returns the DIRECT conversation of a pair (ordered by domain.DirectPair).
func (q *Queries) DirectConversation(ctx context.Context, low, high uuid.UUID) (domain.Conversation, error) {
	rows, err := q.db.Query(ctx, `SELECT `+conversationColumns+` FROM conversations
		WHERE direct_low = $1 AND direct_high = $2`, low, high)
	if err != nil {
		return domain.Conversation{}, mapErr(err, "select direct conversation", "conversation", "")
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Conversation])
	return c, mapErr(err, "select direct conversation", "conversation", "")
}

// AddParticipants adds members to a conversation; a member who had left joins again (keeping
// their read position), one already in it is left as is.
func (q *Queries) AddParticipants(ctx context.Context, ps []domain.Participant) error {
	if len(ps) == 0 {
		return nil
	}
	convs := make([]uuid.UUID, len(ps))
	users := make([]uuid.UUID, len(ps))
	roles := make([]string, len(ps))
	joined := make([]time.Time, len(ps))
	for i, p := range ps {
		convs[i], users[i], roles[i], joined[i] = p.ConversationID, p.UserID, string(p.Role), p.JoinedAt
	}
	_, err := q.db.Exec(ctx, `
		INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at)
		SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[])
		ON CONFLICT (conversation_id, user_id) DO UPDATE
			SET left_at = NULL, joined_at = EXCLUDED.joined_at, role = EXCLUDED.role
			WHERE conversation_participants.left_at IS NOT NULL`, convs, users, roles, joined)
	return mapErr(err, "insert participants", "participant", "")
}

// ConversationsByIDs loads conversations; missing ids are absent (dataloader source).
func (q *Queries) ConversationsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Conversation, error) {
	return keyedRows(ctx, q.db, "select conversations", "conversation",
		func(c domain.Conversation) uuid.UUID { return c.ID },
		`SELECT `+conversationColumns+` FROM conversations WHERE id = ANY($1)`, ids)
}

// ParticipantsByConversationIDs loads the current (not departed) participants of conversations,
// in joining order (dataloader source).
func (q *Queries) ParticipantsByConversationIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.Participant, error) {
	return groupedRows(ctx, q.db, "select participants", "participant", len(ids),
		func(p domain.Participant) uuid.UUID { return p.ConversationID },
		`SELECT `+participantColumns+` FROM conversation_participants
		WHERE conversation_id = ANY($1) AND left_at IS NULL
		ORDER BY conversation_id, joined_at, user_id`, ids)
}

// ConversationAccess is what deciding whether a member may use a conversation needs.
type ConversationAccess struct {
	Conversation domain.Conversation
	// Participant is the member's participation, nil when they never were one.
	Participant *domain.Participant
	// Blocked reports a block (either way) between the member and the other participant of a
	// DIRECT conversation. It is always false for GROUP and SUPPORT conversations, where blocks
	// hide nothing (see chat.Service.Send), so their sends skip the check.
	Blocked bool
}

// conversationAccessSQL reads conversation $1 with member $2's participation and, for a DIRECT
// conversation, whether a block separates them from the other participant.
const conversationAccessSQL = `
	SELECT c.id, c.kind, c.title, c.created_by, c.created_at, c.last_seq, c.last_message_at, c.activity_at,
		p.role, p.joined_at, p.left_at, p.last_read_seq, p.last_read_at, p.muted, p.muted_until,
		c.kind = 'DIRECT' AND EXISTS (
			SELECT 1 FROM conversation_participants o
			JOIN blocks b ON (b.blocker_id = o.user_id AND b.blocked_id = $2)
			              OR (b.blocker_id = $2 AND b.blocked_id = o.user_id)
			WHERE o.conversation_id = c.id AND o.user_id <> $2 AND o.left_at IS NULL) AS blocked
	FROM conversations c
	LEFT JOIN conversation_participants p ON p.conversation_id = c.id AND p.user_id = $2
	WHERE c.id = $1`

// collectConversationAccess reads conversationAccessSQL's result; found is false when the
// conversation does not exist.
func collectConversationAccess(rows pgx.Rows, convID, userID uuid.UUID) (a ConversationAccess, found bool, err error) {
	type row struct {
		domain.Conversation
		Role        *domain.ParticipantRole `db:"role"`
		JoinedAt    *time.Time              `db:"joined_at"`
		LeftAt      *time.Time              `db:"left_at"`
		LastReadSeq *int64                  `db:"last_read_seq"`
		LastReadAt  *time.Time              `db:"last_read_at"`
		Muted       *bool                   `db:"muted"`
		MutedUntil  *time.Time              `db:"muted_until"`
		Blocked     bool                    `db:"blocked"`
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[row])
	if err != nil || len(list) == 0 {
		return ConversationAccess{}, false, err
	}
	r := list[0]
	a = ConversationAccess{Conversation: r.Conversation, Blocked: r.Blocked}
	if r.Role != nil {
		a.Participant = &domain.Participant{
			ConversationID: convID, UserID: userID, Role: *r.Role, JoinedAt: *r.JoinedAt, LeftAt: r.LeftAt,
			LastReadSeq: *r.LastReadSeq, LastReadAt: r.LastReadAt, Muted: *r.Muted, MutedUntil: r.MutedUntil,
		}
	}
	return a, true, nil
}

// ConversationAccessOf reads a conversation with userID's participation and blocks, in one
// statement.
func (q *Queries) ConversationAccessOf(ctx context.Context, convID, userID uuid.UUID) (ConversationAccess, error) {
	rows, err := q.db.Query(ctx, conversationAccessSQL, convID, userID)
	if err != nil {
		return ConversationAccess{}, mapErr(err, "select conversation access", "conversation", "")
	}
	a, found, err := collectConversationAccess(rows, convID, userID)
	if err == nil && !found {
		err = pgx.ErrNoRows
	}
	return a, mapErr(err, "select conversation access", "conversation", "")
}

// ConversationKey is the keyset position of a conversation in a member's list (latest activity
// first). Its JSON names are those of the cursors clients hold.
type ConversationKey struct {
	ActivityAt time.Time `json:"a"`
	ID         uuid.UUID `json:"i"`
}

// ConversationsOfMember lists the conversations userID takes part in, most recent activity first,
// strictly after the keyset position after when set.
func (q *Queries) ConversationsOfMember(ctx context.Context, userID uuid.UUID, after *ConversationKey, limit int) ([]domain.Conversation, error) {
	var afterAt *time.Time
	var afterID *uuid.UUID
	if after != nil {
		afterAt, afterID = &after.ActivityAt, &after.ID
	}
	rows, err := q.db.Query(ctx, `
		SELECT c.id, c.kind, c.title, c.created_by, c.created_at, c.last_seq, c.last_message_at, c.activity_at
		FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id
		WHERE p.user_id = $1 AND p.left_at IS NULL
		  AND ($2::timestamptz IS NULL OR (c.activity_at, c.id) < ($2, $3::uuid))
		ORDER BY c.activity_at DESC, c.id DESC
		LIMIT $4`, userID, afterAt, afterID, limit)
	if err != nil {
		return nil, mapErr(err, "list conversations", "conversation", "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Conversation])
	return list, mapErr(err, "list conversations", "conversation", "")
}

// LastMessagesByConversationIDs loads the newest message (tombstones included) of each
// conversation; conversations without messages are absent (dataloader source).
func (q *Queries) LastMessagesByConversationIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Message, error) {
	// LATERAL + LIMIT 1 walks the (conversation_id, seq) index backwards once per conversation.
	return keyedRows(ctx, q.db, "select last messages", "message",
		func(m domain.Message) uuid.UUID { return m.ConversationID }, `
		SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.client_id, m.body, m.attachment_url,
			m.created_at, m.edited_at, m.deleted_at, m.hidden_at
		FROM unnest($1::uuid[]) AS c(id)
		CROSS JOIN LATERAL (
			SELECT `+messageColumns+` FROM messages WHERE conversation_id = c.id ORDER BY seq DESC LIMIT 1
		) m`, ids)
}

// UnreadCountsByConversationIDs counts, for viewer, the messages of others (not deleted) after
// their read position in each conversation; conversations viewer is not in are absent
// (dataloader source for a request-scoped viewer).
func (q *Queries) UnreadCountsByConversationIDs(ctx context.Context, viewer uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	type row struct {
		ConversationID uuid.UUID `db:"conversation_id"`
		Unread         int       `db:"unread"`
	}
	return keyedValues(ctx, q.db, "count unread", "conversation",
		func(r row) (uuid.UUID, int) { return r.ConversationID, r.Unread }, `
		SELECT p.conversation_id, count(m.id)::int AS unread
		FROM conversation_participants p
		LEFT JOIN messages m ON m.conversation_id = p.conversation_id AND m.seq > p.last_read_seq
			AND m.sender_id <> p.user_id AND m.deleted_at IS NULL
		WHERE p.user_id = $1 AND p.conversation_id = ANY($2)
		GROUP BY p.conversation_id`, viewer, ids)
}

// MessageByClientID finds a sender's message by its client-supplied id (idempotent retries).
func (q *Queries) MessageByClientID(ctx context.Context, convID, senderID uuid.UUID, clientID string) (domain.Message, error) {
	rows, err := q.db.Query(ctx, messageByClientIDSQL, convID, senderID, clientID)
	if err != nil {
		return domain.Message{}, mapErr(err, "select message by client id", "message", "")
	}
	m, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Message])
	return m, mapErr(err, "select message by client id", "message", "")
}

const messageByClientIDSQL = `SELECT ` + messageColumns + ` FROM messages
	WHERE conversation_id = $1 AND sender_id = $2 AND client_id = $3`

// ErrDuplicateMessage reports that the sender already sent a message with the same client id.
var ErrDuplicateMessage = errors.New("the sender already sent a message with this client id")

// AppendMessage stores m as its conversation's next message, in one statement: it takes the
// next seq, inserts the message and moves the sender's read position to it. Taking the seq locks
// the conversation's row until the transaction ends, so sends to one conversation serialise and
// commit in seq order: readers never see seq n+1 before n.
//
// The statement is all or nothing, so it is safe outside a transaction: when the sender already
// sent a message with the same client id it fails with ErrDuplicateMessage and no seq is taken;
// when the sender is not (or no longer) a current participant it changes nothing and returns
// domain.NotFound("participant").
func (q *Queries) AppendMessage(ctx context.Context, m domain.Message) (domain.Message, error) {
	rows, err := q.db.Query(ctx, `
		WITH next AS (
			UPDATE conversations
			SET last_seq = last_seq + 1, last_message_at = $7, activity_at = GREATEST(activity_at, $7)
			WHERE id = $2 AND EXISTS (
				SELECT 1 FROM conversation_participants
				WHERE conversation_id = $2 AND user_id = $3 AND left_at IS NULL)
			RETURNING last_seq
		), `+insertMessageSQL+`
		SELECT `+messageColumns+` FROM ins`,
		m.ID, m.ConversationID, m.SenderID, m.ClientID, m.Body, m.AttachmentURL, m.CreatedAt)
	if err == nil {
		m, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Message])
	}
	if ConstraintName(err) == "messages_client_id_key" {
		return domain.Message{}, fmt.Errorf("append message: %w: %w", ErrDuplicateMessage, err)
	}
	return m, mapErr(err, "append message", "participant", "message already exists")
}

// insertMessageSQL ends the statements of AppendMessage and TryAppendLive: given a CTE next with
// the message's seq (no row: nothing is written), it inserts message $1 (conversation $2, sender
// $3, client id $4, body $5, attachment $6, sent at $7) as ins and moves the sender's read
// position to it.
const insertMessageSQL = `ins AS (
			INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, attachment_url, created_at)
			SELECT $1, $2, next.last_seq, $3, $4, $5, $6, $7 FROM next
			RETURNING ` + messageColumns + `
		), mark AS (
			UPDATE conversation_participants p
			SET last_read_seq = GREATEST(p.last_read_seq, ins.seq), last_read_at = $7
			FROM ins
			WHERE p.conversation_id = $2 AND p.user_id = $3
		)`

// LiveSend is a message stored by TryAppendLive, with the conversation's current participants.
type LiveSend struct {
	domain.Message
	// Participants are the conversation's current participants, the sender included.
	Participants []uuid.UUID `db:"participants"`
}

// TryAppendLive stores m in one statement, one round trip, when the send is the usual one in a
// live conversation: the sender is a current participant, no block separates the two members
// of a DIRECT conversation, nobody is to be notified of it (SendTarget.Away, for a message sent
// at m.CreatedAt, awaySince and the notification group groupKey), and the client id is new.
// Otherwise it writes nothing and reports ok false, and the caller takes the path that tells
// these cases apart (PrepareSend). Like AppendMessage, it takes the next seq under the
// conversation's row lock and moves the sender's read position to the message.
func (q *Queries) TryAppendLive(ctx context.Context, m domain.Message, awaySince time.Time, groupKey string) (sent LiveSend, ok bool, err error) {
	rows, err := q.db.Query(ctx, `
		WITH targets AS (
			SELECT p.user_id, `+awaySQL("$3", "$7", "$8", "$9")+` AS away
			FROM conversation_participants p
			WHERE p.conversation_id = $2 AND p.left_at IS NULL
		), next AS (
			UPDATE conversations c
			SET last_seq = last_seq + 1, last_message_at = $7, activity_at = GREATEST(activity_at, $7)
			WHERE c.id = $2
				AND EXISTS (SELECT 1 FROM targets WHERE user_id = $3)
				AND NOT EXISTS (SELECT 1 FROM targets WHERE away)
				AND (c.kind <> 'DIRECT' OR NOT EXISTS (
					SELECT 1 FROM targets o
					JOIN blocks b ON (b.blocker_id = o.user_id AND b.blocked_id = $3)
					              OR (b.blocker_id = $3 AND b.blocked_id = o.user_id)
					WHERE o.user_id <> $3))
			RETURNING c.last_seq
		), `+insertMessageSQL+`
		SELECT `+messageColumns+`, (SELECT array_agg(user_id ORDER BY user_id) FROM targets) AS participants
		FROM ins`,
		m.ID, m.ConversationID, m.SenderID, m.ClientID, m.Body, m.AttachmentURL, m.CreatedAt, awaySince, groupKey)
	var list []LiveSend
	if err == nil {
		list, err = pgx.CollectRows(rows, pgx.RowToStructByName[LiveSend])
	}
	if ConstraintName(err) == "messages_client_id_key" {
		return LiveSend{}, false, nil // a retry: PrepareSend finds the message
	}
	if err != nil {
		return LiveSend{}, false, mapErr(err, "append live message", "message", "")
	}
	if len(list) == 0 {
		return LiveSend{}, false, nil
	}
	return list[0], true, nil
}

// MessagesByIDs loads messages; missing ids are absent (dataloader source).
func (q *Queries) MessagesByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Message, error) {
	return keyedRows(ctx, q.db, "select messages", "message",
		func(m domain.Message) uuid.UUID { return m.ID },
		`SELECT `+messageColumns+` FROM messages WHERE id = ANY($1)`, ids)
}

// LockMessage reads a message and locks its row for the rest of the transaction.
func (q *Queries) LockMessage(ctx context.Context, id uuid.UUID) (domain.Message, error) {
	rows, err := q.db.Query(ctx, `SELECT `+messageColumns+` FROM messages WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return domain.Message{}, mapErr(err, "lock message", "message", "")
	}
	m, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Message])
	return m, mapErr(err, "lock message", "message", "")
}

// EditMessage replaces a message's body.
func (q *Queries) EditMessage(ctx context.Context, id uuid.UUID, body string, now time.Time) (domain.Message, error) {
	rows, err := q.db.Query(ctx, `UPDATE messages SET body = $2, edited_at = $3 WHERE id = $1
		RETURNING `+messageColumns, id, body, now)
	if err != nil {
		return domain.Message{}, mapErr(err, "edit message", "message", "")
	}
	m, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Message])
	return m, mapErr(err, "edit message", "message", "")
}

// TombstoneMessage deletes a message's content and marks it deleted; its seq stays. Deleting a
// tombstone again changes nothing.
func (q *Queries) TombstoneMessage(ctx context.Context, id uuid.UUID, now time.Time) (domain.Message, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE messages SET body = '', attachment_url = NULL, deleted_at = COALESCE(deleted_at, $2)
		WHERE id = $1
		RETURNING `+messageColumns, id, now)
	if err != nil {
		return domain.Message{}, mapErr(err, "delete message", "message", "")
	}
	m, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Message])
	return m, mapErr(err, "delete message", "message", "")
}

// MessagesAfter returns up to limit messages with seq > afterSeq, oldest first.
func (q *Queries) MessagesAfter(ctx context.Context, convID uuid.UUID, afterSeq int64, limit int) ([]domain.Message, error) {
	rows, err := q.db.Query(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, convID, afterSeq, limit)
	if err != nil {
		return nil, mapErr(err, "select messages after", "message", "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Message])
	return list, mapErr(err, "select messages after", "message", "")
}

// MessagesBefore returns the limit messages just before seq beforeSeq (all the newest when
// beforeSeq is nil), oldest first.
func (q *Queries) MessagesBefore(ctx context.Context, convID uuid.UUID, beforeSeq *int64, limit int) ([]domain.Message, error) {
	rows, err := q.db.Query(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE conversation_id = $1 AND ($2::bigint IS NULL OR seq < $2)
		ORDER BY seq DESC LIMIT $3`, convID, beforeSeq, limit)
	if err != nil {
		return nil, mapErr(err, "select messages before", "message", "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Message])
	if err != nil {
		return nil, mapErr(err, "select messages before", "message", "")
	}
	slices.Reverse(list)
	return list, nil
}

// MarkConversationRead moves userID's read position forward to seq (never back, never past the
// last message) and records when they read.
func (q *Queries) MarkConversationRead(ctx context.Context, convID, userID uuid.UUID, seq int64, now time.Time) (domain.Participant, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE conversation_participants p
		SET last_read_seq = GREATEST(p.last_read_seq, LEAST($3, c.last_seq)), last_read_at = $4
		FROM conversations c
		WHERE c.id = p.conversation_id AND p.conversation_id = $1 AND p.user_id = $2
		RETURNING p.conversation_id, p.user_id, p.role, p.joined_at, p.left_at, p.last_read_seq,
			p.last_read_at, p.muted, p.muted_until`, convID, userID, seq, now)
	if err != nil {
		return domain.Participant{}, mapErr(err, "mark conversation read", "participant", "")
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Participant])
	return p, mapErr(err, "mark conversation read", "participant", "")
}

// SetMute mutes (until a time, or indefinitely when until is nil) or unmutes a conversation for
// userID.
func (q *Queries) SetMute(ctx context.Context, convID, userID uuid.UUID, muted bool, until *time.Time) (domain.Participant, error) {
	if !muted {
		until = nil
	}
	rows, err := q.db.Query(ctx, `
		UPDATE conversation_participants SET muted = $3, muted_until = $4
		WHERE conversation_id = $1 AND user_id = $2
		RETURNING `+participantColumns, convID, userID, muted, until)
	if err != nil {
		return domain.Participant{}, mapErr(err, "set mute", "participant", "")
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Participant])
	return p, mapErr(err, "set mute", "participant", "")
}

// SendTarget is a current participant of a conversation a message is sent to.
type SendTarget struct {
	UserID uuid.UUID `db:"user_id"`
	// Away: not the sender, not muted, has not read the conversation since awaySince, and holds
	// no unread notification of groupKey (which would absorb a new one), so the message
	// notifies them.
	Away bool `db:"away"`
}

// sendTargetsSQL lists the current participants of conversation $1 for a message from $2 at $3,
// each with their SendTarget.Away ($4: awaySince, $5: the notification group key).
var sendTargetsSQL = `
	SELECT p.user_id, ` + awaySQL("$2", "$3", "$4", "$5") + ` AS away
	FROM conversation_participants p
	WHERE p.conversation_id = $1 AND p.left_at IS NULL
	ORDER BY p.user_id`

// awaySQL tells whether participant p is to be notified of a message (SendTarget.Away) sent by
// the placeholder sender at now, given awaySince and the notification group key groupKey.
func awaySQL(sender, now, awaySince, groupKey string) string {
	return `(p.user_id <> ` + sender + `
		AND NOT (p.muted AND (p.muted_until IS NULL OR p.muted_until > ` + now + `))
		AND (p.last_read_at IS NULL OR p.last_read_at < ` + awaySince + `)
		AND NOT EXISTS (
			SELECT 1 FROM notifications n
			WHERE n.user_id = p.user_id AND n.group_key = ` + groupKey + ` AND n.read_at IS NULL
		))`
}

// SendPlan is what a send decides on, read before it writes: see PrepareSend.
type SendPlan struct {
	// Access is the conversation and the sender's participation in it.
	Access ConversationAccess
	// Existing is the message the sender already sent with the same client id, if any.
	Existing *domain.Message
	// Targets are the conversation's current participants, the sender included (for their
	// other devices), each telling whether the message should notify them.
	Targets []SendTarget
}

// PrepareSend reads, in one round trip, what a send of clientID by sender to convID depends on:
// the conversation with the sender's access, a message already sent with clientID, and the
// targets: every current participant, with Away computed for a message sent at now, awaySince
// being when a participant who has not read since counts as away and groupKey the notification
// group of the conversation's messages. A conversation that does not exist is
// domain.NotFound("conversation").
func (q *Queries) PrepareSend(ctx context.Context, convID, sender uuid.UUID, clientID string, now, awaySince time.Time, groupKey string) (SendPlan, error) {
	var plan SendPlan
	var found bool
	// The callbacks report "no rows" as data, never as an error: a batch error makes pgx
	// forget the statements' prepared forms.
	b := &pgx.Batch{}
	b.Queue(conversationAccessSQL, convID, sender).Query(func(rows pgx.Rows) (err error) {
		plan.Access, found, err = collectConversationAccess(rows, convID, sender)
		return err
	})
	b.Queue(messageByClientIDSQL, convID, sender, clientID).Query(func(rows pgx.Rows) error {
		list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Message])
		if len(list) > 0 {
			plan.Existing = &list[0]
		}
		return err
	})
	b.Queue(sendTargetsSQL, convID, sender, now, awaySince, groupKey).Query(func(rows pgx.Rows) (err error) {
		plan.Targets, err = pgx.CollectRows(rows, pgx.RowToStructByName[SendTarget])
		return err
	})
	if err := q.db.SendBatch(ctx, b).Close(); err != nil {
		return SendPlan{}, fmt.Errorf("prepare send: %w", err)
	}
	if !found {
		return SendPlan{}, domain.NotFound("conversation")
	}
	return plan, nil
}

// ActiveParticipantIDs returns the current participants of a conversation.
func (q *Queries) ActiveParticipantIDs(ctx context.Context, convID uuid.UUID) ([]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `SELECT user_id FROM conversation_participants
		WHERE conversation_id = $1 AND left_at IS NULL ORDER BY user_id`, convID)
	if err != nil {
		return nil, mapErr(err, "select participant ids", "participant", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return out, mapErr(err, "select participant ids", "participant", "")
}

// BlockedAmong returns which of others userID blocked or is blocked by.
func (q *Queries) BlockedAmong(ctx context.Context, userID uuid.UUID, others []uuid.UUID) ([]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `
		SELECT blocked_id FROM blocks WHERE blocker_id = $1 AND blocked_id = ANY($2)
		UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1 AND blocker_id = ANY($2)`, userID, others)
	if err != nil {
		return nil, mapErr(err, "select blocks among", "user", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return out, mapErr(err, "select blocks among", "user", "")
}
