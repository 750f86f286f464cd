package notifications

import (
	"encoding/json"

	"github.com/skillswap/skillswap/domain"
)

// Channels are the ways a notification reaches a member.
type Channels struct {
	// InApp stores it in the feed and streams it live.
	InApp bool
	// Email sends it by email.
	Email bool
	// Push sends it to the member's registered devices (Expo).
	Push bool
}

// TypeSpec is everything the platform knows about one notification type, in one place: a
// feature that adds a type (a constant in domain/notification.go, in AllNotificationTypes)
// registers it here with its text, its default channels and whether it is critical, and its
// email's words in each catalogue templates/<locale>.json; TestEveryTypeIsRegistered and
// TestEveryTypeHasItsEmailInEveryLanguage fail until it does.
type TypeSpec struct {
	Type domain.NotificationType
	// Text says what happened, in a few words and without content: the subject of its email and
	// the title of its push (English; the French catalogue is issue 17 item 6).
	Text string
	// Defaults are the channels of a member who never chose.
	Defaults Channels
	// Critical types are emailed whatever the member's email choice: security notices and
	// payment problems, which a member must not miss because of a setting.
	Critical bool
	// OwnEmail types are emailed by the capability that raises them, never by this service:
	// moderation's notices carry the statement of reasons and a signed appeal link, and must
	// reach a suspended member, whom the generic notification email skips.
	OwnEmail bool
	// Thread, when set, names the conversation a notification belongs to from its payload, so
	// the app shows one thread per conversation (push data "threadId").
	Thread func(payload json.RawMessage) string
	// AndroidChannel is the Android notification channel of its pushes (the app creates it);
	// "" uses Expo's default channel.
	AndroidChannel string
}

// The defaults: everything in the app; email only for what needs action away from the app
// (matches, sessions, payments), not chat, which would flood the inbox; push for what is
// time-sensitive (chat, session changes and reminders, payment problems).
var (
	appOnly        = Channels{InApp: true}
	appPush        = Channels{InApp: true, Push: true}
	appEmail       = Channels{InApp: true, Email: true}
	appEmailPush   = Channels{InApp: true, Email: true, Push: true}
	androidMessage = "messages"
)

// registry lists every notification type. Its order is the display order of preference screens.
var registry = []TypeSpec{
	{Type: domain.NotificationNewMessage, Text: "You have new messages", Defaults: appPush,
		Thread: conversationThread, AndroidChannel: androidMessage},
	{Type: domain.NotificationNewMutualMatch, Text: "You have a new mutual match", Defaults: appEmailPush},
	{Type: domain.NotificationSessionProposed, Text: "Someone proposed a session to you", Defaults: appEmailPush},
	{Type: domain.NotificationSessionNewTimeProposed, Text: "A new time was proposed for your session", Defaults: appEmailPush},
	{Type: domain.NotificationSessionConfirmed, Text: "Your session is confirmed", Defaults: appEmailPush},
	{Type: domain.NotificationSessionDeclined, Text: "A session proposal was declined", Defaults: appEmail},
	{Type: domain.NotificationSessionCancelled, Text: "A session was cancelled", Defaults: appEmailPush},
	{Type: domain.NotificationSessionCompletionConfirmedByPartner, Text: "Please confirm your session took place", Defaults: appEmail},
	{Type: domain.NotificationSessionCompleted, Text: "How was your session? Leave a review", Defaults: appEmail},
	{Type: domain.NotificationSessionNoShowReported, Text: "A no-show was reported for your session", Defaults: appEmailPush},
	{Type: domain.NotificationSessionProblemReported, Text: "A problem was reported with your session", Defaults: appEmail},
	{Type: domain.NotificationSessionReminder, Text: "Your session starts soon", Defaults: appEmailPush},
	{Type: domain.NotificationReviewReceived, Text: "You received a review", Defaults: appOnly},
	{Type: domain.NotificationPaymentAuthorized, Text: "A session payment was authorised", Defaults: appEmail},
	// A declined card stops a booking: always emailed.
	{Type: domain.NotificationPaymentFailed, Text: "A session payment was declined", Defaults: appEmailPush, Critical: true},
	{Type: domain.NotificationPaymentCaptured, Text: "A session payment was completed", Defaults: appEmail},
	{Type: domain.NotificationPaymentCanceled, Text: "A session payment was released", Defaults: appEmail},
	{Type: domain.NotificationPaymentRefunded, Text: "A session payment was refunded", Defaults: appEmail},
	{Type: domain.NotificationNoShowContested, Text: "A no-show you reported was contested", Defaults: appEmail},
	{Type: domain.NotificationNoShowDecided, Text: "A no-show report was decided", Defaults: appEmail},
	{Type: domain.NotificationModerationReportReceived, Text: "We received your report", Defaults: appEmail},
	{Type: domain.NotificationModerationCaseDecided, Text: "A report you made was decided", Defaults: appEmail},
	// Sanctions and appeals: package moderation emails them itself (OwnEmail), always (Critical).
	{Type: domain.NotificationModerationSanctionImposed, Text: "A moderator took action on your account",
		Defaults: appEmailPush, Critical: true, OwnEmail: true},
	{Type: domain.NotificationModerationSanctionLifted, Text: "A sanction on your account was lifted",
		Defaults: appEmailPush, Critical: true, OwnEmail: true},
	{Type: domain.NotificationModerationAppealDecided, Text: "Your appeal was decided",
		Defaults: appEmailPush, Critical: true, OwnEmail: true},
	{Type: domain.NotificationModerationAppealMessage, Text: "A moderator wrote in your appeal",
		Defaults: appEmailPush, Critical: true, OwnEmail: true},
}

