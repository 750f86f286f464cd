package notifications_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/notifications"
)

// TestPushTextFollowsTheDeviceLocale: each device reads the push in the language it registered
// with (fr-CA: French, de: English); a device that reported none reads the member's profile
// language.
func TestPushTextFollowsTheDeviceLocale(t *testing.T) {
	t.Parallel()
	e := newPushEnv(t, notifications.Options{})
	ctx := context.Background()
	englishMember, frenchMember := e.user(t), e.user(t)
	if _, err := e.st.Pool().Exec(ctx, `UPDATE users SET locale = 'fr' WHERE id = $1`, frenchMember); err != nil {
		t.Fatal(err)
	}
	const fr, en = "Votre session commence bientôt", "Your session starts soon"
	want := map[string]string{}
	for i, c := range []struct {
		member uuid.UUID
		locale *string
		body   string
	}{
		{englishMember, new("fr-CA"), fr},
		{englishMember, new("de-DE"), en},
		{englishMember, nil, en},
		{frenchMember, nil, fr},
		{frenchMember, new("en-GB"), en},
	} {
		tok := deviceToken(c.member, i)
		if _, err := e.svc.RegisterPushDevice(ctx, as(c.member), notifications.PushDeviceInput{Token: tok, Platform: domain.PushIOS, Locale: c.locale}); err != nil {
			t.Fatal(err)
		}
		want[tok] = c.body
	}
	e.notify(t, []uuid.UUID{englishMember, frenchMember}, domain.NotificationSessionReminder, map[string]string{"sessionId": uuid.NewString()})
	if sent, _, err := e.sender.Flush(ctx); err != nil || sent != len(want) {
		t.Fatalf("flush: %d sent, %v", sent, err)
	}
	got := e.expo.Messages()
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for _, m := range got {
		if m.Body != want[m.To] || m.Title != "SkillSwap" {
			t.Errorf("device %s: %q / %q, want body %q", m.To, m.Title, m.Body, want[m.To])
		}
	}
}
