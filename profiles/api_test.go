package profiles_test

import (
	"strings"
	"testing"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
)

const updateProfile = `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { id profile {
	bio avatarUrl languages timeZone city country location { latitude longitude } mode visibility
	availability { weekday start end } } } } }`

type profile struct {
	Bio          string
	AvatarURL    *string
	Languages    []string
	TimeZone     string
	City         *string
	Country      *string
	Location     *struct{ Latitude, Longitude float64 }
	Mode         string
	Visibility   string
	Availability []struct {
		Weekday    int
		Start, End string
	}
}

func TestUpdateProfile(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, me := srv.SignUp(t)

	r := me.Do(t, updateProfile, map[string]any{"in": map[string]any{
		"bio": "  Luthier and teacher  ", "avatarUrl": "https://cdn.example.com/me.png",
		"languages": []string{"FR", "en", "fr"}, "timeZone": "Europe/Paris", "city": "Lyon", "country": "fr",
		"location": map[string]any{"latitude": 45.76, "longitude": 4.83}, "mode": "IN_PERSON", "visibility": "PUBLIC",
		"availability": []map[string]any{
			{"weekday": 1, "start": "18:00", "end": "20:00"},
			{"weekday": 1, "start": "19:30", "end": "21:00"},
			{"weekday": 6, "start": "09:00", "end": "24:00"},
		},
	}})
	var out struct {
		UpdateProfile struct{ User struct{ Profile profile } }
	}
	r.Decode(t, &out)
	p := out.UpdateProfile.User.Profile
	if p.Bio != "Luthier and teacher" || strings.Join(p.Languages, ",") != "fr,en" || p.TimeZone != "Europe/Paris" ||
		*p.Country != "FR" || p.Location == nil || p.Location.Latitude != 45.76 || p.Mode != "IN_PERSON" || p.Visibility != "PUBLIC" {
		t.Fatalf("profile = %+v", p)
	}
	if len(p.Availability) != 2 || p.Availability[0].Start != "18:00" || p.Availability[0].End != "21:00" || p.Availability[1].End != "24:00" {
		t.Fatalf("availability (overlaps merged) = %+v", p.Availability)
	}

	// A partial update keeps the other fields.
	r = me.Do(t, updateProfile, map[string]any{"in": map[string]any{"bio": "New bio"}})
	r.Decode(t, &out)
	if p := out.UpdateProfile.User.Profile; p.Bio != "New bio" || p.TimeZone != "Europe/Paris" || len(p.Availability) != 2 {
		t.Fatalf("partial update = %+v", p)
	}
}

func TestUpdateProfileRejectsBadInput(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, me := srv.SignUp(t)
	me.Do(t, updateProfile, map[string]any{"in": map[string]any{"bio": "Original", "timeZone": "Europe/Paris"}})

	tests := []struct {
		name  string
		in    map[string]any
		field string
	}{
		{"unknown time zone", map[string]any{"timeZone": "Europe/Atlantis"}, "input.timeZone"},
		{"bad language", map[string]any{"languages": []string{"fr", "xx"}}, "input.languages.1"},
		{"three-letter language", map[string]any{"languages": []string{"fra"}}, "input.languages.0"},
		{"http avatar", map[string]any{"avatarUrl": "http://example.com/a.png"}, "input.avatarUrl"},
		{"javascript avatar", map[string]any{"avatarUrl": "javascript:alert(1)"}, "input.avatarUrl"},
		{"country", map[string]any{"country": "France"}, "input.country"},
		{"latitude", map[string]any{"location": map[string]any{"latitude": 91, "longitude": 0}}, "input.location.latitude"},
		{"long bio", map[string]any{"bio": strings.Repeat("b", 2001)}, "input.bio"},
		{"slot ends before it starts", map[string]any{"availability": []map[string]any{{"weekday": 1, "start": "20:00", "end": "18:00"}}}, "input.availability.0.end"},
		{"weekday 8", map[string]any{"availability": []map[string]any{{"weekday": 8, "start": "10:00", "end": "11:00"}}}, "input.availability.0.weekday"},
		{"bad clock", map[string]any{"availability": []map[string]any{{"weekday": 1, "start": "25:00", "end": "26:00"}}}, "input.availability.0.start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := map[string]any{"bio": "Changed"}
			for k, v := range tt.in {
				in[k] = v
			}
			r := me.Do(t, updateProfile, map[string]any{"in": in})
			if r.Code() != "BAD_USER_INPUT" || r.Field() != tt.field {
				t.Fatalf("code %q field %q, want BAD_USER_INPUT %q: %s", r.Code(), r.Field(), tt.field, r.Raw)
			}
		})
	}
	// Nothing of the refused updates was written.
	var v struct{ Viewer struct{ Profile profile } }
	me.Do(t, `{ viewer { profile { bio timeZone } } }`, nil).Decode(t, &v)
	if v.Viewer.Profile.Bio != "Original" {
		t.Fatalf("a refused update changed the profile: %+v", v.Viewer.Profile)
	}
}

