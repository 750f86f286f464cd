package moderation_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

const (
	imposeMutation = `mutation($in: ImposeSanctionInput!) { imposeSanction(input: $in) { sanction {
		id kind statementOfReasons endsAt active contentId imposedBy { id } member { id } } } }`
	appealMutation = `mutation($in: AppealSanctionInput!) { appealSanction(input: $in) { appeal { id state } } }`
	decideMutation = `mutation($in: DecideAppealInput!) { decideAppeal(input: $in) { appeal { id state decisionReasons } } }`
	liftMutation   = `mutation($id: ID!, $reason: String!) { liftSanction(id: $id, reason: $reason) { sanction { id active liftedAt } } }`
	messageAppeal  = `mutation($id: ID!, $text: String!) { addAppealMessage(appealId: $id, text: $text) { message { id fromModerator text } } }`
)

type sanctionNode struct {
	ID, Kind, StatementOfReasons string
	EndsAt                       *time.Time
	Active                       bool
	ContentID                    *string
	ImposedBy, Member            *struct{ ID string }
	Appeal                       *struct {
		ID, State string
		Messages  []struct {
			FromModerator bool
			Text          string
		}
	}
}

func impose(t *testing.T, by skillsessiontest.Member, in map[string]any) *apitest.Response {
	t.Helper()
	if _, ok := in["statementOfReasons"]; !ok {
		in["statementOfReasons"] = "You broke rule 3."
	}
	return by.C.Do(t, imposeMutation, map[string]any{"in": in})
}

func mustImpose(t *testing.T, by skillsessiontest.Member, in map[string]any) sanctionNode {
	t.Helper()
	var out struct {
		ImposeSanction struct{ Sanction sanctionNode }
	}
	apitest.Must(t, impose(t, by, in)).Decode(t, &out)
	return out.ImposeSanction.Sanction
}

func appeal(t *testing.T, m skillsessiontest.Member, sanctionID string) *apitest.Response {
	t.Helper()
	return m.C.Do(t, appealMutation, map[string]any{"in": map[string]any{"sanctionId": sanctionID, "text": "It was a joke between friends."}})
}

func appealID(t *testing.T, r *apitest.Response) string {
	t.Helper()
	var out struct {
		AppealSanction struct{ Appeal struct{ ID string } }
	}
	apitest.Must(t, r).Decode(t, &out)
	return out.AppealSanction.Appeal.ID
}

func mySanctions(t *testing.T, m skillsessiontest.Member) []sanctionNode {
	t.Helper()
	var out struct {
		MySanctions struct{ Edges []struct{ Node sanctionNode } }
	}
	apitest.Must(t, m.C.Do(t, `{ mySanctions(first: 20) { edges { node { id kind statementOfReasons endsAt active contentId
		imposedBy { id } member { id } appeal { id state messages { fromModerator text } } } } } }`, nil)).Decode(t, &out)
	var nodes []sanctionNode
	for _, e := range out.MySanctions.Edges {
		nodes = append(nodes, e.Node)
	}
	return nodes
}

func uuidOf(t *testing.T, gid string) string {
	t.Helper()
	_, id, ok := relay.ParseGlobalID(gid)
	if !ok {
		t.Fatalf("not a global id: %q", gid)
	}
	return id.String()
}