// specs indexes registry by type.
var specs = func() map[domain.NotificationType]TypeSpec {
	m := make(map[domain.NotificationType]TypeSpec, len(registry))
	for _, s := range registry {
		m[s.Type] = s
	}
	return m
}()

// Spec returns the registration of t; ok is false for a type nobody registered.
func Spec(t domain.NotificationType) (spec TypeSpec, ok bool) {
	spec, ok = specs[t]
	return spec, ok
}

// Registered lists every registered type, in display order.
func Registered() []TypeSpec { return append([]TypeSpec(nil), registry...) }

// specOf is Spec with a safe fallback for a type valid in domain but not registered yet (the
// registry test catches it): the defaults types had before the registry (in the app and by
// email, no push) and a generic text, so an unregistered type behaves as it always did.
func specOf(t domain.NotificationType) TypeSpec {
	if s, ok := specs[t]; ok {
		return s
	}
	return TypeSpec{Type: t, Text: "You have a new notification", Defaults: appEmail}
}

// Effective is a member's preference for t: what they stored (nil: never chose), the type's
// defaults for what they did not choose, and whether the type is critical. A critical type's
// Email stays what the member chose (it is what they see and may set); Notify emails it anyway.
func Effective(t domain.NotificationType, stored *domain.NotificationPreference) domain.NotificationPreference {
	s := specOf(t)
	p := domain.NotificationPreference{Type: t, InApp: s.Defaults.InApp, Email: s.Defaults.Email, Critical: s.Critical}
	if stored != nil {
		p.InApp, p.Email = stored.InApp, stored.Email
		if stored.Push != nil {
			push := *stored.Push
			p.Push = &push
		}
	}
	if p.Push == nil {
		push := s.Defaults.Push
		p.Push = &push
	}
	// Digest mode (digest.go): what the member stored, never for a critical type.
	digest := stored != nil && stored.Digest != nil && *stored.Digest && !s.Critical
	p.Digest = &digest
	return p
}

// conversationThread is the thread of a NEW_MESSAGE: its conversation.
func conversationThread(payload json.RawMessage) string {
	var p domain.NewMessagePayload
	if err := json.Unmarshal(payload, &p); err != nil || p.ConversationID.String() == "00000000-0000-0000-0000-000000000000" {
		return ""
	}
	return domain.ConversationGroupKey(p.ConversationID)
}
