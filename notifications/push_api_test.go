package notifications_test

import (
	"testing"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestAPIPushDevicesAndChannels: registering a device and choosing push over GraphQL, with the
// errors a client sees.
func TestAPIPushDevicesAndChannels(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, alice := srv.SignUp(t)

	const register = `mutation($t: String!, $p: PushPlatform!, $l: String) {
		registerPushDevice(input: {token: $t, platform: $p, locale: $l}) { device { id platform locale createdAt lastRegisteredAt } } }`
	for _, bad := range []struct {
		vars  map[string]any
		field string
	}{
		{map[string]any{"t": "ExponentPushToken[", "p": "IOS"}, "input.token"},
		{map[string]any{"t": "ExponentPushToken[abcdefgh12345]", "p": "IOS", "l": "not a locale"}, "input.locale"},
	} {
		r := alice.Do(t, register, bad.vars)
		if r.Code() != "BAD_USER_INPUT" || r.Field() != bad.field {
			t.Errorf("%v: %s", bad.vars, r.Raw)
		}
	}
	var reg struct {
		RegisterPushDevice struct {
			Device struct{ ID, Platform, Locale string }
		}
	}
	apitest.Must(t, alice.Do(t, register, map[string]any{"t": "ExponentPushToken[abcdefgh12345]", "p": "ANDROID", "l": "fr-FR"})).Decode(t, &reg)
	if d := reg.RegisterPushDevice.Device; d.ID == "" || d.Platform != "ANDROID" || d.Locale != "fr-FR" {
		t.Fatalf("device %+v", d)
	}
	var list struct {
		PushDevices []struct{ ID string }
	}
	apitest.Must(t, alice.Do(t, `{ pushDevices { id } }`, nil)).Decode(t, &list)
	if len(list.PushDevices) != 1 || list.PushDevices[0].ID != reg.RegisterPushDevice.Device.ID {
		t.Fatalf("pushDevices %+v", list.PushDevices)
	}

	type pref struct {
		Type                         string
		InApp, Email, Push, Critical bool
	}
	var set struct {
		SetNotificationPreference struct{ Preference pref }
	}
	// Without push: the type's default (on for NEW_MESSAGE) stays.
	apitest.Must(t, alice.Do(t, `mutation { setNotificationPreference(input: {type: NEW_MESSAGE, inApp: true, email: true}) {
		preference { type inApp email push critical } } }`, nil)).Decode(t, &set)
	if p := set.SetNotificationPreference.Preference; !p.InApp || !p.Email || !p.Push || p.Critical {
		t.Fatalf("preference %+v", p)
	}
	apitest.Must(t, alice.Do(t, `mutation { setNotificationPreference(input: {type: PAYMENT_FAILED, inApp: true, email: false, push: false}) {
		preference { type inApp email push critical } } }`, nil)).Decode(t, &set)
	if p := set.SetNotificationPreference.Preference; p.Email || p.Push || !p.Critical {
		t.Fatalf("preference %+v", p)
	}
	var prefs struct{ NotificationPreferences []pref }
	apitest.Must(t, alice.Do(t, `{ notificationPreferences { type inApp email push critical } }`, nil)).Decode(t, &prefs)
	for _, p := range prefs.NotificationPreferences {
		if p.Type == "REVIEW_RECEIVED" && p.Push {
			t.Errorf("REVIEW_RECEIVED pushes by default")
		}
		if p.Type == "PAYMENT_FAILED" && (p.Push || !p.Critical) {
			t.Errorf("PAYMENT_FAILED %+v", p)
		}
	}

	var un struct{ UnregisterPushDevice struct{ Removed bool } }
	apitest.Must(t, alice.Do(t, `mutation { unregisterPushDevice(input: {token: "ExponentPushToken[abcdefgh12345]"}) { removed } }`, nil)).Decode(t, &un)
	if !un.UnregisterPushDevice.Removed {
		t.Fatal("not removed")
	}
}
