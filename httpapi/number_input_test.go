package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/relay"
)

// TestNumberInputsAreRangeChecked sends extreme values to every Int, Float and DateTime
// argument and input field of the schema: each is BAD_USER_INPUT naming the field, whether the
// bound is universal (32-bit Int, finite Float, DateTime in 1970..9999: gqlscalar) or the
// service's (page sizes, ratings, durations, coordinates, amounts), and never
// INTERNAL_SERVER_ERROR. Before, NaN reached PostgreSQL, 1e-320 underflowed in SQL, a start in
// year 10000 failed to encode and 2^40 minutes passed the maximum duration.
func TestNumberInputsAreRangeChecked(t *testing.T) {
	t.Parallel()
	api := skillsessiontest.StartAPI(t, apitest.Config(t), app.Options{})
	srv := api.Srv
	a, b := api.Member(t), api.Member(t)
	srv.SetRoles(t, a.ID, domain.RoleMentor, domain.RoleAdmin)
	apitest.Must(t, a.C.Do(t, `mutation($s: ID!) { addMemberSkill(input: {skillId: $s, kind: OFFER, level: EXPERT}) { memberSkill { id } } }`,
		map[string]any{"s": api.Skill}))
	apitest.Must(t, a.C.Do(t, `mutation { updateProfile(input: {location: {latitude: 48.85, longitude: 2.35}}) { user { id } } }`, nil))
	session := api.Propose(t, a, a, b, api.Clock.Now().Add(48*time.Hour), 60)
	var conv struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	apitest.Must(t, a.C.Do(t, `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`,
		map[string]any{"u": b.ID})).Decode(t, &conv)
	conversation := conv.OpenDirectConversation.Conversation.ID

	// Values no Int, Float or DateTime input accepts, whatever the field.
	badInts := []any{json.Number("2147483648"), json.Number("-2147483649"), json.Number("9223372036854775807")}
	badFloats := []any{"NaN", "Infinity", "-Infinity", "-Inf"}
	badDates := []any{"0000-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59"}
	later := api.Clock.Now().Add(72 * time.Hour).Format(time.RFC3339)

	type arg struct {
		query string // takes $v
		field string
		// domain holds values in the scalar's range that the field's own rule refuses.
		domain []any
	}
	page := func(q string) arg {
		return arg{q, "first", []any{0, -1, 101, 2147483647}}
	}
	ints := []arg{
		page(`query($v: Int) { users(first: $v) { edges { node { id } } } }`),
		page(`query($v: Int) { conversations(first: $v) { edges { node { id } } } }`),
		page(`query($v: Int) { messages(conversationId: "` + conversation + `", first: $v) { edges { node { id } } } }`),
		page(`query($v: Int) { creditTransactions(first: $v) { edges { node { id } } } }`),
		page(`query($v: Int) { searchSkills(text: "pot", first: $v) { edges { node { id } } } }`),
		page(`query($v: Int) { searchMembers(first: $v) { totalCount } }`),
		page(`query($v: Int) { matches(first: $v) { edges { node { score } } } }`),
		page(`query($v: Int) { swapCircles(first: $v) { members { id } } }`),
		page(`query($v: Int) { notifications(first: $v) { edges { node { id } } } }`),
		page(`query($v: Int) { noShowDisputes(first: $v) { edges { cursor } } }`),
		page(`query($v: Int) { upcomingSessions(first: $v) { edges { node { id } } } }`),
		page(`query($v: Int) { pastSessions(first: $v) { edges { node { id } } } }`),
		page(`query($v: Int) { pendingSkills(first: $v) { edges { node { id } } } }`),
		page(`query($v: Int) { reviewReports(first: $v) { edges { node { id } } } }`),
		page(`query($v: Int) { viewer { sessions(first: $v) { edges { node { id } } } } }`),
		page(`query($v: Int) { viewer { payments(first: $v) { edges { node { id } } } } }`),
		page(`query($v: Int) { viewer { reviews(first: $v) { edges { node { id } } } } }`),
		{`mutation($v: Int!) { updateProfile(input: {availability: [{weekday: $v, start: "09:00", end: "10:00"}]}) { user { id } } }`,
			"input.availability.0.weekday", []any{0, 8, -2147483648}},
		{`mutation($v: Int) { updateMemberSkill(input: {skillId: "` + api.Skill + `", level: EXPERT, yearsOfPractice: $v}) { memberSkill { id } } }`,
			"input.yearsOfPractice", []any{-1, 81, 2147483647}},
		{`mutation($v: Int) { markConversationRead(input: {conversationId: "` + conversation + `", seq: $v}) { conversation { id } } }`,
			"input.seq", []any{-1, -2147483648}},
		{`mutation($v: Int!) { proposeSession(input: {skillId: "` + api.Skill + `", teacherId: "` + a.ID + `", learnerId: "` + b.ID + `",
			startsAt: "` + later + `", durationMinutes: $v, mode: ONLINE, meetingUrl: "https://meet.example.com/x"}) { session { id } } }`,
			"input.durationMinutes", []any{0, -1, 241, 2147483647}},
		{`mutation($v: Int!) { proposeNewTime(input: {sessionId: "` + session.ID + `", startsAt: "` + later + `", durationMinutes: $v}) { session { id } } }`,
			"input.durationMinutes", []any{0, 241, 2147483647}},
		{`mutation($v: Int!) { submitReview(input: {sessionId: "` + session.ID + `", rating: $v}) { review { id } } }`,
			"input.rating", []any{0, 6, -2147483648}},
		{`mutation($v: Int!) { setSkillPrice(input: {skillId: "` + api.Skill + `", hourlyPrice: {amountMinor: $v, currency: "EUR"}}) { memberSkill { id } } }`,
			"input.hourlyPrice.amountMinor", []any{0, -1, 1_000_001, 2147483647}},
		{`mutation($v: Int) { refundPayment(input: {paymentId: "` + relay.GlobalID(relay.KindPayment, uuid.Must(uuid.NewV7())) + `", amountMinor: $v, reason: "r", requestId: "0190a0a0-0000-7000-8000-000000000000"}) { payment { id } } }`,
			"input.amountMinor", []any{0, -2147483648}},
	}
	floats := []arg{
		{`query($v: Float!) { searchMembers(filter: {near: {latitude: $v, longitude: 2, radiusKm: 10}}) { totalCount } }`,
			"filter.near.latitude", []any{90.0001, -91, 1e308}},
		{`query($v: Float!) { searchMembers(filter: {near: {latitude: 2, longitude: $v, radiusKm: 10}}) { totalCount } }`,
			"filter.near.longitude", []any{180.5, -1e308}},
		{`query($v: Float!) { searchMembers(filter: {near: {latitude: 2, longitude: 2, radiusKm: $v}}) { totalCount } }`,
			"filter.near.radiusKm", []any{0, -1, 500.01, json.Number("1e-320"), json.Number("-1e-320")}},
		{`query($v: Float) { matches(filter: {maxDistanceKm: $v}) { edges { node { score } } } }`,
			"filter.maxDistanceKm", []any{0, -5, 20041, json.Number("1e-320")}},
		{`mutation($v: Float!) { updateProfile(input: {location: {latitude: $v, longitude: 2}}) { user { id } } }`,
			"input.location.latitude", []any{-90.5, 1e300}},
		{`mutation($v: Float!) { updateProfile(input: {location: {latitude: 2, longitude: $v}}) { user { id } } }`,
			"input.location.longitude", []any{180.0001, -1e300}},
	}
	dates := []arg{
		{`query($v: DateTime) { searchMembers(filter: {availableAt: $v}) { totalCount } }`, "filter.availableAt", nil},
		{`mutation($v: DateTime) { muteConversation(input: {conversationId: "` + conversation + `", muted: true, until: $v}) { conversation { id } } }`,
			"input.until", []any{"2000-01-01T00:00:00Z"}},
		{`mutation($v: DateTime!) { proposeSession(input: {skillId: "` + api.Skill + `", teacherId: "` + a.ID + `", learnerId: "` + b.ID + `",
			startsAt: $v, durationMinutes: 60, mode: ONLINE, meetingUrl: "https://meet.example.com/x"}) { session { id } } }`,
			"input.startsAt", []any{"9999-12-31T23:59:59Z", "2000-01-01T00:00:00Z", api.Clock.Now().AddDate(1, 1, 0).Format(time.RFC3339)}},
		{`mutation($v: DateTime!) { proposeNewTime(input: {sessionId: "` + session.ID + `", startsAt: $v, durationMinutes: 60}) { session { id } } }`,
			"input.startsAt", []any{"9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z"}},
	}

	type tc struct {
		query string
		value any
		field string
	}
	var cases []tc
	add := func(args []arg, universal []any) {
		for _, ar := range args {
			for _, v := range append(append([]any{}, universal...), ar.domain...) {
				cases = append(cases, tc{ar.query, v, ar.field})
			}
		}
	}
	add(ints, badInts)
	add(floats, badFloats)
	add(dates, badDates)
	for _, c := range cases {
		name := fmt.Sprintf("%s = %v", c.field, c.value)
		r := a.C.Do(t, c.query, map[string]any{"v": c.value})
		if r.Code() != "BAD_USER_INPUT" || r.Field() != c.field {
			t.Errorf("%s in %.70s...: code %q field %q, want BAD_USER_INPUT %q: %s", name, strings.Join(strings.Fields(c.query), " "), r.Code(), r.Field(), c.field, r.Raw)
		}
	}

	// Literals in the document: one that is no 32-bit Int fails validation (the spec's rule,
	// checked by gqlparser), like a variable that is no integer at all; both are request errors.
	requestErrors := []struct {
		query string
		vars  map[string]any
	}{
		{`{ conversations(first: 2147483648) { edges { cursor } } }`, nil},
		{`{ conversations(first: 99999999999999999999999) { edges { cursor } } }`, nil},
		{`{ searchMembers(filter: {near: {latitude: 1e400, longitude: 2, radiusKm: 1}}) { totalCount } }`, nil},
		{`query($v: Int) { conversations(first: $v) { edges { cursor } } }`, map[string]any{"v": json.Number("99999999999999999999")}},
		{`query($v: Int) { conversations(first: $v) { edges { cursor } } }`, map[string]any{"v": 1.5}},
		{`query($v: Float!) { searchMembers(filter: {near: {latitude: $v, longitude: 2, radiusKm: 1}}) { totalCount } }`, map[string]any{"v": json.Number("1e400")}},
	}
	for _, c := range requestErrors {
		r := a.C.Do(t, c.query, c.vars)
		if code := r.Code(); code != "GRAPHQL_VALIDATION_FAILED" && code != "BAD_USER_INPUT" {
			t.Errorf("%s %v: code %q, want a validation error or BAD_USER_INPUT: %s", c.query, c.vars, code, r.Raw)
		}
	}

	// In range, the same inputs work: the bounds refuse only what is out of them.
	apitest.Must(t, a.C.Do(t, `query($v: Float!) { searchMembers(filter: {near: {latitude: $v, longitude: -180, radiusKm: 500}}) { totalCount } }`,
		map[string]any{"v": json.Number("1e-320")}))
	apitest.Must(t, a.C.Do(t, `query($v: DateTime) { searchMembers(filter: {availableAt: $v}) { totalCount } }`,
		map[string]any{"v": "9999-12-31T23:59:59Z"}))
	apitest.Must(t, a.C.Do(t, `mutation($v: Int!) { proposeNewTime(input: {sessionId: "`+session.ID+`", startsAt: "`+later+`", durationMinutes: $v}) { session { id } } }`,
		map[string]any{"v": 90}))
}