// TestSanctionsAuthorization is the matrix of every new operation × role: anonymous, the
// member concerned, another member, a MODERATOR, an ADMIN.
func TestSanctionsAuthorization(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	mod2 := w.api.Member(t)
	w.api.Srv.SetRoles(t, mod2.ID, domain.RoleModerator)
	warn := mustImpose(t, w.mod, map[string]any{"userId": w.learner.ID, "kind": "WARNING"})
	ap := appealID(t, appeal(t, w.learner, warn.ID))
	warn2 := mustImpose(t, w.mod, map[string]any{"userId": w.learner.ID, "kind": "WARNING"})
	anon := skillsessiontest.Member{C: w.api.Srv.Client()}

	type op struct {
		name string
		run  func(m skillsessiontest.Member) *apitest.Response
	}
	ops := []op{
		{"imposeSanction", func(m skillsessiontest.Member) *apitest.Response {
			return impose(t, m, map[string]any{"userId": w.teacher.ID, "kind": "WARNING"})
		}},
		{"liftSanction", func(m skillsessiontest.Member) *apitest.Response {
			// A warning is never in force: CONFLICT is as far as an authorised caller gets.
			return m.C.Do(t, liftMutation, map[string]any{"id": warn.ID, "reason": "x"})
		}},
		{"appealSanction", func(m skillsessiontest.Member) *apitest.Response { return appeal(t, m, warn2.ID) }},
		{"addAppealMessage", func(m skillsessiontest.Member) *apitest.Response {
			return m.C.Do(t, messageAppeal, map[string]any{"id": ap, "text": "Any news?"})
		}},
		{"decideAppeal", func(m skillsessiontest.Member) *apitest.Response {
			// An unknown appeal: an authorised caller gets NOT_FOUND, never a decision.
			return m.C.Do(t, decideMutation, map[string]any{"in": map[string]any{"appealId": relay.GlobalID(relay.KindAppeal, [16]byte{1}), "decision": "UPHELD", "reasons": "x"}})
		}},
		{"mySanctions", func(m skillsessiontest.Member) *apitest.Response {
			return m.C.Do(t, `{ mySanctions { edges { node { id } } } }`, nil)
		}},
		{"moderationAppeals", func(m skillsessiontest.Member) *apitest.Response {
			return m.C.Do(t, `{ moderationAppeals { edges { node { id } } } }`, nil)
		}},
		{"User.sanctions", func(m skillsessiontest.Member) *apitest.Response {
			return m.C.Do(t, `query($id: ID!) { node(id: $id) { ... on User { sanctions { id } } } }`, map[string]any{"id": w.learner.ID})
		}},
	}
	roles := []struct {
		name string
		m    skillsessiontest.Member
		want map[string]string // operation -> code ("" success)
	}{
		{"anonymous", anon, map[string]string{"imposeSanction": "UNAUTHENTICATED", "liftSanction": "UNAUTHENTICATED",
			"appealSanction": "UNAUTHENTICATED", "addAppealMessage": "UNAUTHENTICATED", "decideAppeal": "UNAUTHENTICATED",
			"mySanctions": "UNAUTHENTICATED", "moderationAppeals": "UNAUTHENTICATED", "User.sanctions": "UNAUTHENTICATED"}},
		{"the member", w.learner, map[string]string{"imposeSanction": "FORBIDDEN", "liftSanction": "FORBIDDEN",
			"appealSanction": "", "addAppealMessage": "", "decideAppeal": "FORBIDDEN",
			"mySanctions": "", "moderationAppeals": "FORBIDDEN", "User.sanctions": "FORBIDDEN"}},
		{"another member", w.outsider, map[string]string{"imposeSanction": "FORBIDDEN", "liftSanction": "FORBIDDEN",
			"appealSanction": "NOT_FOUND", "addAppealMessage": "NOT_FOUND", "decideAppeal": "FORBIDDEN",
			"mySanctions": "", "moderationAppeals": "FORBIDDEN", "User.sanctions": "FORBIDDEN"}},
		{"the imposing MODERATOR", w.mod, map[string]string{"imposeSanction": "", "liftSanction": "CONFLICT",
			"appealSanction": "NOT_FOUND", "addAppealMessage": "FORBIDDEN", "decideAppeal": "NOT_FOUND",
			"mySanctions": "", "moderationAppeals": "", "User.sanctions": ""}},
		{"another MODERATOR", mod2, map[string]string{"imposeSanction": "", "liftSanction": "CONFLICT",
			"appealSanction": "NOT_FOUND", "addAppealMessage": "", "decideAppeal": "NOT_FOUND",
			"mySanctions": "", "moderationAppeals": "", "User.sanctions": ""}},
		{"ADMIN", w.admin, map[string]string{"imposeSanction": "", "liftSanction": "CONFLICT",
			"appealSanction": "NOT_FOUND", "addAppealMessage": "", "decideAppeal": "NOT_FOUND",
			"mySanctions": "", "moderationAppeals": "", "User.sanctions": ""}},
	}
	for _, role := range roles {
		for _, o := range ops {
			want := role.want[o.name]
			r := o.run(role.m)
			if got := r.Code(); got != want {
				t.Errorf("%s × %s: code %q, want %q: %s", o.name, role.name, got, want, r.Raw)
			}
		}
	}
	// SUPPORT is not a moderator.
	if r := impose(t, w.support, map[string]any{"userId": w.teacher.ID, "kind": "WARNING"}); r.Code() != "FORBIDDEN" {
		t.Errorf("SUPPORT imposes: %s", r.Raw)
	}
	// A moderator cannot sanction an ADMIN, nor themself.
	if r := impose(t, w.mod, map[string]any{"userId": w.admin.ID, "kind": "WARNING"}); r.Code() != "FORBIDDEN" {
		t.Errorf("moderator sanctions an ADMIN: %s", r.Raw)
	}
	if r := impose(t, w.mod, map[string]any{"userId": w.mod.ID, "kind": "WARNING"}); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.userId" {
		t.Errorf("moderator sanctions themself: %s", r.Raw)
	}
	// Input errors name their field.
	for _, c := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"userId": w.teacher.ID, "kind": "SUSPENSION"}, "input.durationHours"},
		{map[string]any{"userId": w.teacher.ID, "kind": "WARNING", "durationHours": 3}, "input.durationHours"},
		{map[string]any{"userId": w.teacher.ID, "kind": "LIMIT", "durationHours": 9000}, "input.durationHours"},
		{map[string]any{"userId": w.teacher.ID, "kind": "WARNING", "statementOfReasons": " "}, "input.statementOfReasons"},
		{map[string]any{"userId": w.teacher.ID, "kind": "CONTENT_REMOVAL"}, "input.contentId"},
		{map[string]any{"userId": w.teacher.ID, "kind": "CONTENT_REMOVAL", "contentType": "MESSAGE", "contentId": w.message}, "input.contentId"},
	} {
		if r := impose(t, w.mod, c.in); r.Code() != "BAD_USER_INPUT" || r.Field() != c.field {
			t.Errorf("%v: %s", c.in, r.Raw)
		}
	}
}

