package httpapi_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/relay"
)

// TestStrangersObjectsAnswerAsMissingOnes: for every operation that names an object by id, a
// member acting on another member's private object gets exactly the answer of an id that does
// not exist (same data, same errors: code, message, field, every extension but the request
// id), so no answer tells a stranger that an id exists. node(id:) is one of the operations, once
// per Node type with private objects.
func TestStrangersObjectsAnswerAsMissingOnes(t *testing.T) {
	t.Parallel()
	api := skillsessiontest.StartAPI(t, apitest.Config(t), app.Options{})
	owner, partner, stranger := api.Member(t), api.Member(t), api.Member(t)

	// The owner's private objects.
	var opened struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	apitest.Must(t, owner.C.Do(t, `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`,
		map[string]any{"u": partner.ID})).Decode(t, &opened)
	conv := opened.OpenDirectConversation.Conversation.ID
	var sent struct {
		SendMessage struct{ Message struct{ ID string } }
	}
	apitest.Must(t, owner.C.Do(t, `mutation($c: ID!) { sendMessage(input: {conversationId: $c, clientId: "k1", body: "private"}) { message { id } } }`,
		map[string]any{"c": conv})).Decode(t, &sent)
	msg := sent.SendMessage.Message.ID

	start := api.Clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
	proposed := api.Propose(t, partner, owner, partner, start.Add(24*time.Hour), 60).ID
	done := api.Confirmed(t, owner, partner, start, 60).ID
	api.Clock.Set(start.Add(90 * time.Minute))
	api.MustAct(t, owner, "confirmSessionCompleted", done, nil)
	api.MustAct(t, partner, "confirmSessionCompleted", done, nil)
	var reviewed struct {
		SubmitReview struct{ Review struct{ ID string } }
	}
	apitest.Must(t, owner.C.Do(t, `mutation($s: ID!) { submitReview(input: {sessionId: $s, rating: 5}) { review { id } } }`,
		map[string]any{"s": done})).Decode(t, &reviewed)
	hiddenReview := reviewed.SubmitReview.Review.ID // hidden until the partner reviews

	var own struct {
		Viewer struct {
			Sessions struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		CreditTransactions struct {
			Edges []struct{ Node struct{ ID string } }
		}
		Notifications struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	apitest.Must(t, owner.C.Do(t, `{ viewer { sessions(first: 1) { edges { node { id } } } }
		creditTransactions(first: 1) { edges { node { id } } }
		notifications(first: 1) { edges { node { id } } } }`, nil)).Decode(t, &own)
	if len(own.Viewer.Sessions.Edges) == 0 || len(own.CreditTransactions.Edges) == 0 || len(own.Notifications.Edges) == 0 {
		t.Fatalf("fixtures: the owner lacks a login session, a credit transaction or a notification: %+v", own)
	}
	authSession := own.Viewer.Sessions.Edges[0].Node.ID
	creditTx := own.CreditTransactions.Edges[0].Node.ID
	notification := own.Notifications.Edges[0].Node.ID
	var feed struct {
		CreateCalendarFeed struct{ Feed struct{ ID string } }
	}
	apitest.Must(t, owner.C.Do(t, `mutation { createCalendarFeed { feed { id } } }`, nil)).Decode(t, &feed)
	calendarFeed := feed.CreateCalendarFeed.Feed.ID

	later := start.Add(96 * time.Hour).Format(time.RFC3339)
	mutation := func(op, inputType string) string {
		return `mutation($in: ` + inputType + `!) { ` + op + `(input: $in) { __typename } }`
	}
	in := func(fields map[string]any) func(id string) map[string]any {
		return func(id string) map[string]any {
			m := map[string]any{}
			for k, v := range fields {
				if v == nil {
					m[k] = id
				} else {
					m[k] = v
				}
			}
			return map[string]any{"in": m}
		}
	}
	byID := func(id string) map[string]any { return map[string]any{"id": id} }

	tests := []struct {
		name  string
		query string
		// id is the stranger's object; kind the global-id kind of the missing one.
		id, kind string
		// vars builds the variables around an id (a nil field value stands for the id).
		vars func(id string) map[string]any
	}{
		{"conversation", `query($id: ID!) { conversation(id: $id) { id } }`, conv, relay.KindConversation, byID},
		{"messages", `query($id: ID!) { messages(conversationId: $id) { edges { node { id } } } }`, conv, relay.KindConversation, byID},
		{"sendMessage", mutation("sendMessage", "SendMessageInput"), conv, relay.KindConversation,
			in(map[string]any{"conversationId": nil, "clientId": "s1", "body": "hi"})},
		{"markConversationRead", mutation("markConversationRead", "MarkConversationReadInput"), conv, relay.KindConversation,
			in(map[string]any{"conversationId": nil})},
		{"muteConversation", mutation("muteConversation", "MuteConversationInput"), conv, relay.KindConversation,
			in(map[string]any{"conversationId": nil, "muted": true})},
		{"setTyping", mutation("setTyping", "SetTypingInput"), conv, relay.KindConversation, in(map[string]any{"conversationId": nil})},
		{"editMessage", mutation("editMessage", "EditMessageInput"), msg, relay.KindMessage,
			in(map[string]any{"messageId": nil, "body": "changed"})},
		{"deleteMessage", mutation("deleteMessage", "DeleteMessageInput"), msg, relay.KindMessage, in(map[string]any{"messageId": nil})},
		{"skillSession", `query($id: ID!) { skillSession(id: $id) { id } }`, proposed, relay.KindSkillSession, byID},
		{"acceptSession", mutation("acceptSession", "AcceptSessionInput"), proposed, relay.KindSkillSession, in(map[string]any{"sessionId": nil})},
		{"declineSession", mutation("declineSession", "DeclineSessionInput"), proposed, relay.KindSkillSession, in(map[string]any{"sessionId": nil})},
		{"proposeNewTime", mutation("proposeNewTime", "ProposeNewTimeInput"), proposed, relay.KindSkillSession,
			in(map[string]any{"sessionId": nil, "startsAt": later, "durationMinutes": 60})},
		{"cancelSession", mutation("cancelSession", "CancelSessionInput"), proposed, relay.KindSkillSession, in(map[string]any{"sessionId": nil})},
		{"confirmSessionCompleted", mutation("confirmSessionCompleted", "ConfirmSessionCompletedInput"), done, relay.KindSkillSession,
			in(map[string]any{"sessionId": nil})},
		{"reportNoShow", mutation("reportNoShow", "ReportNoShowInput"), done, relay.KindSkillSession, in(map[string]any{"sessionId": nil})},
		{"reportSessionProblem", mutation("reportSessionProblem", "ReportSessionProblemInput"), done, relay.KindSkillSession,
			in(map[string]any{"sessionId": nil, "note": "it went wrong"})},
		{"submitReview", mutation("submitReview", "SubmitReviewInput"), done, relay.KindSkillSession,
			in(map[string]any{"sessionId": nil, "rating": 1})},
		{"payForSession", mutation("payForSession", "PayForSessionInput"), proposed, relay.KindSkillSession, in(map[string]any{"sessionId": nil})},
		{"contestNoShow", mutation("contestNoShow", "ContestNoShowInput"), done, relay.KindSkillSession,
			in(map[string]any{"sessionId": nil, "note": "I was there"})},
		{"reportReview", mutation("reportReview", "ReportReviewInput"), hiddenReview, relay.KindReview,
			in(map[string]any{"reviewId": nil, "reason": "SPAM"})},
		{"revokeSession", mutation("revokeSession", "RevokeSessionInput"), authSession, relay.KindAuthSession, in(map[string]any{"sessionId": nil})},
		{"markNotificationsRead", `mutation($id: ID!) { markNotificationsRead(input: {ids: [$id]}) { markedCount } }`,
			notification, relay.KindNotification, byID},
		{"markNotificationsRead upTo", `mutation($id: ID!) { markNotificationsRead(input: {upTo: $id}) { markedCount } }`,
			notification, relay.KindNotification, byID},
	}
	for _, n := range []struct{ typ, id, kind string }{
		{"Conversation", conv, relay.KindConversation},
		{"Message", msg, relay.KindMessage},
		{"SkillSession", proposed, relay.KindSkillSession},
		{"Review", hiddenReview, relay.KindReview},
		{"AuthSession", authSession, relay.KindAuthSession},
		{"CreditTransaction", creditTx, relay.KindCreditTransaction},
		{"Notification", notification, relay.KindNotification},
		{"CalendarFeed", calendarFeed, relay.KindCalendarFeed},
	} {
		tests = append(tests, struct {
			name, query, id, kind string
			vars                  func(id string) map[string]any
		}{"node " + n.typ, `query($id: ID!) { node(id: $id) { id } }`, n.id, n.kind, byID})
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, ok := relay.ParseGlobalID(tt.id); !ok {
				t.Fatalf("fixture id %q", tt.id)
			}
			missing := relay.GlobalID(tt.kind, uuid.Must(uuid.NewV7()))
			hidden := comparable(t, stranger.C.Do(t, tt.query, tt.vars(tt.id)))
			absent := comparable(t, stranger.C.Do(t, tt.query, tt.vars(missing)))
			if !reflect.DeepEqual(hidden, absent) {
				t.Fatalf("a stranger's object answers\n  %s\nand a missing one\n  %s", show(hidden), show(absent))
			}
		})
	}

	// The same operations still work for the owner (the fixtures are real), and FORBIDDEN
	// stays for one who can see the object: the partner editing the owner's message.
	r := partner.C.Do(t, mutation("editMessage", "EditMessageInput"), map[string]any{"in": map[string]any{"messageId": msg, "body": "x"}})
	if r.Code() != "FORBIDDEN" {
		t.Fatalf("partner editing the owner's message: %s", r.Raw)
	}
	apitest.Must(t, owner.C.Do(t, `query($id: ID!) { conversation(id: $id) { id } }`, byID(conv)))
}

