package domain

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"
)

// NotificationType says what a notification is about.
type NotificationType string

// Notification types. The SESSION_* names are those package skillsessions sends (skillsessions.Notify*).
const (
	// NotificationNewMessage: messages arrived in a conversation while the member was away.
	NotificationNewMessage NotificationType = "NEW_MESSAGE"
	// NotificationNewMutualMatch: a new mutual skill match.
	NotificationNewMutualMatch NotificationType = "NEW_MUTUAL_MATCH"
	// NotificationSessionProposed: someone proposed a session to the member.
	NotificationSessionProposed NotificationType = "SESSION_PROPOSED"
	// NotificationSessionNewTimeProposed: the partner proposed another time.
	NotificationSessionNewTimeProposed NotificationType = "SESSION_NEW_TIME_PROPOSED"
	// NotificationSessionConfirmed: a session was confirmed.
	NotificationSessionConfirmed NotificationType = "SESSION_CONFIRMED"
	// NotificationSessionDeclined: a proposed session was declined.
	NotificationSessionDeclined NotificationType = "SESSION_DECLINED"
	// NotificationSessionCancelled: a planned session was cancelled.
	NotificationSessionCancelled NotificationType = "SESSION_CANCELLED"
	// NotificationSessionCompletionConfirmedByPartner: the partner confirmed the session took
	// place and waits for the member's confirmation.
	NotificationSessionCompletionConfirmedByPartner NotificationType = "SESSION_COMPLETION_CONFIRMED_BY_PARTNER"
	// NotificationSessionCompleted: a session ended; time to review it.
	NotificationSessionCompleted NotificationType = "SESSION_COMPLETED"
	// NotificationSessionNoShowReported: the partner reported the member did not show up.
	NotificationSessionNoShowReported NotificationType = "SESSION_NO_SHOW_REPORTED"
	// NotificationSessionProblemReported: the partner reported a problem with a session.
	NotificationSessionProblemReported NotificationType = "SESSION_PROBLEM_REPORTED"
	// NotificationSessionReminder: a session starts soon.
	NotificationSessionReminder NotificationType = "SESSION_REMINDER"
	// NotificationReviewReceived: the member was reviewed.
	NotificationReviewReceived NotificationType = "REVIEW_RECEIVED"
	// NotificationPaymentAuthorized: the payment of a paid session was authorised.
	NotificationPaymentAuthorized NotificationType = "PAYMENT_AUTHORIZED"
	// NotificationPaymentFailed: the authorisation of a paid session's payment was declined.
	NotificationPaymentFailed NotificationType = "PAYMENT_FAILED"
	// NotificationPaymentCaptured: a paid session's payment was captured.
	NotificationPaymentCaptured NotificationType = "PAYMENT_CAPTURED"
	// NotificationPaymentCanceled: a paid session's authorisation was released.
	NotificationPaymentCanceled NotificationType = "PAYMENT_CANCELED"
	// NotificationPaymentRefunded: a paid session's payment was refunded, fully or in part.
	NotificationPaymentRefunded NotificationType = "PAYMENT_REFUNDED"
	// NotificationNoShowContested: the member the viewer reported absent from a paid session
	// contested the report; staff will decide (payload domain.NoShowDisputePayload).
	NotificationNoShowContested NotificationType = "NO_SHOW_CONTESTED"
	// NotificationNoShowDecided: a paid session's no-show report was upheld or rejected, by
	// staff or at the end of the contest window (payload domain.NoShowDisputePayload).
	NotificationNoShowDecided NotificationType = "NO_SHOW_DECIDED"
	// NotificationModerationReportReceived: moderators received the member's report (payload
	// domain.CaseReceivedPayload).
	NotificationModerationReportReceived NotificationType = "MODERATION_REPORT_RECEIVED"
	// NotificationModerationCaseDecided: a case the member reported was decided (payload
	// domain.CaseReceivedPayload with its decision).
	NotificationModerationCaseDecided NotificationType = "MODERATION_CASE_DECIDED"
	// NotificationModerationSanctionImposed: a moderator sanctioned the member (payload
	// domain.SanctionPayload). Emailed by package moderation, also to a suspended member.
	NotificationModerationSanctionImposed NotificationType = "MODERATION_SANCTION_IMPOSED"
	// NotificationModerationSanctionLifted: a sanction of the member was lifted early (payload
	// domain.SanctionPayload). Emailed by package moderation.
	NotificationModerationSanctionLifted NotificationType = "MODERATION_SANCTION_LIFTED"
	// NotificationModerationAppealDecided: the member's appeal was decided (payload
	// domain.SanctionPayload with its decision). Emailed by package moderation.
	NotificationModerationAppealDecided NotificationType = "MODERATION_APPEAL_DECIDED"
	// NotificationModerationAppealMessage: a moderator wrote in the member's appeal (payload
	// domain.SanctionPayload). Emailed by package moderation, with a link to answer.
	NotificationModerationAppealMessage NotificationType = "MODERATION_APPEAL_MESSAGE"
)