// TestSuspension: a suspension revokes the member's sessions and closes their live socket, hides
// them from matches and searchMembers at once, cancels their upcoming sessions with the partner
// notified, refuses an appeal decided by the imposing moderator, and an overturn by another
// moderator restores the account. Each staff action is audited.
func TestSuspension(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RunWorkers = true // the search index is kept by jobs
	api := skillsessiontest.StartAPI(t, cfg, domainOpts())
	teacher, learner, mod, mod2 := api.Member(t), api.Member(t), api.Member(t), api.Member(t)
	api.Srv.SetRoles(t, mod.ID, domain.RoleModerator)
	api.Srv.SetRoles(t, mod2.ID, domain.RoleModerator)
	for _, m := range []struct {
		who  skillsessiontest.Member
		kind string
	}{{teacher, "OFFER"}, {learner, "WANT"}} {
		apitest.Must(t, m.who.C.Do(t, `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { id } } }`,
			map[string]any{"in": map[string]any{"timeZone": "Europe/Paris"}}))
		apitest.Must(t, m.who.C.Do(t, `mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { user { id } } }`,
			map[string]any{"in": map[string]any{"skillId": api.Skill, "kind": m.kind, "level": "INTERMEDIATE"}}))
	}
	upcoming := api.Confirmed(t, teacher, learner, api.Clock.Now().Add(72*time.Hour).Truncate(time.Minute), 60)
	visible := func() (inMatches, inSearch bool) {
		var m struct {
			Matches struct {
				Edges []struct {
					Node struct{ User struct{ ID string } }
				}
			}
		}
		apitest.Must(t, learner.C.Do(t, `{ matches(first: 50) { edges { node { user { id } } } } }`, nil)).Decode(t, &m)
		for _, e := range m.Matches.Edges {
			inMatches = inMatches || e.Node.User.ID == teacher.ID
		}
		var s struct {
			SearchMembers struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		apitest.Must(t, learner.C.Do(t, `query($f: MemberSearchFilter) { searchMembers(filter: $f, first: 50) { edges { node { id } } } }`,
			map[string]any{"f": map[string]any{"skillId": api.Skill, "kind": "OFFER"}})).Decode(t, &s)
		for _, e := range s.SearchMembers.Edges {
			inSearch = inSearch || e.Node.ID == teacher.ID
		}
		return
	}
	waitVisible := func(when string) {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			m, s := visible()
			if m && s {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: in matches %v, in search %v", when, m, s)
			}
		}
	}
	waitVisible("before")

	ws := api.Srv.Connect(t, "graphql-transport-ws", teacher.C.Token)
	ws.Subscribe("1", `subscription { viewerUpdated { id } }`, nil)
	sus := mustImpose(t, mod, map[string]any{"userId": teacher.ID, "kind": "SUSPENSION", "durationHours": 48,
		"statementOfReasons": "Repeated harassment of other members."})
	if !sus.Active || sus.EndsAt == nil || sus.ImposedBy == nil || sus.ImposedBy.ID != mod.ID || sus.Member.ID != teacher.ID {
		t.Fatalf("suspension: %+v", sus)
	}
	ws.ExpectClose(4403, 15*time.Second)
	if r := teacher.C.Do(t, `{ viewer { id } }`, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("token after suspension: %s", r.Raw)
	}
	if m, s := visible(); m || s {
		t.Fatalf("right after the suspension: in matches %v, in search %v", m, s)
	}
	// The upcoming session is cancelled by a job committed with the suspension.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got := api.Get(t, learner, upcoming.ID)
		if got.State == "CANCELLED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upcoming session after the suspension: %s", got.State)
		}
	}
	var feed struct {
		Notifications struct {
			Edges []struct{ Node struct{ Type string } }
		}
	}
	apitest.Must(t, learner.C.Do(t, `{ notifications(first: 20) { edges { node { type } } } }`, nil)).Decode(t, &feed)
	if !strings.Contains(fmtTypes(feed.Notifications.Edges), "SESSION_CANCELLED") {
		t.Errorf("partner not told of the cancellation: %+v", feed)
	}
	userTarget := apitest.AuditTarget(t, "user", teacher.ID)
	api.Srv.AssertAudited(t, userTarget, "moderation.sanction.impose", mod.ID,
		`{"sanction":"`+uuidOf(t, sus.ID)+`","kind":"SUSPENSION","endsAt":"`+sus.EndsAt.UTC().Format(time.RFC3339)+`"}`)

	// The suspended member cannot sign in again; they appeal through the emailed link instead.
	if r := logIn(t, api, teacher); r.Code() != "FORBIDDEN" {
		t.Fatalf("log in while suspended: %s", r.Raw)
	}
	link := api.Srv.App.Moderation.AppealLink(sanctionOf(t, api, sus.ID))
	tok := link[strings.Index(link, "token=")+len("token="):]
	page := func(method, token, text string) (int, string) {
		var req *http.Request
		if method == http.MethodGet {
			req, _ = http.NewRequest(method, api.Srv.URL+"/appeal-sanction?token="+url.QueryEscape(token), nil)
		} else {
			form := url.Values{"token": {token}, "text": {text}}
			req, _ = http.NewRequest(method, api.Srv.URL+"/appeal-sanction", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := page(http.MethodGet, tok, ""); code != http.StatusOK || !strings.Contains(body, "<textarea") {
		t.Fatalf("appeal page: %d %s", code, body)
	}
	if code, _ := page(http.MethodPost, tok[:len(tok)-2]+"AA", "let me back"); code != http.StatusBadRequest {
		t.Fatalf("tampered link: %d", code)
	}
	if code, body := page(http.MethodPost, tok, "I apologise; it will not happen again."); code != http.StatusOK || !strings.Contains(body, "appeal was sent") {
		t.Fatalf("appeal through the page: %d %s", code, body)
	}
	// Once appealed, the link writes in the appeal's thread (the member cannot sign in to).
	if code, body := page(http.MethodPost, tok, "I have apologised to the member, too."); code != http.StatusOK || !strings.Contains(body, "message was added") {
		t.Fatalf("second post through the page: %d %s", code, body)
	}
	a := sanctionAppeal(t, api, sus.ID)
	apGID := relay.GlobalID(relay.KindAppeal, a.ID)

	// The open appeals queue, oldest first.
	var q struct {
		ModerationAppeals struct {
			Edges []struct {
				Node struct{ ID, State, Text string }
			}
		}
	}
	apitest.Must(t, mod2.C.Do(t, `{ moderationAppeals(first: 10) { edges { node { id state text } } } }`, nil)).Decode(t, &q)
	if len(q.ModerationAppeals.Edges) != 1 || q.ModerationAppeals.Edges[0].Node.ID != apGID {
		t.Fatalf("appeal queue: %+v", q)
	}
	// The imposing moderator can neither decide nor write in it.
	decide := func(m skillsessiontest.Member, decision string) *apitest.Response {
		return m.C.Do(t, decideMutation, map[string]any{"in": map[string]any{"appealId": apGID, "decision": decision, "reasons": "Reviewed the evidence again."}})
	}
	if r := decide(mod, "OVERTURNED"); r.Code() != "FORBIDDEN" {
		t.Fatalf("the imposing moderator decides the appeal: %s", r.Raw)
	}
	var posted struct {
		AddAppealMessage struct{ Message struct{ ID string } }
	}
	apitest.Must(t, mod2.C.Do(t, messageAppeal, map[string]any{"id": apGID, "text": "Did you contact the member since?"})).Decode(t, &posted)
	api.Srv.AssertAudited(t, userTarget, "moderation.appeal.message", mod2.ID,
		`{"appeal":"`+a.ID.String()+`","message":"`+uuidOf(t, posted.AddAppealMessage.Message.ID)+`"}`)

	apitest.Must(t, decide(mod2, "OVERTURNED"))
	if r := decide(mod2, "UPHELD"); r.Code() != "CONFLICT" {
		t.Errorf("second decision: %s", r.Raw)
	}
	api.Srv.AssertAudited(t, userTarget, "moderation.appeal.decide", mod2.ID,
		`{"appeal":"`+a.ID.String()+`","sanction":"`+uuidOf(t, sus.ID)+`","decision":"OVERTURNED"}`)
	// Restored: the member signs in, is found again and reads the whole story.
	back := signIn(t, api, teacher)
	waitVisible("after the overturn")
	got := mySanctions(t, back)
	if len(got) != 1 || got[0].Active || got[0].Appeal == nil || got[0].Appeal.State != "OVERTURNED" ||
		got[0].ImposedBy != nil || got[0].Member != nil || len(got[0].Appeal.Messages) != 2 ||
		got[0].Appeal.Messages[0].FromModerator || !got[0].Appeal.Messages[1].FromModerator {
		t.Fatalf("member's view: %+v", got)
	}
}

// TestSuspensionEndsAndBan: a suspension ends by itself at its end; lifting a ban early
// restores the account; User.sanctions lists a member's sanctions for staff in one query.
func TestSuspensionEndsAndBan(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	api := skillsessiontest.StartAPI(t, cfg, domainOpts())
	member, mod := api.Member(t), api.Member(t)
	api.Srv.SetRoles(t, mod.ID, domain.RoleModerator)
	sus := mustImpose(t, mod, map[string]any{"userId": member.ID, "kind": "SUSPENSION", "durationHours": 24})
	status := func() domain.UserStatus {
		u, err := api.Srv.App.Store.Q().UsersByIDs(context.Background(), []uuidT{parseUUID(t, member.ID)})
		if err != nil {
			t.Fatal(err)
		}
		return u[parseUUID(t, member.ID)].Status
	}
	ctx := context.Background()
	if left, err := api.Srv.App.Moderation.EndSuspension(ctx, parseUUID(t, sus.ID)); err != nil || left <= 0 || status() != domain.UserSuspended {
		t.Fatalf("before its end: left %v, %v, %s", left, err, status())
	}
	api.Clock.Advance(25 * time.Hour)
	if left, err := api.Srv.App.Moderation.EndSuspension(ctx, parseUUID(t, sus.ID)); err != nil || left != 0 || status() != domain.UserActive {
		t.Fatalf("after its end: left %v, %v, %s", left, err, status())
	}
	ban := mustImpose(t, mod, map[string]any{"userId": member.ID, "kind": "BAN"})
	if ban.EndsAt != nil || status() != domain.UserSuspended {
		t.Fatalf("ban: %+v %s", ban, status())
	}
	if r := mod.C.Do(t, liftMutation, map[string]any{"id": ban.ID, "reason": ""}); r.Code() != "BAD_USER_INPUT" || r.Field() != "reason" {
		t.Errorf("lift without a reason: %s", r.Raw)
	}
	apitest.Must(t, mod.C.Do(t, liftMutation, map[string]any{"id": ban.ID, "reason": "Identity theft: the real owner proved it."}))
	if status() != domain.UserActive {
		t.Fatalf("after lifting the ban: %s", status())
	}
	if r := mod.C.Do(t, liftMutation, map[string]any{"id": ban.ID, "reason": "again"}); r.Code() != "CONFLICT" {
		t.Errorf("lift twice: %s", r.Raw)
	}
	api.Srv.AssertAudited(t, apitest.AuditTarget(t, "user", member.ID), "moderation.sanction.lift", mod.ID,
		`{"sanction":"`+uuidOf(t, ban.ID)+`","kind":"BAN"}`)

	// Staff's view: sanctions of several members in one statement.
	other := api.Member(t)
	mustImpose(t, mod, map[string]any{"userId": other.ID, "kind": "WARNING"})
	var out struct {
		Nodes []struct {
			ID        string
			Sanctions []struct{ Kind string }
		}
	}
	var aliased struct {
		A, B struct{ Sanctions []struct{ Kind string } }
	}
	apitest.Must(t, mod.C.Do(t, `query($a: ID!, $b: ID!) { a: node(id: $a) { ... on User { sanctions { kind } } }
		b: node(id: $b) { ... on User { sanctions { kind } } } }`,
		map[string]any{"a": member.ID, "b": other.ID})).Decode(t, &aliased)
	out.Nodes = append(out.Nodes, struct {
		ID        string
		Sanctions []struct{ Kind string }
	}{Sanctions: aliased.A.Sanctions}, struct {
		ID        string
		Sanctions []struct{ Kind string }
	}{Sanctions: aliased.B.Sanctions})
	if len(out.Nodes[0].Sanctions) != 2 || out.Nodes[0].Sanctions[0].Kind != "BAN" ||
		len(out.Nodes[1].Sanctions) != 1 || out.Nodes[1].Sanctions[0].Kind != "WARNING" {
		t.Fatalf("User.sanctions: %+v", out)
	}
}

// TestLimit: a LIMIT refuses new conversations, session proposals and skill proposals with the
// end time in the error, then expires with the clock; an existing conversation still works.
func TestLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	limit := mustImpose(t, w.mod, map[string]any{"userId": w.learner.ID, "kind": "LIMIT", "durationHours": 24})
	start := w.api.Clock.Now().Add(96 * time.Hour).Truncate(time.Minute)
	var cats struct{ SkillCategories []struct{ ID string } }
	apitest.Must(t, w.learner.C.Do(t, `{ skillCategories { id } }`, nil)).Decode(t, &cats)
	if len(cats.SkillCategories) == 0 {
		t.Fatal("no skill category")
	}
	tries := []struct {
		name string
		run  func() *apitest.Response
	}{
		{"openDirectConversation", func() *apitest.Response {
			return w.learner.C.Do(t, `mutation($in: OpenDirectConversationInput!) { openDirectConversation(input: $in) { conversation { id } } }`,
				map[string]any{"in": map[string]any{"userId": w.outsider.ID}})
		}},
		{"proposeSession", func() *apitest.Response {
			return w.learner.C.Do(t, `mutation($in: ProposeSessionInput!) { proposeSession(input: $in) { session { id } } }`,
				w.api.ProposeVars(w.outsider, w.learner, start, 30))
		}},
		{"proposeSkill", func() *apitest.Response {
			return w.learner.C.Do(t, `mutation($in: ProposeSkillInput!) { proposeSkill(input: $in) { skill { id } } }`,
				map[string]any{"in": map[string]any{"categoryId": cats.SkillCategories[0].ID,
					"nameEn": "Limit test " + w.learner.ID[len(w.learner.ID)-8:], "nameFr": "Test de limite " + w.learner.ID[len(w.learner.ID)-8:]}})
		}},
	}
	for _, tr := range tries {
		r := tr.run()
		if r.Code() != "FORBIDDEN" || skillsessiontest.Ext(r, "reason") != "LIMITED" ||
			skillsessiontest.Ext(r, "limitedUntil") != limit.EndsAt.UTC().Format(time.RFC3339) {
			t.Errorf("%s while limited: %s", tr.name, r.Raw)
		}
	}
	// Messages in an existing conversation still go through.
	apitest.Must(t, w.learner.C.Do(t, `mutation($in: SendMessageInput!) { sendMessage(input: $in) { message { id } } }`,
		map[string]any{"in": map[string]any{"conversationId": w.conversation, "clientId": "m-limited", "body": "sorry"}}))
	w.api.Clock.Advance(24*time.Hour + time.Minute)
	for _, tr := range tries {
		apitest.Must(t, tr.run())
	}
	if got := mySanctions(t, w.learner); len(got) != 1 || got[0].Active {
		t.Errorf("after the end: %+v", got)
	}
}

// TestContentRemovalAndAppealWindow: removing a message tombstones it for its conversation;
// removing a review hides it and takes it out of the rating; an overturn shows the review
// again; one appeal per sanction, within 20 days.
func TestContentRemovalAndAppealWindow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	msg := mustImpose(t, w.mod, map[string]any{"userId": w.learner.ID, "kind": "CONTENT_REMOVAL",
		"contentType": "MESSAGE", "contentId": w.message, "statementOfReasons": "Asking to pay outside the app is a scam signal."})
	if msg.ContentID == nil || *msg.ContentID != w.message {
		t.Fatalf("message removal: %+v", msg)
	}
	var page struct {
		Messages struct {
			Edges []struct {
				Node struct {
					ID, Body string
					Deleted  bool
				}
			}
		}
	}
	apitest.Must(t, w.teacher.C.Do(t, `query($c: ID!) { messages(conversationId: $c, first: 20) { edges { node { id body deleted } } } }`,
		map[string]any{"c": w.conversation})).Decode(t, &page)
	for _, e := range page.Messages.Edges {
		if e.Node.ID == w.message && (e.Node.Body != "" || !e.Node.Deleted) {
			t.Errorf("removed message still readable: %+v", e.Node)
		}
	}

	// The review, through a case about it (the content defaults to the case's target).
	apitest.Must(t, report(t, w.teacher, "REVIEW", w.reviewByLearner, "HARASSMENT"))
	cases, _, _ := queue(t, w.mod, 10, nil, map[string]any{"targetType": "REVIEW"})
	if len(cases) != 1 {
		t.Fatalf("cases: %+v", cases)
	}
	rev := mustImpose(t, w.mod, map[string]any{"userId": w.learner.ID, "kind": "CONTENT_REMOVAL", "caseId": cases[0].ID})
	if rev.ContentID == nil || *rev.ContentID != w.reviewByLearner {
		t.Fatalf("review removal: %+v", rev)
	}
	received := func() (int, int) {
		var out struct {
			Node struct {
				Reviews struct {
					Edges []struct{ Node struct{ ID string } }
				}
				Rating struct{ Count int }
			}
		}
		apitest.Must(t, w.outsider.C.Do(t, `query($id: ID!) { node(id: $id) { ... on User { reviews(first: 20) { edges { node { id } } } rating { count } } } }`,
			map[string]any{"id": w.teacher.ID})).Decode(t, &out)
		return len(out.Node.Reviews.Edges), out.Node.Rating.Count
	}
	if n, count := received(); n != 0 || count != 0 {
		t.Errorf("hidden review: %d listed, rating count %d", n, count)
	}
	assertAuditedWith(t, w.api, apitest.AuditTarget(t, "user", w.learner.ID), "moderation.sanction.impose", w.mod.ID,
		`{"sanction":"`+uuidOf(t, rev.ID)+`","kind":"CONTENT_REMOVAL","case":"`+cases[0].rawID(t)+`","content":"REVIEW:`+uuidOf(t, w.reviewByLearner)+`"}`)

	// One appeal per sanction; the review removal is overturned and the review is back.
	ap := appealID(t, appeal(t, w.learner, rev.ID))
	if r := appeal(t, w.learner, rev.ID); r.Code() != "CONFLICT" || r.Field() != "input.sanctionId" {
		t.Errorf("second appeal: %s", r.Raw)
	}
	apitest.Must(t, w.admin.C.Do(t, decideMutation, map[string]any{"in": map[string]any{"appealId": ap, "decision": "OVERTURNED", "reasons": "The review describes the session fairly."}}))
	if n, count := received(); n != 1 || count != 1 {
		t.Errorf("review after the overturn: %d listed, rating count %d", n, count)
	}

	// Past 20 days the message removal can no longer be appealed.
	w.api.Clock.Advance(domain.AppealWindow + time.Minute)
	r := appeal(t, w.learner, msg.ID)
	if r.Code() != "FORBIDDEN" || r.Field() != "input.sanctionId" || skillsessiontest.Ext(r, "reason") != "APPEAL_WINDOW_CLOSED" {
		t.Errorf("late appeal: %s", r.Raw)
	}
	if got := mySanctions(t, w.learner); len(got) != 2 || !slices.ContainsFunc(got, func(s sanctionNode) bool { return s.Appeal != nil && s.Appeal.State == "OVERTURNED" }) {
		t.Errorf("member's sanctions: %+v", got)
	}
}

