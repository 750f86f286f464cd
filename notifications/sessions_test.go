package notifications_test

import (
	"testing"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/sessions"
)

// The sessions service notifies through ByName: every type it sends must be a known type, or
// its transactions would fail.
var _ sessions.Notifier = notifications.ByName{}

func TestSessionNotificationTypesAreKnown(t *testing.T) {
	for _, typ := range []string{
		sessions.NotifyProposed, sessions.NotifyNewTimeProposed, sessions.NotifyConfirmed,
		sessions.NotifyDeclined, sessions.NotifyCancelled, sessions.NotifyCompletionAwaited,
		sessions.NotifyCompleted, sessions.NotifyNoShowReported, sessions.NotifyProblemReported,
		sessions.NotifyReminder,
	} {
		if !domain.NotificationType(typ).Valid() {
			t.Errorf("sessions sends %q, unknown to domain.AllNotificationTypes", typ)
		}
	}
}
