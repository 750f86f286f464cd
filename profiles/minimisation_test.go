package profiles_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/skillswap/skillswap/graph"
	"github.com/skillswap/skillswap/internal/apitest"
)

// What another member sees of a member, field by field (README: "What SkillSwap collects and
// why"). A field added to User or Profile must be put in one of these lists, so nothing
// personal becomes visible to others by default: TestEveryMemberFieldIsClassified fails until it
// is, and TestOthersSeeOnlyWhatMatchingNeeds checks the owner-only ones.

// seenByMembers: fields another member may read, each with why matching, search or trust needs it.
var seenByMembers = map[string]string{
	"User.id":                  "an opaque identifier",
	"User.displayName":         "the name members know each other by (a pseudonym is fine)",
	"User.createdAt":           "\"member since\" for trust; the id (UUIDv7) carries it anyway",
	"User.profile":             "the profile, within its visibility (below)",
	"User.offeredSkills":       "matching and search",
	"User.wantedSkills":        "matching and search",
	"User.rating":              "trust: aggregate of reviews",
	"User.reviews":             "trust: reviews the member received",
	"User.acceptsPaidSessions": "booking: whether paid mentoring is possible",
	"Profile.bio":              "written by the member for others",
	"Profile.avatarUrl":        "chosen by the member for others",
	"Profile.languages":        "matching",
	"Profile.timeZone":         "scheduling: availability is expressed in it",
	"Profile.city":             "coarse place, as the member wrote it (optional)",
	"Profile.country":          "coarse place (optional)",
	"Profile.mode":             "matching: online or in person",
	"Profile.visibility":       "tells the viewer why a profile may disappear",
	"Profile.availability":     "scheduling",
}

// ownerOnly: fields null (or FORBIDDEN) for any other member; selection is what to ask for.
var ownerOnly = map[string]string{
	"User.email":               "email",
	"User.emailVerified":       "emailVerified",
	"User.pendingEmail":        "pendingEmail",
	"User.consentRequired":     "consentRequired",
	"User.consents":            "consents { id }",
	"User.dataExports":         "dataExports { id }",
	"User.marketingConsent":    "marketingConsent",
	"User.roles":               "roles",
	"User.blockedMembers":      "blockedMembers { id }",
	"User.security":            "security { totpEnabled }",
	"User.sessions":            "sessions { edges { node { id } } }",
	"User.payments":            "payments { edges { node { id } } }",
	"User.auditEntries":        "auditEntries { edges { node { action } } }",
	"User.moderationCases":     "moderationCases { edges { node { id } } }",
	"User.sanctions":           "sanctions { id }",
	"User.mentorAccount":       "mentorAccount { chargesEnabled }",
	"User.deletionScheduledAt": "deletionScheduledAt",
	"User.npsSurveyDue":        "npsSurveyDue",
	"Profile.location":         "profile { location { latitude longitude } }",
}

func TestEveryMemberFieldIsClassified(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var missing []string
	for _, typ := range []string{"User", "Profile"} {
		for _, f := range schema.Types[typ].Fields {
			name := typ + "." + f.Name
			_, pub := seenByMembers[name]
			_, priv := ownerOnly[name]
			switch {
			case strings.HasPrefix(f.Name, "__"):
			case pub && priv:
				t.Errorf("%s is both seen by members and owner-only", name)
			case !pub && !priv:
				missing = append(missing, name)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("classify %v: add each to seenByMembers (with why others need it) or to ownerOnly (and make it null or FORBIDDEN for others), and say it in README.md's \"What SkillSwap collects and why\"", missing)
	}
	for name := range ownerOnly {
		typ, field, _ := strings.Cut(name, ".")
		if schema.Types[typ].Fields.ForName(field) == nil {
			t.Errorf("ownerOnly names %s, which the schema does not have", name)
		}
	}
}

// TestOthersSeeOnlyWhatMatchingNeeds: with a full profile (exact coordinates, a payout account
// started...), another member gets null or FORBIDDEN for every owner-only field, and the owner
// gets them.
func TestOthersSeeOnlyWhatMatchingNeeds(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	owner, ownerClient := srv.SignUp(t)
	_, other := srv.SignUp(t)
	apitest.Must(t, ownerClient.Do(t, updateProfile, map[string]any{"in": map[string]any{
		"city": "Lyon", "country": "FR", "location": map[string]any{"latitude": 45.764043, "longitude": 4.835659},
		"visibility": "PUBLIC", "bio": "Hello",
	}}))
	for name, sel := range ownerOnly {
		t.Run(name, func(t *testing.T) {
			q := `query($id: ID!) { node(id: $id) { ... on User { ` + sel + ` } } }`
			res := other.Do(t, q, map[string]any{"id": owner.User.ID})
			if res.Code() != "" {
				if res.Code() != "FORBIDDEN" && res.Code() != "UNAUTHENTICATED" {
					t.Fatalf("another member reading %s: %s", name, res.Raw)
				}
				return
			}
			var got struct{ Node map[string]json.RawMessage }
			res.Decode(t, &got)
			if name == "Profile.location" {
				var p struct{ Location json.RawMessage }
				if err := json.Unmarshal(got.Node["profile"], &p); err != nil {
					t.Fatal(err)
				}
				if string(p.Location) != "null" {
					t.Fatalf("another member sees the exact location: %s", res.Raw)
				}
				return
			}
			for k, v := range got.Node {
				if string(v) != "null" {
					t.Fatalf("another member sees %s = %s", k, v)
				}
			}
		})
	}
	var mine struct {
		Node struct {
			Email   *string
			Profile struct{ Location *struct{ Latitude float64 } }
		}
	}
	ownerClient.Do(t, `query($id: ID!) { node(id: $id) { ... on User { email profile { location { latitude } } } } }`,
		map[string]any{"id": owner.User.ID}).Decode(t, &mine)
	if mine.Node.Email == nil || mine.Node.Profile.Location == nil || mine.Node.Profile.Location.Latitude != 45.764043 {
		t.Fatalf("the owner does not see their own data: %+v", mine.Node)
	}
}
