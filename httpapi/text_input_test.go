package httpapi_test

import (
	"testing"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestTextInputsRefuseWhatCannotBeStored: every String input goes through one scalar, so a NUL
// or another invalid character is BAD_USER_INPUT naming the argument, whether it comes in a
// variable or in the document, in an input object or a plain argument; nothing is written.
// Before, a NUL reached PostgreSQL and came back as INTERNAL_SERVER_ERROR.
func TestTextInputsRefuseWhatCannotBeStored(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, me := srv.SignUp(t)
	const setBio = `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { profile { bio } } } }`
	apitest.Must(t, me.Do(t, setBio, map[string]any{"in": map[string]any{"bio": "Original"}}))

	tests := []struct {
		name  string
		query string
		vars  map[string]any
		field string
	}{
		{"NUL in an input variable", setBio, map[string]any{"in": map[string]any{"bio": "a\x00b"}}, "input.bio"},
		{"a control character in an input variable", setBio, map[string]any{"in": map[string]any{"bio": "a\x1bb"}}, "input.bio"},
		{"a noncharacter in an input variable", setBio, map[string]any{"in": map[string]any{"bio": "a\uffffb"}}, "input.bio"},
		{"NUL in the document", `mutation { updateProfile(input: {bio: "a\u0000b"}) { user { id } } }`, nil, "input.bio"},
		{"NUL in a list of an input", setBio, map[string]any{"in": map[string]any{"languages": []string{"fr", "e\x00n"}}}, "input.languages.1"},
		{"NUL in a plain argument", `query($t: String!) { searchSkills(text: $t) { edges { node { id } } } }`, map[string]any{"t": "gui\x00"}, "text"},
		{"a bad DateTime names its field too", `mutation($in: ProposeSessionInput!) { proposeSession(input: $in) { session { id } } }`,
			map[string]any{"in": map[string]any{"skillId": "skl_x", "teacherId": "usr_x", "learnerId": "usr_y", "startsAt": "tomorrow",
				"durationMinutes": 60, "mode": "ONLINE", "meetingUrl": "https://meet.example.com/x"}}, "input.startsAt"},
	}
	for _, tt := range tests {
		r := me.Do(t, tt.query, tt.vars)
		if r.Code() != "BAD_USER_INPUT" || r.Field() != tt.field {
			t.Errorf("%s: code %q field %q, want BAD_USER_INPUT %q: %s", tt.name, r.Code(), r.Field(), tt.field, r.Raw)
		}
	}

	var bio struct {
		Viewer struct{ Profile struct{ Bio string } }
	}
	apitest.Must(t, me.Do(t, `{ viewer { profile { bio } } }`, nil)).Decode(t, &bio)
	if got := bio.Viewer.Profile.Bio; got != "Original" {
		t.Fatalf("after refused updates the bio is %q, want it unchanged", got)
	}

	var out struct {
		UpdateProfile struct {
			User struct{ Profile struct{ Bio string } }
		}
	}
	apitest.Must(t, me.Do(t, setBio, map[string]any{"in": map[string]any{"bio": "Tab\tand line\nfeed, é ✓"}})).Decode(t, &out)
	if got := out.UpdateProfile.User.Profile.Bio; got != "Tab\tand line\nfeed, é ✓" {
		t.Fatalf("valid text came back as %q", got)
	}
}
