package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestValidateMessageBody(t *testing.T) {
	cases := []struct {
		name, body  string
		attachment  bool
		want        string
		wantInvalid bool
	}{
		{"trimmed", "  hi  ", false, "hi", false},
		{"empty", "   ", false, "", true},
		{"empty with attachment", "", true, "", false},
		{"4000 accented characters", strings.Repeat("é", 4000), false, strings.Repeat("é", 4000), false},
		{"4001 characters", strings.Repeat("a", 4001), false, "", true},
		{"NUL byte", "a\x00b", false, "", true},
		{"invalid UTF-8", "a\xffb", false, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ValidateMessageBody("body", tc.body, tc.attachment)
			if tc.wantInvalid {
				if !IsKind(err, KindInvalid) {
					t.Fatalf("error %v, want invalid", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestValidateClientID(t *testing.T) {
	for id, ok := range map[string]bool{
		"0192f0c5-3c1e-7a3b-8c4d-5e6f7a8b9c0d": true,
		"a":                                    true,
		"":                                     false,
		"has space":                            false,
		strings.Repeat("x", 65):                false,
		"é":                                    false,
	} {
		if err := ValidateClientID("clientId", id); (err == nil) != ok {
			t.Errorf("ValidateClientID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}

func TestCanEditMessage(t *testing.T) {
	sender, other := uuid.New(), uuid.New()
	sent := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	deleted := sent.Add(time.Minute)
	cases := []struct {
		name   string
		editor uuid.UUID
		at     time.Time
		del    *time.Time
		want   Kind
	}{
		{"sender at once", sender, sent, nil, 0},
		{"sender at 15 minutes", sender, sent.Add(EditWindow), nil, 0},
		{"sender after 15 minutes", sender, sent.Add(EditWindow + time.Second), nil, KindConflict},
		{"someone else", other, sent, nil, KindForbidden},
		{"deleted", sender, sent.Add(2 * time.Minute), &deleted, KindConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CanEditMessage(Message{SenderID: sender, CreatedAt: sent, DeletedAt: tc.del}, tc.editor, tc.at)
			if tc.want == 0 && err != nil || tc.want != 0 && !IsKind(err, tc.want) {
				t.Fatalf("error %v, want kind %d", err, tc.want)
			}
		})
	}
}

func TestDirectPairIsOrderIndependent(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	l1, h1 := DirectPair(a, b)
	l2, h2 := DirectPair(b, a)
	if l1 != l2 || h1 != h2 || l1 == h1 {
		t.Fatalf("DirectPair not canonical: (%s,%s) vs (%s,%s)", l1, h1, l2, h2)
	}
	if strings.Compare(l1.String(), h1.String()) >= 0 {
		t.Fatal("low id is not the lowest")
	}
}

func TestParticipantIsMuted(t *testing.T) {
	now := time.Now()
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	cases := []struct {
		p    Participant
		want bool
	}{
		{Participant{}, false},
		{Participant{Muted: true}, true},
		{Participant{Muted: true, MutedUntil: &later}, true},
		{Participant{Muted: true, MutedUntil: &earlier}, false},
	}
	for i, tc := range cases {
		if got := tc.p.IsMuted(now); got != tc.want {
			t.Errorf("case %d: IsMuted = %v, want %v", i, got, tc.want)
		}
	}
}

func TestNotificationTypes(t *testing.T) {
	for _, typ := range AllNotificationTypes {
		if !typ.Valid() || len(typ) > 49 || strings.ToUpper(string(typ)) != string(typ) {
			t.Errorf("type %q does not fit the database check", typ)
		}
	}
	if NotificationType("SESSION_WHATEVER").Valid() {
		t.Error("unknown type is valid")
	}
}
