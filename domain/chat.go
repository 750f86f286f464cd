package domain

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// ConversationKind says what a conversation is for.
type ConversationKind string

// Conversation kinds: DIRECT (exactly two members, one conversation per pair), GROUP (workshops and
// member-made groups) and SUPPORT (a member and support agents).
const (
	ConversationDirect  ConversationKind = "DIRECT"
	ConversationGroup   ConversationKind = "GROUP"
	ConversationSupport ConversationKind = "SUPPORT"
)

// ParticipantRole is a participant's part in a conversation.
type ParticipantRole string

// Participant roles: OWNER (created it; the member of a support conversation), MEMBER, AGENT
// (support staff answering a support conversation).
const (
	ParticipantOwner  ParticipantRole = "OWNER"
	ParticipantMember ParticipantRole = "MEMBER"
	ParticipantAgent  ParticipantRole = "AGENT"
)

// Conversation is a thread of messages between participants.
type Conversation struct {
	ID            uuid.UUID        `db:"id" json:"id"`
	Kind          ConversationKind `db:"kind" json:"kind"`
	Title         *string          `db:"title" json:"title,omitempty"`
	CreatedBy     *uuid.UUID       `db:"created_by" json:"createdBy,omitempty"`
	CreatedAt     time.Time        `db:"created_at" json:"createdAt"`
	LastSeq       int64            `db:"last_seq" json:"lastSeq"`
	LastMessageAt *time.Time       `db:"last_message_at" json:"lastMessageAt,omitempty"`
	// ActivityAt orders conversation lists: the last message, else the creation.
	ActivityAt time.Time `db:"activity_at" json:"activityAt"`
}

// Participant is a member's membership of a conversation, with their read position and mute.
type Participant struct {
	ConversationID uuid.UUID       `db:"conversation_id" json:"conversationId"`
	UserID         uuid.UUID       `db:"user_id" json:"userId"`
	Role           ParticipantRole `db:"role" json:"role"`
	JoinedAt       time.Time       `db:"joined_at" json:"joinedAt"`
	LeftAt         *time.Time      `db:"left_at" json:"leftAt,omitempty"`
	LastReadSeq    int64           `db:"last_read_seq" json:"lastReadSeq"`
	LastReadAt     *time.Time      `db:"last_read_at" json:"lastReadAt,omitempty"`
	Muted          bool            `db:"muted" json:"muted"`
	MutedUntil     *time.Time      `db:"muted_until" json:"mutedUntil,omitempty"`
}

// Active reports whether the participant has not left.
func (p Participant) Active() bool { return p.LeftAt == nil }

// IsMuted reports whether the participant's mute is in force at now.
func (p Participant) IsMuted(now time.Time) bool {
	return p.Muted && (p.MutedUntil == nil || p.MutedUntil.After(now))
}

// Message is one chat message. A deleted message is a tombstone: it keeps its seq, loses its content.
type Message struct {
	ID             uuid.UUID  `db:"id" json:"id"`
	ConversationID uuid.UUID  `db:"conversation_id" json:"conversationId"`
	Seq            int64      `db:"seq" json:"seq"`
	SenderID       uuid.UUID  `db:"sender_id" json:"senderId"`
	ClientID       string     `db:"client_id" json:"clientId"`
	Body           string     `db:"body" json:"body"`
	AttachmentURL  *string    `db:"attachment_url" json:"attachmentUrl,omitempty"`
	CreatedAt      time.Time  `db:"created_at" json:"createdAt"`
	EditedAt       *time.Time `db:"edited_at" json:"editedAt,omitempty"`
	DeletedAt      *time.Time `db:"deleted_at" json:"deletedAt,omitempty"`
	// HiddenAt is set while the message is hidden pending review: reported by several distinct
	// members and not yet decided by moderators (see HiddenFrom).
	HiddenAt *time.Time `db:"hidden_at" json:"hiddenAt,omitempty"`
}

// Deleted reports whether the message is a tombstone.
func (m Message) Deleted() bool { return m.DeletedAt != nil }

// MessageVisibility says whether a message's content is shown to the participants.
type MessageVisibility string

// Message visibilities.
const (
	// MessageVisible: shown to every participant.
	MessageVisible MessageVisibility = "VISIBLE"
	// MessageHiddenPendingReview: reported by several members, hidden from everyone but its
	// sender and staff until moderators decide.
	MessageHiddenPendingReview MessageVisibility = "HIDDEN_PENDING_REVIEW"
)

// Visibility is m's visibility.
func (m Message) Visibility() MessageVisibility {
	if m.HiddenAt != nil {
		return MessageHiddenPendingReview
	}
	return MessageVisible
}

// HiddenFrom reports whether viewer must not read m's content: m is hidden pending review and
// viewer is neither its sender (who keeps reading what they wrote, and is told it is hidden)
// nor staff (who review it).
func (m Message) HiddenFrom(viewer Actor) bool {
	return m.HiddenAt != nil && viewer.ID() != m.SenderID && !viewer.HasRole(RoleSupport) && !viewer.HasRole(RoleModerator)
}

// ConversationItem is a row of a member's conversation list: the conversation with what the
// list shows about it for that member.
type ConversationItem struct {
	Conversation Conversation
	// UnreadCount counts messages from others, not deleted, after the member's read position.
	UnreadCount int
	// LastMessage is the newest message (possibly a tombstone), nil when there is none.
	LastMessage *Message
}