// TestSanctionEmails: the sanction email reaches a suspended member (whom the generic
// notification email skips) in their language, with the statement of reasons and the appeal
// link; the appeal's decision is emailed too.
func TestSanctionEmails(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	box := apitest.WithMail(t, &cfg)
	api := skillsessiontest.StartAPI(t, cfg, domainOpts())
	en, fr, mod, mod2 := api.Member(t), api.Member(t), api.Member(t), api.Member(t)
	api.Srv.SetRoles(t, mod.ID, domain.RoleModerator)
	api.Srv.SetRoles(t, mod2.ID, domain.RoleModerator)
	if _, err := api.Srv.App.Pool.Exec(context.Background(), `UPDATE users SET locale = 'fr' WHERE id = $1`, parseUUID(t, fr.ID)); err != nil {
		t.Fatal(err)
	}
	emailOf := func(m skillsessiontest.Member) string {
		users, err := api.Srv.App.Store.Q().UsersByIDs(context.Background(), []uuidT{parseUUID(t, m.ID)})
		if err != nil {
			t.Fatal(err)
		}
		return users[parseUUID(t, m.ID)].Email
	}
	for _, c := range []struct {
		name          string
		m             skillsessiontest.Member
		subject, want string
	}{
		{"English", en, "a moderator took a measure", "the suspension of your account"},
		{"French", fr, "une mesure de modération", "la suspension de votre compte"},
	} {
		mustImpose(t, mod, map[string]any{"userId": c.m.ID, "kind": "SUSPENSION", "durationHours": 72,
			"statementOfReasons": "Threats sent to another member on " + c.name + " day."})
		e := box.Next(t, emailOf(c.m), c.subject)
		if !strings.Contains(e.Text, c.want) || !strings.Contains(e.Text, "Threats sent to another member on "+c.name+" day.") ||
			!strings.Contains(e.Text, "/appeal-sanction?token=") {
			t.Errorf("%s email: %s", c.name, e.Text)
		}
	}
	// The decision of an appeal is emailed too (the member is still suspended: UPHELD).
	sns := sanctionsOf(t, api, en)
	a, added, err := api.Srv.App.Moderation.AppealWithLink(context.Background(),
		strings.SplitN(api.Srv.App.Moderation.AppealLink(sns[0]), "token=", 2)[1], "Please reconsider.")
	if err != nil || added {
		t.Fatal(added, err)
	}
	// A moderator's question reaches the suspended member by email, with a link to answer.
	apitest.Must(t, mod2.C.Do(t, messageAppeal, map[string]any{"id": relay.GlobalID(relay.KindAppeal, a.ID), "text": "Who else received these messages?"}))
	if e := box.Next(t, emailOf(en), "a moderator wrote about your appeal"); !strings.Contains(e.Text, "Who else received these messages?") ||
		!strings.Contains(e.Text, "/appeal-sanction?token=") {
		t.Errorf("appeal message email: %s", e.Text)
	}
	apitest.Must(t, mod2.C.Do(t, decideMutation, map[string]any{"in": map[string]any{"appealId": relay.GlobalID(relay.KindAppeal, a.ID),
		"decision": "UPHELD", "reasons": "The messages leave no doubt."}}))
	if e := box.Next(t, emailOf(en), "your appeal was decided"); !strings.Contains(e.Text, "upheld") || !strings.Contains(e.Text, "The messages leave no doubt.") {
		t.Errorf("decision email: %s", e.Text)
	}
}