func TestProfilePrivacy(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	owner, ownerClient := srv.SignUp(t)
	_, other := srv.SignUp(t)
	staff, staffClient := srv.SignUp(t)
	srv.SetRoles(t, staff.User.ID, domain.RoleModerator)
	ownerClient.Do(t, updateProfile, map[string]any{"in": map[string]any{
		"city": "Paris", "location": map[string]any{"latitude": 48.85, "longitude": 2.35}, "visibility": "MEMBERS",
	}})
	const q = `query($id: ID!) { node(id: $id) { ... on User { email profile { city location { latitude } } } } }`
	type res struct {
		Node struct {
			Email   *string
			Profile *struct {
				City     *string
				Location *struct{ Latitude float64 }
			}
		}
	}
	var got res
	other.Do(t, q, map[string]any{"id": owner.User.ID}).Decode(t, &got)
	if got.Node.Profile == nil || got.Node.Profile.City == nil || got.Node.Profile.Location != nil || got.Node.Email != nil {
		t.Fatalf("another member sees %+v", got.Node)
	}
	staffClient.Do(t, q, map[string]any{"id": owner.User.ID}).Decode(t, &got)
	if got.Node.Profile.Location == nil || got.Node.Email == nil {
		t.Fatalf("staff sees %+v", got.Node)
	}
	ownerClient.Do(t, q, map[string]any{"id": owner.User.ID}).Decode(t, &got)
	if got.Node.Profile.Location == nil || got.Node.Email == nil {
		t.Fatalf("owner sees %+v", got.Node)
	}

	// HIDDEN: nobody but the owner and staff.
	ownerClient.Do(t, updateProfile, map[string]any{"in": map[string]any{"visibility": "HIDDEN"}})
	got = res{}
	other.Do(t, q, map[string]any{"id": owner.User.ID}).Decode(t, &got)
	if got.Node.Profile != nil {
		t.Fatalf("hidden profile visible: %+v", got.Node.Profile)
	}
	staffClient.Do(t, q, map[string]any{"id": owner.User.ID}).Decode(t, &got)
	if got.Node.Profile == nil {
		t.Fatal("staff cannot see a hidden profile")
	}
}

const addSkill = `mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { memberSkill { id kind level yearsOfPractice description skill { slug name(locale: FR) } } user { offeredSkills { skill { slug } } wantedSkills { skill { slug } } } } }`