// Chat limits.
const (
	// MaxMessageLength caps a message body, in characters.
	MaxMessageLength = 4000
	// MaxClientIDLength caps the client-supplied idempotency key.
	MaxClientIDLength = 64
	// MaxConversationTitle caps a group or support conversation's title, in characters.
	MaxConversationTitle = 100
	// MaxGroupMembers caps the members a group is created with.
	MaxGroupMembers = 200
	// EditWindow is how long after sending its sender may edit a message.
	EditWindow = 15 * time.Minute
)

// ValidateMessageBody trims body and checks it: valid UTF-8 without NUL, at most
// MaxMessageLength characters, and not empty unless the message carries an attachment.
func ValidateMessageBody(field, body string, hasAttachment bool) (string, error) {
	body = strings.TrimSpace(body)
	if !utf8.ValidString(body) || strings.ContainsRune(body, 0) {
		return "", Invalid(field, "must be valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(body); n > MaxMessageLength {
		return "", Invalid(field, "at most %d characters (got %d)", MaxMessageLength, n)
	}
	if body == "" && !hasAttachment {
		return "", Invalid(field, "must not be empty")
	}
	return body, nil
}

// ValidateClientID checks a client-supplied idempotency key: 1 to 64 printable ASCII characters.
func ValidateClientID(field, id string) error {
	if id == "" || len(id) > MaxClientIDLength {
		return Invalid(field, "must be 1 to %d characters", MaxClientIDLength)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return Invalid(field, "must be printable ASCII without spaces (a UUID is a good choice)")
		}
	}
	return nil
}

// ValidateAttachmentURL checks an optional attachment URL: https, at most 2048 characters.
func ValidateAttachmentURL(field string, raw *string) (*string, error) {
	if raw == nil || strings.TrimSpace(*raw) == "" {
		return nil, nil
	}
	u := strings.TrimSpace(*raw)
	if err := ValidateAvatarURL(field, u); err != nil {
		return nil, err
	}
	return &u, nil
}

// ValidateConversationTitle trims and checks a group or support title.
func ValidateConversationTitle(field, title string) (string, error) {
	t, err := ValidateText(field, title, MaxConversationTitle)
	if err != nil {
		return "", err
	}
	if t == "" {
		return "", Invalid(field, "must not be empty")
	}
	return t, nil
}

// CanEditMessage checks that editor may change m at now: only its sender, only while it is not
// deleted, and only within EditWindow of sending (so a reply is not undercut long after).
func CanEditMessage(m Message, editor uuid.UUID, now time.Time) error {
	if m.SenderID != editor {
		return Forbidden("only the sender can edit a message")
	}
	if m.Deleted() {
		return Conflict("the message was deleted")
	}
	if now.Sub(m.CreatedAt) > EditWindow {
		e := Conflict("messages can be edited for %d minutes after sending", int(EditWindow/time.Minute))
		e.Details = map[string]any{"editableUntil": m.CreatedAt.Add(EditWindow)}
		return e
	}
	return nil
}

// CanDeleteMessage checks that actor may delete m: only its sender.
func CanDeleteMessage(m Message, actor uuid.UUID) error {
	if m.SenderID != actor {
		return Forbidden("only the sender can delete a message")
	}
	return nil
}

// DirectPair orders two member ids the way a DIRECT conversation stores them (lowest first), so
// one pair has one key whoever opens it.
func DirectPair(a, b uuid.UUID) (low, high uuid.UUID) {
	if bytes.Compare(a[:], b[:]) < 0 {
		return a, b
	}
	return b, a
}

// ConversationEventKind says what changed in a conversation, for conversationUpdated.
type ConversationEventKind string

// Conversation event kinds.
const (
	// ConversationCreated: the member was added to a new conversation.
	ConversationCreated ConversationEventKind = "CREATED"
	// ConversationMessageAdded: a message was sent (Message is set).
	ConversationMessageAdded ConversationEventKind = "MESSAGE_ADDED"
	// ConversationMessageEdited: a message was edited (Message is set).
	ConversationMessageEdited ConversationEventKind = "MESSAGE_EDITED"
	// ConversationMessageDeleted: a message became a tombstone (Message is set).
	ConversationMessageDeleted ConversationEventKind = "MESSAGE_DELETED"
	// ConversationRead: the member's read position moved (from any of their devices).
	ConversationRead ConversationEventKind = "READ"
	// ConversationMuted: the member muted or unmuted it.
	ConversationMuted ConversationEventKind = "MUTED"
	// ConversationParticipantsChanged: someone joined or left.
	ConversationParticipantsChanged ConversationEventKind = "PARTICIPANTS_CHANGED"
)

// ConversationEvent tells one member that one of their conversations changed.
type ConversationEvent struct {
	ConversationID uuid.UUID             `json:"conversationId"`
	Kind           ConversationEventKind `json:"kind"`
	// Seq is the conversation's last seq when the event was made.
	Seq int64 `json:"seq"`
	// Message is the message concerned by MESSAGE_* events.
	Message *Message `json:"message,omitempty"`
}

// TypingEvent says a participant is typing; it is never stored.
type TypingEvent struct {
	ConversationID uuid.UUID `json:"conversationId"`
	UserID         uuid.UUID `json:"userId"`
	At             time.Time `json:"at"`
}