// AllNotificationTypes lists every notification type, in display order of preference screens.
var AllNotificationTypes = []NotificationType{
	NotificationNewMessage, NotificationNewMutualMatch,
	NotificationSessionProposed, NotificationSessionNewTimeProposed, NotificationSessionConfirmed,
	NotificationSessionDeclined, NotificationSessionCancelled, NotificationSessionCompletionConfirmedByPartner,
	NotificationSessionCompleted, NotificationSessionNoShowReported, NotificationSessionProblemReported,
	NotificationSessionReminder, NotificationReviewReceived,
	NotificationPaymentAuthorized, NotificationPaymentFailed, NotificationPaymentCaptured,
	NotificationPaymentCanceled, NotificationPaymentRefunded,
	NotificationNoShowContested, NotificationNoShowDecided,
	NotificationModerationReportReceived, NotificationModerationCaseDecided,
	NotificationModerationSanctionImposed, NotificationModerationSanctionLifted,
	NotificationModerationAppealDecided, NotificationModerationAppealMessage,
}

// Valid reports whether t is a known type.
func (t NotificationType) Valid() bool { return slices.Contains(AllNotificationTypes, t) }

// Notification is an in-app notification of one member.
type Notification struct {
	ID     uuid.UUID        `db:"id" json:"id"`
	UserID uuid.UUID        `db:"user_id" json:"userId"`
	Type   NotificationType `db:"type" json:"type"`
	// Payload is a JSON object whose shape depends on Type (ids of what it is about).
	Payload json.RawMessage `db:"payload" json:"payload"`
	// GroupKey coalesces: at most one unread notification per member and key.
	GroupKey  *string    `db:"group_key" json:"groupKey,omitempty"`
	ReadAt    *time.Time `db:"read_at" json:"readAt,omitempty"`
	CreatedAt time.Time  `db:"created_at" json:"createdAt"`
}

// NotificationPreference is a member's choice of channels for one notification type. The
// defaults of each type, and which types are critical, are registered in package notifications.
type NotificationPreference struct {
	Type NotificationType `db:"type" json:"type"`
	// InApp stores the notification in the feed and pushes it live.
	InApp bool `db:"in_app" json:"inApp"`
	// Email also sends it by email.
	Email bool `db:"email" json:"email"`
	// Push also sends it to the member's devices. Stored, nil means "the type's default"; in a
	// change, nil keeps what was stored; what the service returns always has it.
	Push *bool `db:"push" json:"push,omitempty"`
	// Critical types are emailed whatever Email says (computed, never stored).
	Critical bool `db:"-" json:"critical,omitempty"`
	// Digest gathers its emails into the member's digest instead of sending them one by one
	// (issue 17 item 4). Stored, nil means "at once"; in a change, nil keeps what was stored;
	// what the service returns always has it. Never true for a critical type.
	Digest *bool `db:"email_digest" json:"emailDigest,omitempty"`
}

// NewMessagePayload is the payload of NEW_MESSAGE. It carries ids only: a message deleted later
// must not live on in a notification.
type NewMessagePayload struct {
	ConversationID uuid.UUID `json:"conversationId"`
	MessageID      uuid.UUID `json:"messageId"`
	SenderID       uuid.UUID `json:"senderId"`
	Seq            int64     `json:"seq"`
}

// ConversationGroupKey is the coalescing key of NEW_MESSAGE notifications of one conversation.
func ConversationGroupKey(conversationID uuid.UUID) string {
	return "conversation:" + conversationID.String()
}
