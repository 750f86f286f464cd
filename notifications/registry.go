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
// registers it here with its default channels and whether it is critical, and its text (what
// happened, in a few words and without content: its email's subject, its push's body) in every
// catalogue of package i18n as notification.type.<TYPE>; TestEveryTypeIsRegistered and
// i18n's TestEveryMessageInEveryLanguage fail until it does.
type TypeSpec struct {
	Type domain.NotificationType
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
	{Type: domain.NotificationNewMessage, Defaults: appPush,
		Thread: conversationThread, AndroidChannel: androidMessage},
	{Type: domain.NotificationNewMutualMatch, Defaults: appEmailPush},
	{Type: domain.NotificationSessionProposed, Defaults: appEmailPush},
	{Type: domain.NotificationSessionNewTimeProposed, Defaults: appEmailPush},
	{Type: domain.NotificationSessionConfirmed, Defaults: appEmailPush},
	{Type: domain.NotificationSessionDeclined, Defaults: appEmail},
	{Type: domain.NotificationSessionCancelled, Defaults: appEmailPush},
	{Type: domain.NotificationSessionCompletionConfirmedByPartner, Defaults: appEmail},
	{Type: domain.NotificationSessionCompleted, Defaults: appEmail},
	{Type: domain.NotificationSessionNoShowReported, Defaults: appEmailPush},
	{Type: domain.NotificationSessionProblemReported, Defaults: appEmail},
	{Type: domain.NotificationSessionReminder, Defaults: appEmailPush},
	{Type: domain.NotificationReviewReceived, Defaults: appOnly},
	{Type: domain.NotificationPaymentAuthorized, Defaults: appEmail},
	// A declined card stops a booking: always emailed.
	{Type: domain.NotificationPaymentFailed, Defaults: appEmailPush, Critical: true},
	{Type: domain.NotificationPaymentCaptured, Defaults: appEmail},
	{Type: domain.NotificationPaymentCanceled, Defaults: appEmail},
	{Type: domain.NotificationPaymentRefunded, Defaults: appEmail},
	{Type: domain.NotificationNoShowContested, Defaults: appEmail},
	{Type: domain.NotificationNoShowDecided, Defaults: appEmail},
	{Type: domain.NotificationModerationReportReceived, Defaults: appEmail},
	{Type: domain.NotificationModerationCaseDecided, Defaults: appEmail},
	// Sanctions and appeals: package moderation emails them itself (OwnEmail), always (Critical).
	{Type: domain.NotificationModerationSanctionImposed,
		Defaults: appEmailPush, Critical: true, OwnEmail: true},
	{Type: domain.NotificationModerationSanctionLifted,
		Defaults: appEmailPush, Critical: true, OwnEmail: true},
	{Type: domain.NotificationModerationAppealDecided,
		Defaults: appEmailPush, Critical: true, OwnEmail: true},
	{Type: domain.NotificationModerationAppealMessage,
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
	return TypeSpec{Type: t, Defaults: appEmail}
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