// TestUserSanctionsStatements: staff listing members with their sanctions and appeals runs no
// more statements for 12 members than for 3: User.sanctions and Sanction.appeal are
// batched.
func TestUserSanctionsStatements(t *testing.T) {
	t.Parallel()
	counter := &testdb.StatementCounter{}
	cfg := apitest.ForStatementCounts(apitest.Config(t))
	api := skillsessiontest.StartAPI(t, cfg, app.Options{Tracer: counter})
	mod, admin := api.Member(t), api.Member(t)
	api.Srv.SetRoles(t, mod.ID, domain.RoleModerator)
	api.Srv.SetRoles(t, admin.ID, domain.RoleAdmin)
	for i := range 10 {
		m := api.Member(t)
		s := mustImpose(t, mod, map[string]any{"userId": m.ID, "kind": "WARNING"})
		if i%2 == 0 {
			ap := appealID(t, appeal(t, m, s.ID))
			apitest.Must(t, admin.C.Do(t, messageAppeal, map[string]any{"id": ap, "text": "Tell me more."}))
		}
	}
	query := func(n int) string {
		return fmt.Sprintf(`{ users(first: %d) { edges { node { id sanctions { id kind statementOfReasons imposedBy { id }
			appeal { id state } } } } } }`, n)
	}
	var page struct {
		Users struct {
			Edges []struct {
				Node struct{ Sanctions []struct{ ID string } }
			}
		}
	}
	apitest.Must(t, admin.C.Do(t, query(1), nil)) // warm-up
	// Both pages hold sanctioned members with appeals; the small one may load the moderator of
	// imposedBy with one more statement when the page does not list them already.
	small := counter.Measure(func() { apitest.Must(t, admin.C.Do(t, query(3), nil)) })
	smallSQL := counter.Last()
	large := counter.Measure(func() { apitest.Must(t, admin.C.Do(t, query(12), nil)).Decode(t, &page) })
	t.Logf("statements: 3 members -> %d, 12 members -> %d", small, large)
	n := 0
	for _, e := range page.Users.Edges {
		n += len(e.Node.Sanctions)
	}
	if n != 10 {
		t.Fatalf("got %d sanctions, want 10", n)
	}
	if large > small {
		t.Fatalf("3 members ran %d statements, 12 ran %d:\n%q\n%q", small, large, smallSQL, counter.Last())
	}

	// The queue of open appeals with their sanctions, members and threads: 1 appeal or 5.
	appeals := func(n int) string {
		return fmt.Sprintf(`{ moderationAppeals(first: %d) { edges { node { id text sanction { id kind member { id displayName } }
			messages { text fromModerator } } } } }`, n)
	}
	var queue struct {
		ModerationAppeals struct {
			Edges []struct {
				Node struct{ Messages []struct{ Text string } }
			}
		}
	}
	apitest.Must(t, admin.C.Do(t, appeals(1), nil)) // warm-up
	one := counter.Measure(func() { apitest.Must(t, admin.C.Do(t, appeals(1), nil)) })
	five := counter.Measure(func() { apitest.Must(t, admin.C.Do(t, appeals(5), nil)).Decode(t, &queue) })
	t.Logf("statements: 1 appeal -> %d, 5 appeals -> %d", one, five)
	if len(queue.ModerationAppeals.Edges) != 5 || len(queue.ModerationAppeals.Edges[4].Node.Messages) != 1 {
		t.Fatalf("appeals queue: %+v", queue)
	}
	if five > one {
		t.Fatalf("1 appeal ran %d statements, 5 ran %d: %q", one, five, counter.Last())
	}
}

