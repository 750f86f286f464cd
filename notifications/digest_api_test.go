package notifications_test

import (
	"testing"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestAPIDigest: emailMode on preferences (default IMMEDIATE, DIGEST kept, refused for a
// critical type with its field), and the digest schedule read back, set and validated.
func TestAPIDigest(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, c := srv.SignUp(t)
	type schedule struct {
		ID, Frequency, Time, NextDigestAt string
		Weekday                           *string
	}
	const fields = `id frequency weekday time nextDigestAt`
	var out struct{ DigestSchedule schedule }
	apitest.Must(t, c.Do(t, `{ digestSchedule { `+fields+` } }`, nil)).Decode(t, &out)
	if out.DigestSchedule.Frequency != "DAILY" || out.DigestSchedule.Time != "08:00" || out.DigestSchedule.Weekday != nil || out.DigestSchedule.NextDigestAt == "" {
		t.Fatalf("default %+v", out.DigestSchedule)
	}
	const set = `mutation($in: SetDigestScheduleInput!) { setDigestSchedule(input: $in) { digestSchedule { ` + fields + ` } } }`
	var got struct {
		SetDigestSchedule struct{ DigestSchedule schedule }
	}
	apitest.Must(t, c.Do(t, set, map[string]any{"in": map[string]any{"frequency": "WEEKLY", "weekday": "FRIDAY", "time": "18:15"}})).Decode(t, &got)
	apitest.Must(t, c.Do(t, `{ digestSchedule { `+fields+` } }`, nil)).Decode(t, &out)
	if s := out.DigestSchedule; s.Frequency != "WEEKLY" || s.Weekday == nil || *s.Weekday != "FRIDAY" || s.Time != "18:15" ||
		s.ID == "" || s.ID != got.SetDigestSchedule.DigestSchedule.ID {
		t.Fatalf("read back %+v, set returned %+v", s, got.SetDigestSchedule.DigestSchedule)
	}
	for _, bad := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"frequency": "WEEKLY", "time": "08:00"}, "input.weekday"},
		{map[string]any{"frequency": "DAILY", "weekday": "MONDAY", "time": "08:00"}, "input.weekday"},
		{map[string]any{"frequency": "DAILY", "time": "25:00"}, "input.time"},
	} {
		if r := c.Do(t, set, map[string]any{"in": bad.in}); r.Code() != "BAD_USER_INPUT" || r.Field() != bad.field {
			t.Errorf("%v: %s on %q, want BAD_USER_INPUT on %s", bad.in, r.Code(), r.Field(), bad.field)
		}
	}

	const pref = `mutation($in: SetNotificationPreferenceInput!) { setNotificationPreference(input: $in) { preference { type emailMode } } }`
	var p struct {
		SetNotificationPreference struct {
			Preference struct{ Type, EmailMode string }
		}
	}
	apitest.Must(t, c.Do(t, pref, map[string]any{"in": map[string]any{"type": "NEW_MUTUAL_MATCH", "inApp": true, "email": true, "emailMode": "DIGEST"}})).Decode(t, &p)
	if p.SetNotificationPreference.Preference.EmailMode != "DIGEST" {
		t.Fatalf("set DIGEST: %+v", p)
	}
	// Omitted keeps it.
	apitest.Must(t, c.Do(t, pref, map[string]any{"in": map[string]any{"type": "NEW_MUTUAL_MATCH", "inApp": true, "email": true}})).Decode(t, &p)
	var list struct {
		NotificationPreferences []struct{ Type, EmailMode string }
	}
	apitest.Must(t, c.Do(t, `{ notificationPreferences { type emailMode } }`, nil)).Decode(t, &list)
	for _, l := range list.NotificationPreferences {
		want := "IMMEDIATE"
		if l.Type == "NEW_MUTUAL_MATCH" {
			want = "DIGEST"
		}
		if l.EmailMode != want {
			t.Errorf("%s emailMode %s, want %s", l.Type, l.EmailMode, want)
		}
	}
	r := c.Do(t, pref, map[string]any{"in": map[string]any{"type": "PAYMENT_FAILED", "inApp": true, "email": true, "emailMode": "DIGEST"}})
	if r.Code() != "BAD_USER_INPUT" || r.Field() != "input.emailMode" {
		t.Fatalf("critical type in digest: %s on %q, want BAD_USER_INPUT on input.emailMode", r.Code(), r.Field())
	}
	if r := srv.Client().Do(t, `{ digestSchedule { time } }`, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous: %s", r.Code())
	}
}
