package resolvers

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/skillswap/skillswap/graph"
)

// idLess lists the object types that have no `id`, each with why: a value, or a part of exactly
// one parent with no identity of its own, which Apollo caches inside that parent
// (`typePolicies` `keyFields: false`, see e2e/README.md). Connections, edges, mutation payloads
// and the root types are recognised by their shape and need no line here. A new object type
// gets an `id: ID!` or a line here (TestEveryObjectTypeHasAnIDOrAReason fails until it does).
var idLess = map[string]string{
	"PageInfo":                "part of its connection",
	"AccountSecurity":         "part of its User (one each), seen by the member only",
	"SignInEvent":             "an entry of its AccountSecurity's history, read whole, never edited or refetched",
	"Money":                   "a value: two equal amounts are interchangeable",
	"GeoPoint":                "a value: a pair of coordinates",
	"AvailabilitySlot":        "part of its Profile, replaced as a list by updateProfile",
	"Profile":                 "part of its User (one each); updateProfile returns the User",
	"MemberRating":            "part of its User, computed from the reviews",
	"CategoryFacet":           "part of one search result: a count",
	"LevelFacet":              "part of one search result: a count",
	"LanguageFacet":           "part of one search result: a count",
	"ModeFacet":               "part of one search result: a count",
	"MemberSearchFacets":      "part of one search result: its counts",
	"MatchReason":             "part of its Match, recomputed with the score",
	"SwapCircle":              "computed afresh per request, never updated by a mutation",
	"SwapCircleEdge":          "part of its SwapCircle",
	"SessionWarning":          "part of a mutation's payload: advice about that write",
	"SessionCancellation":     "part of its SkillSession (at most one)",
	"SessionProblem":          "part of its SkillSession (at most one)",
	"SessionNoShow":           "part of its SkillSession (at most one); its dispute has an id",
	"SessionReviewState":      "part of its SkillSession, seen from the caller",
	"ConversationEvent":       "an event, never stored; its conversation and message have ids",
	"TypingEvent":             "an ephemeral event, never stored",
	"LegalDocuments":          "a value: the server's current document versions",
	"LinkedProvider":          "part of its member (one per provider), returned whole by linkProvider and unlinkProvider",
	"AuditEntry":              "a line of the append-only audit log, never changed, read whole by auditLog",
	"ProductKpis":             "a report computed per request from its arguments, read whole",
	"KpiTargets":              "a value: the product's constant targets",
	"KpiCohort":               "a week's figures inside one report, recomputed by each refresh",
	"NpsScore":                "a value: counts and the score they make",
	"NotificationEmailStatus": "a value: the viewer's email delivery state, replaced whole by its query",
}

// structural reports whether an object type without an id is one whose shape says what it is:
// a root type, a Relay connection or edge, or a mutation's result.
func structural(def *ast.Definition) bool {
	has := func(names ...string) bool {
		for _, n := range names {
			if def.Fields.ForName(n) == nil {
				return false
			}
		}
		return true
	}
	switch {
	case def.Name == "Query" || def.Name == "Mutation" || def.Name == "Subscription":
		return true
	case strings.HasSuffix(def.Name, "Connection"):
		return has("edges", "pageInfo")
	case strings.HasSuffix(def.Name, "Edge"):
		return has("cursor", "node")
	case strings.HasSuffix(def.Name, "Payload"):
		return true
	}
	return false
}

// TestEveryObjectTypeHasAnIDOrAReason keeps the schema cacheable by clients that normalise by
// `__typename` + `id` (Apollo Client): every object type has an `id: ID!`, or is structural, or
// is listed in idLess with its reason and says in its description that it has no id.
func TestEveryObjectTypeHasAnIDOrAReason(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for name, def := range schema.Types {
		if def.Kind != ast.Object || def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		reason, listed := idLess[name]
		if id := def.Fields.ForName("id"); id != nil {
			if id.Type.String() != "ID!" {
				t.Errorf("%s.id is %s, want ID!", name, id.Type)
			}
			if listed {
				t.Errorf("%s has an id but is listed in idLess (%q): remove the line", name, reason)
			}
			continue
		}
		switch {
		case listed:
			if !strings.Contains(def.Description, "no id") {
				t.Errorf("%s has no id (%s) but its description does not say so (\"... has no id; Apollo caches it inside its parent ...\")", name, reason)
			}
		case !structural(def):
			t.Errorf("object type %s has no id: add `id: ID!` (stable, opaque; see relay.GlobalID) or, for a value or a part of one parent, a line in idLess and a note in its description", name)
		}
	}
	for name := range idLess {
		if def := schema.Types[name]; def == nil || def.Kind != ast.Object {
			t.Errorf("idLess names %s, which is not an object type of the schema", name)
		}
	}
}

// TestAppTypePoliciesListTheIDLessTypes keeps the typePolicies recommended to the apps
// (e2e/lib/typepolicies.js, shown in e2e/README.md) in step with idLess: a type without an id
// that Apollo is not told about would be cached without a merge rule.
func TestAppTypePoliciesListTheIDLessTypes(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../e2e/lib/typepolicies.js")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile(`(?s)export const (?:PART|VALUE)_TYPES = \[(.*?)\];`).FindAllSubmatch(src, -1) {
		for _, n := range regexp.MustCompile(`'(\w+)'`).FindAllSubmatch(m[1], -1) {
			listed = append(listed, string(n[1]))
		}
	}
	var want []string
	for name := range idLess {
		want = append(want, name)
	}
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Fatalf("e2e/lib/typepolicies.js lists %v, idLess %v: update both (and e2e/README.md)", listed, want)
	}
}