// TestSubscriptionAfterSeqIsRangeChecked: messageAdded's afterSeq is an Int like the others.
func TestSubscriptionAfterSeqIsRangeChecked(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tokA, a := srv.SignUp(t)
	tokB, _ := srv.SignUp(t)
	var conv struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	apitest.Must(t, a.Do(t, `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`,
		map[string]any{"u": tokB.User.ID})).Decode(t, &conv)
	ws := srv.Connect(t, "graphql-transport-ws", tokA.AccessToken)
	const sub = `subscription($c: ID!, $s: Int) { messageAdded(conversationId: $c, afterSeq: $s) { id } }`
	for i, v := range []any{json.Number("2147483648"), -1, 5} {
		id := fmt.Sprint("s", i)
		ws.Subscribe(id, sub, map[string]any{"c": conv.OpenDirectConversation.Conversation.ID, "s": v})
		// An argument error is a field error: gqlgen sends it in a `next` result (then `complete`).
		m := ws.Expect("next")
		var res struct{ Errors []apitest.Error }
		if err := json.Unmarshal(m.Payload, &res); err != nil || len(res.Errors) == 0 {
			t.Fatalf("afterSeq %v: payload %s: %v", v, m.Payload, err)
		}
		errs := res.Errors
		ws.Expect("complete")
		if code, field := errs[0].Extensions["code"], errs[0].Extensions["field"]; m.ID != id || code != "BAD_USER_INPUT" || field != "afterSeq" {
			t.Errorf("afterSeq %v: %s %s, want BAD_USER_INPUT on afterSeq", v, m.ID, m.Payload)
		}
	}
}