// TestSanctionsExportAndErasure: the member's export holds their sanctions and appeals (thread
// included, no staff ids); their erasure keeps the sanction and the decision, pseudonymous, and
// erases their appeal text and their own messages in the thread, not the moderator's.
func TestSanctionsExportAndErasure(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	api := skillsessiontest.StartAPI(t, cfg, domainOpts())
	member, mod, mod2 := api.Member(t), api.Member(t), api.Member(t)
	api.Srv.SetRoles(t, mod.ID, domain.RoleModerator)
	api.Srv.SetRoles(t, mod2.ID, domain.RoleModerator)
	s := mustImpose(t, mod, map[string]any{"userId": member.ID, "kind": "WARNING", "statementOfReasons": "Spam, rule 4."})
	ap := appealID(t, appeal(t, member, s.ID))
	apitest.Must(t, mod2.C.Do(t, messageAppeal, map[string]any{"id": ap, "text": "Which members asked you?"}))
	apitest.Must(t, member.C.Do(t, messageAppeal, map[string]any{"id": ap, "text": "Mia and Leo, by message."}))

	ctx := context.Background()
	uid := parseUUID(t, member.ID)
	files := map[string]string{}
	for _, f := range store.ExportFiles {
		if f.Name != "moderation_sanctions.json" && f.Name != "moderation_appeals.json" {
			continue
		}
		var rows []string
		if err := api.Srv.App.Store.Q().StreamExportFile(ctx, f, uid, func(row []byte) error {
			rows = append(rows, string(row))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		files[f.Name] = strings.Join(rows, "\n")
	}
	if got := files["moderation_sanctions.json"]; !strings.Contains(got, "Spam, rule 4.") || strings.Contains(got, uuidOf(t, mod.ID)) {
		t.Errorf("moderation_sanctions.json: %s", got)
	}
	if got := files["moderation_appeals.json"]; !strings.Contains(got, "It was a joke") || !strings.Contains(got, "Mia and Leo") ||
		!strings.Contains(got, `"fromModerator": true`) || strings.Contains(got, uuidOf(t, mod2.ID)) {
		t.Errorf("moderation_appeals.json: %s", got)
	}

	if _, err := api.Srv.App.Erasure.Erase(ctx, uid); err != nil {
		t.Fatal(err)
	}
	var text string
	var bodies []string
	if err := api.Srv.App.Pool.QueryRow(ctx, `SELECT text FROM moderation_appeals WHERE user_id = $1`, uid).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if err := api.Srv.App.Pool.QueryRow(ctx, `SELECT array_agg(body ORDER BY id) FROM moderation_appeal_messages
		WHERE appeal_id = (SELECT id FROM moderation_appeals WHERE user_id = $1)`, uid).Scan(&bodies); err != nil {
		t.Fatal(err)
	}
	if text != "" || len(bodies) != 2 || bodies[0] != "Which members asked you?" || bodies[1] != "" {
		t.Errorf("after erasure: appeal %q, thread %q", text, bodies)
	}
	if got := sanctionOf(t, api, s.ID); got.StatementOfReasons != "Spam, rule 4." {
		t.Errorf("the sanction's record after erasure: %+v", got)
	}
}
