package notifications_test

import (
	"testing"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/skillsessions"
)

// The sessions service notifies through ByName: every type it sends must be a known type, or
// its transactions would fail.
var _ skillsessions.Notifier = notifications.ByName{}

func TestSessionNotificationTypesAreKnown(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{
		skillsessions.NotifyProposed, skillsessions.NotifyNewTimeProposed, skillsessions.NotifyConfirmed,
		skillsessions.NotifyDeclined, skillsessions.NotifyCancelled, skillsessions.NotifyCompletionAwaited,
		skillsessions.NotifyCompleted, skillsessions.NotifyNoShowReported, skillsessions.NotifyProblemReported,
		skillsessions.NotifyReminder,
	} {
		if !domain.NotificationType(typ).Valid() {
			t.Errorf("sessions sends %q, unknown to domain.AllNotificationTypes", typ)
		}
	}
}
