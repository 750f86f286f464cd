package domain

import (
	"slices"
	"testing"
)

func TestValidateTimeZone(t *testing.T) {
	for zone, ok := range map[string]bool{
		"Europe/Paris": true, "America/New_York": true, "UTC": true, "Asia/Kolkata": true,
		"": false, "Local": false, "Mars/Olympus": false, "GMT+25": false, "../etc/passwd": false,
	} {
		_, err := ValidateTimeZone("timeZone", zone)
		if (err == nil) != ok {
			t.Errorf("ValidateTimeZone(%q) = %v, want ok=%v", zone, err, ok)
		}
	}
}

func TestValidateLanguages(t *testing.T) {
	got, err := ValidateLanguages("languages", []string{"FR", "en", "fr", " es "})
	if err != nil || !slices.Equal(got, []string{"fr", "en", "es"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range [][]string{{"xx"}, {"fra"}, {"en", "english"}, {""}} {
		_, err := ValidateLanguages("languages", bad)
		if !IsKind(err, KindInvalid) {
			t.Errorf("ValidateLanguages(%v) = %v", bad, err)
		}
	}
	_, err = ValidateLanguages("languages", []string{"en", "zz"})
	if de := err.(*Error); de.Field != "languages.1" {
		t.Errorf("field = %q, want languages.1", de.Field)
	}
}

func TestValidateAvatarURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://cdn.example.com/a.png": true,
		"http://cdn.example.com/a.png":  false,
		"javascript:alert(1)":           false,
		"https://user:pw@example.com/x": false,
		"not a url":                     false,
		"https:///nohost":               false,
	} {
		if err := ValidateAvatarURL("avatarUrl", raw); (err == nil) != ok {
			t.Errorf("ValidateAvatarURL(%q) = %v, want ok=%v", raw, err, ok)
		}
	}
}

func TestNormalizeSlots(t *testing.T) {
	got, err := NormalizeSlots("availability", []AvailabilitySlot{
		{Weekday: 2, StartMinute: 600, EndMinute: 720},
		{Weekday: 1, StartMinute: 1080, EndMinute: 1200},
		{Weekday: 2, StartMinute: 700, EndMinute: 800},   // overlaps the first: merged
		{Weekday: 2, StartMinute: 800, EndMinute: 900},   // touches: merged
		{Weekday: 2, StartMinute: 1000, EndMinute: 1440}, // separate
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []AvailabilitySlot{
		{Weekday: 1, StartMinute: 1080, EndMinute: 1200},
		{Weekday: 2, StartMinute: 600, EndMinute: 900},
		{Weekday: 2, StartMinute: 1000, EndMinute: 1440},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	bad := []struct {
		slot  AvailabilitySlot
		field string
	}{
		{AvailabilitySlot{Weekday: 0, StartMinute: 0, EndMinute: 60}, "availability.0.weekday"},
		{AvailabilitySlot{Weekday: 8, StartMinute: 0, EndMinute: 60}, "availability.0.weekday"},
		{AvailabilitySlot{Weekday: 1, StartMinute: -1, EndMinute: 60}, "availability.0.start"},
		{AvailabilitySlot{Weekday: 1, StartMinute: 60, EndMinute: 60}, "availability.0.end"},
		{AvailabilitySlot{Weekday: 1, StartMinute: 60, EndMinute: 1441}, "availability.0.end"},
	}
	for _, b := range bad {
		_, err := NormalizeSlots("availability", []AvailabilitySlot{b.slot})
		if de, ok := err.(*Error); !ok || de.Field != b.field {
			t.Errorf("slot %+v: %v, want field %s", b.slot, err, b.field)
		}
	}
}