// comparable is what a response tells a client, minus the request id (unique per request).
func comparable(t *testing.T, r *apitest.Response) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(r.Raw, &out); err != nil {
		t.Fatalf("decode %s: %v", r.Raw, err)
	}
	errs, _ := out["errors"].([]any)
	for _, e := range errs {
		if ext, ok := e.(map[string]any)["extensions"].(map[string]any); ok {
			delete(ext, "requestId")
		}
	}
	out["status"] = r.Status
	return out
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestRolesIncludeWhatTheSchemaSays runs each role-guarded operation as a holder of each role:
// it passes @hasRole exactly when the role includes the one required (enum Role's docs: ADMIN
// includes every role, every role includes MEMBER, no other role includes another).
func TestRolesIncludeWhatTheSchemaSays(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	ops := []struct {
		query    string
		required domain.Role
	}{
		{`{ users(first: 1) { edges { node { id } } } }`, domain.RoleSupport},
		{`{ noShowDisputes(first: 1) { edges { node { status } } } }`, domain.RoleSupport},
		{`{ pendingSkills(first: 1) { edges { node { id } } } }`, domain.RoleModerator},
		{`{ reviewReports(first: 1) { edges { node { id } } } }`, domain.RoleModerator},
		{`mutation { setUserRoles(input: {userId: "usr_nobody", roles: [MEMBER]}) { user { id } } }`, domain.RoleAdmin},
		{`mutation { startMentorOnboarding { url } }`, domain.RoleMentor},
	}
	// includes[held] are the roles a holder of held passes for.
	includes := map[domain.Role][]domain.Role{
		domain.RoleMember:    {domain.RoleMember},
		domain.RoleMentor:    {domain.RoleMember, domain.RoleMentor},
		domain.RoleSupport:   {domain.RoleMember, domain.RoleSupport},
		domain.RoleModerator: {domain.RoleMember, domain.RoleModerator},
		domain.RoleAdmin:     domain.AllRoles,
	}
	for _, held := range domain.AllRoles {
		tok, c := srv.SignUp(t)
		srv.SetRoles(t, tok.User.ID, held)
		for _, op := range ops {
			r := c.Do(t, op.query, nil)
			if r.Code() == "GRAPHQL_VALIDATION_FAILED" {
				t.Fatalf("%s: %s", op.query, r.Raw)
			}
			if want := slices.Contains(includes[held], op.required); (r.Code() != "FORBIDDEN") != want {
				t.Errorf("a %s running %s (needs %s): %s", held, op.query, op.required, r.Raw)
			}
		}
	}
}