func TestMemberSkills(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	music := srv.Category(t, "music", "Music", "Musique")
	guitar := srv.Skill(t, music, "guitar", "Guitar", "Guitare")
	piano := srv.Skill(t, music, "piano", "Piano", "Piano")
	_, me := srv.SignUp(t)

	var out struct {
		AddMemberSkill struct {
			MemberSkill struct {
				ID, Kind, Level, Description string
				YearsOfPractice              *int
				Skill                        struct{ Slug, Name string }
			}
			User struct {
				OfferedSkills, WantedSkills []struct{ Skill struct{ Slug string } }
			}
		}
	}
	me.Do(t, addSkill, map[string]any{"in": map[string]any{"skillId": guitar, "kind": "OFFER", "level": "EXPERT", "yearsOfPractice": 12, "description": "Jazz and folk"}}).Decode(t, &out)
	ms := out.AddMemberSkill.MemberSkill
	if ms.Kind != "OFFER" || ms.Level != "EXPERT" || *ms.YearsOfPractice != 12 || ms.Skill.Name != "Guitare" {
		t.Fatalf("added %+v", ms)
	}
	me.Do(t, addSkill, map[string]any{"in": map[string]any{"skillId": piano, "kind": "WANT", "level": "INTERMEDIATE"}}).Decode(t, &out)
	u := out.AddMemberSkill.User
	if len(u.OfferedSkills) != 1 || u.OfferedSkills[0].Skill.Slug != "guitar" || len(u.WantedSkills) != 1 || u.WantedSkills[0].Skill.Slug != "piano" {
		t.Fatalf("skills after add: %+v", u)
	}

	bad := []struct {
		name  string
		in    map[string]any
		code  string
		field string
	}{
		{"offer and want the same skill", map[string]any{"skillId": guitar, "kind": "WANT", "level": "BEGINNER"}, "CONFLICT", "input.skillId"},
		{"offer twice", map[string]any{"skillId": guitar, "kind": "OFFER", "level": "BEGINNER"}, "CONFLICT", "input.skillId"},
		{"years on a want", map[string]any{"skillId": srv.Skill(t, music, "drums", "Drums", "Batterie"), "kind": "WANT", "level": "BEGINNER", "yearsOfPractice": 2}, "BAD_USER_INPUT", "input.yearsOfPractice"},
		{"negative years", map[string]any{"skillId": srv.Skill(t, music, "violin", "Violin", "Violon"), "kind": "OFFER", "level": "BEGINNER", "yearsOfPractice": -1}, "BAD_USER_INPUT", "input.yearsOfPractice"},
		{"unknown skill", map[string]any{"skillId": "skl_00000000000000000000000000000000", "kind": "OFFER", "level": "BEGINNER"}, "NOT_FOUND", "input.skillId"},
		{"user id as skill id", map[string]any{"skillId": "usr_00000000000000000000000000000000", "kind": "OFFER", "level": "BEGINNER"}, "BAD_USER_INPUT", "input.skillId"},
		{"long description", map[string]any{"skillId": srv.Skill(t, music, "flute", "Flute", "Flûte"), "kind": "OFFER", "level": "BEGINNER", "description": strings.Repeat("d", 1001)}, "BAD_USER_INPUT", "input.description"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := me.Do(t, addSkill, map[string]any{"in": tt.in})
			if r.Code() != tt.code || r.Field() != tt.field {
				t.Fatalf("code %q field %q, want %q %q: %s", r.Code(), r.Field(), tt.code, tt.field, r.Raw)
			}
		})
	}

	var upd struct {
		UpdateMemberSkill struct{ MemberSkill struct{ Level string } }
	}
	me.Do(t, `mutation($id: ID!) { updateMemberSkill(input: {skillId: $id, level: ADVANCED}) { memberSkill { level } } }`,
		map[string]any{"id": piano}).Decode(t, &upd)
	if upd.UpdateMemberSkill.MemberSkill.Level != "ADVANCED" {
		t.Fatalf("update: %+v", upd)
	}
	apitest.Must(t, me.Do(t, `mutation($id: ID!) { removeMemberSkill(input: {skillId: $id}) { user { id } } }`, map[string]any{"id": piano}))
	if r := me.Do(t, `mutation($id: ID!) { removeMemberSkill(input: {skillId: $id}) { user { id } } }`, map[string]any{"id": piano}); r.Code() != "NOT_FOUND" {
		t.Fatalf("removing twice: %s", r.Raw)
	}
	// After removing the want, the same skill can be offered.
	apitest.Must(t, me.Do(t, addSkill, map[string]any{"in": map[string]any{"skillId": piano, "kind": "OFFER", "level": "BEGINNER"}}))
}

func TestBlocking(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	alice, aliceClient := srv.SignUp(t)
	bob, bobClient := srv.SignUp(t)

	const block = `mutation($id: ID!) { blockMember(input: {memberId: $id}) { member { id } blockedMembers { id } } }`
	var out struct {
		BlockMember struct{ BlockedMembers []struct{ ID string } }
	}
	aliceClient.Do(t, block, map[string]any{"id": bob.User.ID}).Decode(t, &out)
	if len(out.BlockMember.BlockedMembers) != 1 || out.BlockMember.BlockedMembers[0].ID != bob.User.ID {
		t.Fatalf("blocked = %+v", out)
	}
	apitest.Must(t, aliceClient.Do(t, block, map[string]any{"id": bob.User.ID})) // idempotent
	if r := aliceClient.Do(t, block, map[string]any{"id": alice.User.ID}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("self block: %s", r.Raw)
	}
	if r := aliceClient.Do(t, block, map[string]any{"id": "usr_00000000000000000000000000000000"}); r.Code() != "NOT_FOUND" {
		t.Fatalf("unknown member: %s", r.Raw)
	}
	// Neither sees the other's profile.
	const q = `query($id: ID!) { node(id: $id) { ... on User { profile { timeZone } } } }`
	var got struct {
		Node struct{ Profile *struct{ TimeZone string } }
	}
	bobClient.Do(t, q, map[string]any{"id": alice.User.ID}).Decode(t, &got)
	if got.Node.Profile != nil {
		t.Fatal("the blocked member sees the blocker's profile")
	}
	aliceClient.Do(t, q, map[string]any{"id": bob.User.ID}).Decode(t, &got)
	if got.Node.Profile != nil {
		t.Fatal("the blocker sees the blocked member's profile")
	}
	if r := bobClient.Do(t, `query($id: ID!) { node(id: $id) { ... on User { blockedMembers { id } } } }`, map[string]any{"id": alice.User.ID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("reading another member's blocks: %s", r.Raw)
	}
	apitest.Must(t, aliceClient.Do(t, `mutation($id: ID!) { unblockMember(input: {memberId: $id}) { member { id } } }`, map[string]any{"id": bob.User.ID}))
	bobClient.Do(t, q, map[string]any{"id": alice.User.ID}).Decode(t, &got)
	if got.Node.Profile == nil {
		t.Fatal("profile still hidden after unblock")
	}
}
