package moderation_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/relay"
)

func (c caseNode) rawID(t *testing.T) string {
	t.Helper()
	_, id, ok := relay.ParseGlobalID(c.ID)
	if !ok {
		t.Fatalf("case id %q", c.ID)
	}
	return id.String()
}

const reportMutation = `mutation($in: ReportContentInput!) { reportContent(input: $in) { report { id targetType category text } } }`

func report(t *testing.T, m skillsessiontest.Member, typ, id, category string) *apitest.Response {
	t.Helper()
	return m.C.Do(t, reportMutation, map[string]any{"in": map[string]any{
		"targetType": typ, "targetId": id, "category": category, "text": "see " + typ}})
}

type caseNode struct {
	ID, TargetType, TargetID, State string
	Urgent                          bool
	ReporterCount                   int
	Subject, Assignee               *struct{ ID string }
	Decision, StatementOfReasons    *string
	Reports                         []struct {
		Category, Text, Snapshot string
		Reporter                 struct{ ID string }
	}
	Notes []struct {
		Text   string
		Author struct{ ID string }
	}
}

const caseFields = `id targetType targetId state urgent reporterCount subject { id } assignee { id } decision
	statementOfReasons reports { category text snapshot reporter { id } } notes { text author { id } }`

func moderationCase(t *testing.T, m skillsessiontest.Member, id string) caseNode {
	t.Helper()
	var out struct{ ModerationCase caseNode }
	apitest.Must(t, m.C.Do(t, `query($id: ID!) { moderationCase(id: $id) { `+caseFields+` } }`, map[string]any{"id": id})).Decode(t, &out)
	return out.ModerationCase
}

func queue(t *testing.T, m skillsessiontest.Member, first int, after *string, filter map[string]any) ([]caseNode, *string, bool) {
	t.Helper()
	var out struct {
		ModerationCases struct {
			Edges []struct {
				Cursor string
				Node   caseNode
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	apitest.Must(t, m.C.Do(t, `query($first: Int, $after: String, $f: ModerationCaseFilter) {
		moderationCases(first: $first, after: $after, filter: $f) { edges { cursor node { `+caseFields+` } } pageInfo { hasNextPage endCursor } } }`,
		map[string]any{"first": first, "after": after, "f": filter})).Decode(t, &out)
	var nodes []caseNode
	for _, e := range out.ModerationCases.Edges {
		nodes = append(nodes, e.Node)
	}
	return nodes, out.ModerationCases.PageInfo.EndCursor, out.ModerationCases.PageInfo.HasNextPage
}

// world is a completed session with revealed reviews, a direct conversation and staff.
type world struct {
	api                                    *skillsessiontest.API
	teacher, learner, outsider, mod, admin skillsessiontest.Member
	support                                skillsessiontest.Member
	reviewByLearner, message, conversation string
}

func newWorld(t *testing.T) world {
	t.Helper()
	cfg := apitest.Config(t)
	api := skillsessiontest.StartAPI(t, cfg, app.Options{})
	w := world{api: api, teacher: api.Member(t), learner: api.Member(t), outsider: api.Member(t),
		mod: api.Member(t), admin: api.Member(t), support: api.Member(t)}
	api.Srv.SetRoles(t, w.mod.ID, domain.RoleModerator)
	api.Srv.SetRoles(t, w.admin.ID, domain.RoleAdmin, domain.RoleModerator)
	api.Srv.SetRoles(t, w.support.ID, domain.RoleSupport)
	start := api.Clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
	s := api.Confirmed(t, w.teacher, w.learner, start, 30)
	api.Clock.Set(start.Add(time.Hour))
	api.MustAct(t, w.teacher, "confirmSessionCompleted", s.ID, nil)
	api.MustAct(t, w.learner, "confirmSessionCompleted", s.ID, nil)
	submit := func(m skillsessiontest.Member, rating int, comment string) string {
		var out struct {
			SubmitReview struct{ Review struct{ ID string } }
		}
		apitest.Must(t, m.C.Do(t, `mutation($in: SubmitReviewInput!) { submitReview(input: $in) { review { id } } }`,
			map[string]any{"in": map[string]any{"sessionId": s.ID, "rating": rating, "comment": comment}})).Decode(t, &out)
		return out.SubmitReview.Review.ID
	}
	w.reviewByLearner = submit(w.learner, 1, "Rude and late")
	submit(w.teacher, 5, "Great learner")

	var conv struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	apitest.Must(t, w.learner.C.Do(t, `mutation($in: OpenDirectConversationInput!) { openDirectConversation(input: $in) { conversation { id } } }`,
		map[string]any{"in": map[string]any{"userId": w.teacher.ID}})).Decode(t, &conv)
	w.conversation = conv.OpenDirectConversation.Conversation.ID
	var sent struct {
		SendMessage struct{ Message struct{ ID string } }
	}
	apitest.Must(t, w.learner.C.Do(t, `mutation($in: SendMessageInput!) { sendMessage(input: $in) { message { id } } }`,
		map[string]any{"in": map[string]any{"conversationId": w.conversation, "clientId": "m1", "body": "pay me outside the app"}})).Decode(t, &sent)
	w.message = sent.SendMessage.Message.ID
	return w
}

// TestReportsAndQueue: each target type reportable when visible and NOT_FOUND otherwise; the
// snapshot survives edits and deletes; reports group into one case counting distinct
// reporters; the queue's priority order and paging; claim, assign, notes, decide; the affected
// member reads the statement of reasons without reporters; reportReview files a moderation
// report too.
func TestReportsAndQueue(t *testing.T) {
	t.Parallel()
	w := newWorld(t)

	// Visibility: a message only in one's conversation; a review only by others; never oneself.
	for _, c := range []struct {
		name      string
		by        skillsessiontest.Member
		typ, id   string
		wantCode  string
		wantField string
	}{
		{"message of another conversation", w.outsider, "MESSAGE", w.message, "NOT_FOUND", "input.targetId"},
		{"own message", w.learner, "MESSAGE", w.message, "NOT_FOUND", "input.targetId"},
		{"own review", w.learner, "REVIEW", w.reviewByLearner, "NOT_FOUND", "input.targetId"},
		{"oneself", w.learner, "MEMBER", w.learner.ID, "NOT_FOUND", "input.targetId"},
		{"wrong kind of id", w.teacher, "MESSAGE", w.reviewByLearner, "BAD_USER_INPUT", "input.targetId"},
		{"unknown skill", w.teacher, "SKILL_PROPOSAL", w.api.Skill, "NOT_FOUND", "input.targetId"},
	} {
		if r := report(t, c.by, c.typ, c.id, "SPAM"); r.Code() != c.wantCode || r.Field() != c.wantField {
			t.Errorf("%s: %s", c.name, r.Raw)
		}
	}
	if r := w.teacher.C.Do(t, reportMutation, map[string]any{"in": map[string]any{"targetType": "MEMBER", "targetId": w.learner.ID,
		"category": "SPAM", "text": strings.Repeat("x", 2001)}}); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.text" {
		t.Errorf("long text: %s", r.Raw)
	}
	if r := w.api.Srv.Client().Do(t, reportMutation, map[string]any{"in": map[string]any{"targetType": "MEMBER", "targetId": w.learner.ID, "category": "SPAM"}}); r.Code() != "UNAUTHENTICATED" {
		t.Errorf("anonymous report: %s", r.Raw)
	}

	// A message case (SCAM), reported by the teacher; then edited and deleted by its sender.
	apitest.Must(t, report(t, w.teacher, "MESSAGE", w.message, "SCAM"))
	if r := report(t, w.teacher, "MESSAGE", w.message, "SPAM"); r.Code() != "CONFLICT" {
		t.Errorf("second report of one reporter on an open case: %s", r.Raw)
	}
	apitest.Must(t, w.learner.C.Do(t, `mutation($in: EditMessageInput!) { editMessage(input: $in) { message { id } } }`,
		map[string]any{"in": map[string]any{"messageId": w.message, "body": "nothing to see"}}))
	apitest.Must(t, w.learner.C.Do(t, `mutation($in: DeleteMessageInput!) { deleteMessage(input: $in) { message { id } } }`,
		map[string]any{"in": map[string]any{"messageId": w.message}}))

	// A member case reported by two members, one of them SAFETY: urgent, two reporters.
	apitest.Must(t, report(t, w.teacher, "MEMBER", w.learner.ID, "HARASSMENT"))
	apitest.Must(t, report(t, w.outsider, "MEMBER", w.learner.ID, "SAFETY"))
	// A review case through the deprecated reportReview, then one through reportContent.
	apitest.Must(t, w.teacher.C.Do(t, `mutation($in: ReportReviewInput!) { reportReview(input: $in) { report { id } } }`,
		map[string]any{"in": map[string]any{"reviewId": w.reviewByLearner, "reason": "ABUSIVE", "note": "insults"}}))
	apitest.Must(t, report(t, w.outsider, "REVIEW", w.reviewByLearner, "INAPPROPRIATE"))
	apitest.Must(t, report(t, w.admin, "REVIEW", w.reviewByLearner, "OTHER"))

	// The reporter was told the report was received.
	var feed struct {
		Notifications struct {
			Edges []struct{ Node struct{ Type string } }
		}
	}
	apitest.Must(t, w.teacher.C.Do(t, `{ notifications(first: 20) { edges { node { type } } } }`, nil)).Decode(t, &feed)
	received := 0
	for _, e := range feed.Notifications.Edges {
		if e.Node.Type == "MODERATION_REPORT_RECEIVED" {
			received++
		}
	}
	if received != 3 {
		t.Errorf("report received notices: %d, want 3: %+v", received, feed)
	}

	// Priority: urgent member case, then the review case (3 reporters), then the message (1).
	all, _, _ := queue(t, w.mod, 10, nil, nil)
	if len(all) != 3 || all[0].TargetType != "MEMBER" || !all[0].Urgent || all[0].ReporterCount != 2 ||
		all[1].TargetType != "REVIEW" || all[1].ReporterCount != 3 || all[2].TargetType != "MESSAGE" || all[2].ReporterCount != 1 {
		t.Fatalf("queue order: %+v", all)
	}
	if all[0].Subject == nil || all[0].Subject.ID != w.learner.ID || all[2].TargetID != w.message {
		t.Errorf("subject and target: %+v", all)
	}
	// Paging one at a time walks the same order with no repeats.
	var after *string
	for i := range all {
		page, end, more := queue(t, w.mod, 1, after, nil)
		if len(page) != 1 || page[0].ID != all[i].ID || more != (i < len(all)-1) {
			t.Fatalf("page %d: %+v more=%v", i, page, more)
		}
		after = end
	}
	if got, _, _ := queue(t, w.mod, 10, nil, map[string]any{"targetType": "REVIEW"}); len(got) != 1 || got[0].ID != all[1].ID {
		t.Errorf("targetType filter: %+v", got)
	}

	// The message snapshot survived the edit and the delete.
	msgCase := moderationCase(t, w.mod, all[2].ID)
	var snap map[string]any
	if err := json.Unmarshal([]byte(msgCase.Reports[0].Snapshot), &snap); err != nil {
		t.Fatal(err)
	}
	if snap["body"] != "pay me outside the app" || snap["senderId"] == nil || snap["conversationId"] == nil || snap["sentAt"] == nil {
		t.Errorf("message snapshot: %v", snap)
	}
	reviewCase := moderationCase(t, w.mod, all[1].ID)
	if len(reviewCase.Reports) != 3 || !strings.Contains(reviewCase.Reports[0].Snapshot, "Rude and late") ||
		reviewCase.Reports[0].Category != "HARASSMENT" || reviewCase.Reports[0].Text != "insults" {
		t.Errorf("review case (first report via reportReview): %+v", reviewCase.Reports)
	}

	// Claim, assign, note, decide.
	var claimed struct{ ClaimModerationCase struct{ Case caseNode } }
	apitest.Must(t, w.mod.C.Do(t, `mutation($id: ID!) { claimModerationCase(id: $id) { case { `+caseFields+` } } }`,
		map[string]any{"id": all[0].ID})).Decode(t, &claimed)
	if c := claimed.ClaimModerationCase.Case; c.State != "IN_REVIEW" || c.Assignee == nil || c.Assignee.ID != w.mod.ID {
		t.Errorf("claimed: %+v", c)
	}
	if mine, _, _ := queue(t, w.mod, 10, nil, map[string]any{"state": "IN_REVIEW", "assignedToMe": true}); len(mine) != 1 || mine[0].ID != all[0].ID {
		t.Errorf("assigned to me: %+v", mine)
	}
	assign := `mutation($id: ID!, $m: ID!) { assignModerationCase(id: $id, moderatorId: $m) { case { assignee { id } } } }`
	if r := w.mod.C.Do(t, assign, map[string]any{"id": all[0].ID, "m": w.outsider.ID}); r.Code() != "BAD_USER_INPUT" || r.Field() != "moderatorId" {
		t.Errorf("assign to a member: %s", r.Raw)
	}
	apitest.Must(t, w.mod.C.Do(t, assign, map[string]any{"id": all[0].ID, "m": w.admin.ID}))
	apitest.Must(t, w.admin.C.Do(t, `mutation($id: ID!) { addModerationNote(caseId: $id, text: "called the reporter") { note { id text } } }`,
		map[string]any{"id": all[0].ID}))
	if r := w.admin.C.Do(t, `mutation($id: ID!) { addModerationNote(caseId: $id, text: "  ") { note { id } } }`,
		map[string]any{"id": all[0].ID}); r.Code() != "BAD_USER_INPUT" || r.Field() != "text" {
		t.Errorf("empty note: %s", r.Raw)
	}
	decide := `mutation($in: DecideModerationCaseInput!) { decideModerationCase(input: $in) { case { state decision statementOfReasons } } }`
	if r := w.admin.C.Do(t, decide, map[string]any{"in": map[string]any{"caseId": all[0].ID, "decision": "ACTION_TAKEN"}}); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.statementOfReasons" {
		t.Errorf("action without reasons: %s", r.Raw)
	}
	apitest.Must(t, w.admin.C.Do(t, decide, map[string]any{"in": map[string]any{"caseId": all[0].ID, "decision": "ACTION_TAKEN",
		"statementOfReasons": "Threatening messages to two members (rule 3)."}}))
	if r := w.admin.C.Do(t, decide, map[string]any{"in": map[string]any{"caseId": all[0].ID, "decision": "NO_ACTION"}}); r.Code() != "CONFLICT" {
		t.Errorf("deciding twice: %s", r.Raw)
	}
	decided := moderationCase(t, w.mod, all[0].ID)
	if decided.State != "DECIDED" || len(decided.Notes) != 1 || decided.Notes[0].Author.ID != w.admin.ID {
		t.Errorf("decided case: %+v", decided)
	}
	// A new report after the decision opens a new case.
	apitest.Must(t, report(t, w.mod, "MEMBER", w.learner.ID, "SPAM"))
	if open, _, _ := queue(t, w.mod, 10, nil, map[string]any{"targetType": "MEMBER"}); len(open) != 1 || open[0].ID == all[0].ID || open[0].ReporterCount != 1 {
		t.Errorf("new case after a decision: %+v", open)
	}

	// The affected member reads the decision and its reasons; nothing names a reporter.
	r := apitest.Must(t, w.learner.C.Do(t, `{ myModerationDecisions(first: 5) { edges { node { id targetType targetId decision statementOfReasons decidedAt } } } }`, nil))
	if !strings.Contains(string(r.Raw), "Threatening messages") || strings.Contains(string(r.Raw), w.teacher.ID) || strings.Contains(string(r.Raw), w.outsider.ID) {
		t.Errorf("decisions about the learner: %s", r.Raw)
	}
	// Reporters were told the outcome.
	var outcome struct {
		Notifications struct {
			Edges []struct{ Node struct{ Type string } }
		}
	}
	apitest.Must(t, w.outsider.C.Do(t, `{ notifications(first: 20) { edges { node { type } } } }`, nil)).Decode(t, &outcome)
	if !strings.Contains(fmt.Sprint(outcome), "MODERATION_CASE_DECIDED") {
		t.Errorf("outcome notice: %+v", outcome)
	}
	// Every staff action was audited (claim, 2 assigns: claim counts as one; note; decide).
	var audits int
	if err := w.api.Srv.App.Pool.QueryRow(t.Context(),
		`SELECT count(*) FROM admin_audit_log WHERE target = 'moderation_case:' || $1`, decided.rawID(t)).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != 4 {
		t.Errorf("audit rows: %d, want 4 (claim, assign, note, decide)", audits)
	}
}

// TestAuthorizationMatrix: every new operation × anonymous, MEMBER, SUPPORT, MODERATOR, ADMIN.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	apitest.Must(t, report(t, w.teacher, "MEMBER", w.learner.ID, "SPAM"))
	cases, _, _ := queue(t, w.mod, 1, nil, nil)
	if len(cases) != 1 {
		t.Fatalf("queue: %+v", cases)
	}
	id := cases[0].ID
	anon := skillsessiontest.Member{C: w.api.Srv.Client()}
	ops := []struct {
		name string
		q    string
		vars map[string]any
		// allowed: whether MODERATOR and ADMIN pass; members pass only memberOK operations.
		memberOK bool
	}{
		{"moderationCases", `{ moderationCases(first: 1) { edges { node { id } } } }`, nil, false},
		{"moderationCase", `query($id: ID!) { moderationCase(id: $id) { id } }`, map[string]any{"id": id}, false},
		{"addModerationNote", `mutation($id: ID!) { addModerationNote(caseId: $id, text: "n") { note { id } } }`, map[string]any{"id": id}, false},
		{"claimModerationCase", `mutation($id: ID!) { claimModerationCase(id: $id) { case { id } } }`, map[string]any{"id": id}, false},
		{"assignModerationCase", `mutation($id: ID!, $m: ID!) { assignModerationCase(id: $id, moderatorId: $m) { case { id } } }`, map[string]any{"id": id, "m": w.mod.ID}, false},
		{"myModerationDecisions", `{ myModerationDecisions(first: 1) { edges { node { id } } } }`, nil, true},
		{"reportContent", reportMutation, nil, true},
	}
	roles := []struct {
		name     string
		m        skillsessiontest.Member
		staff    bool
		signedIn bool
	}{
		{"anonymous", anon, false, false}, {"MEMBER", w.outsider, false, true}, {"SUPPORT", w.support, false, true},
		{"MODERATOR", w.mod, true, true}, {"ADMIN", w.admin, true, true},
	}
	for _, op := range ops {
		for _, role := range roles {
			vars := op.vars
			if op.name == "reportContent" {
				vars = map[string]any{"in": map[string]any{"targetType": "REVIEW", "targetId": w.reviewByLearner, "category": "OTHER"}}
			}
			r := role.m.C.Do(t, op.q, vars)
			var want string
			switch {
			case !role.signedIn:
				want = "UNAUTHENTICATED"
			case !op.memberOK && !role.staff:
				want = "FORBIDDEN"
			}
			if r.Code() != want {
				t.Errorf("%s as %s: code %q, want %q: %s", op.name, role.name, r.Code(), want, r.Raw)
			}
		}
	}
	// decideModerationCase last (it closes the case).
	decide := `mutation($in: DecideModerationCaseInput!) { decideModerationCase(input: $in) { case { id } } }`
	for _, role := range roles {
		r := role.m.C.Do(t, decide, map[string]any{"in": map[string]any{"caseId": id, "decision": "NO_ACTION"}})
		want := map[string]string{"anonymous": "UNAUTHENTICATED", "MEMBER": "FORBIDDEN", "SUPPORT": "FORBIDDEN", "MODERATOR": "", "ADMIN": "CONFLICT"}[role.name]
		if r.Code() != want {
			t.Errorf("decide as %s: code %q, want %q: %s", role.name, r.Code(), want, r.Raw)
		}
	}
}

// TestQueueUsesItsIndex: the queue's keyset query is an index range scan of
// moderation_cases_queue_idx, not a sort of every case.
func TestQueueUsesItsIndex(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	ctx := t.Context()
	tx, err := srv.App.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	rows, err := tx.Query(ctx, `EXPLAIN SELECT id FROM moderation_cases
		WHERE state = 'OPEN' AND ((NOT urgent), (-reporter_count), created_at, id) > (false, -3, now(), gen_random_uuid())
		ORDER BY (NOT urgent), (-reporter_count), created_at, id LIMIT 21`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if p := plan.String(); !strings.Contains(p, "moderation_cases_queue_idx") || strings.Contains(p, "Sort") {
		t.Errorf("queue plan does not range-scan its index:\n%s", p)
	}
}

// TestMemberAndSkillProposalTargets: a hidden profile is reportable only by who knows the member
// (a shared conversation, a block); a proposed skill only once approved, not by its proposer.
func TestMemberAndSkillProposalTargets(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	apitest.Must(t, w.learner.C.Do(t, `mutation { updateProfile(input: {visibility: HIDDEN}) { user { id } } }`, nil))
	if r := report(t, w.outsider, "MEMBER", w.learner.ID, "SPAM"); r.Code() != "NOT_FOUND" || r.Field() != "input.targetId" {
		t.Errorf("hidden profile reported by a stranger: %s", r.Raw)
	}
	apitest.Must(t, report(t, w.teacher, "MEMBER", w.learner.ID, "HARASSMENT")) // they share a conversation
	apitest.Must(t, w.outsider.C.Do(t, `mutation($id: ID!) { blockMember(input: {memberId: $id}) { blockedMembers { id } } }`, map[string]any{"id": w.learner.ID}))
	apitest.Must(t, report(t, w.outsider, "MEMBER", w.learner.ID, "HARASSMENT")) // blocking does not stop a report

	cat := w.api.Srv.Category(t, "t-moderation", "Moderation", "Modération")
	var proposed struct {
		ProposeSkill struct{ Skill struct{ ID string } }
	}
	apitest.Must(t, w.learner.C.Do(t, `mutation($in: ProposeSkillInput!) { proposeSkill(input: $in) { skill { id } } }`,
		map[string]any{"in": map[string]any{"categoryId": cat, "nameEn": "Buy my course", "nameFr": "Achetez mon cours"}})).Decode(t, &proposed)
	skill := proposed.ProposeSkill.Skill.ID
	if r := report(t, w.teacher, "SKILL_PROPOSAL", skill, "SPAM"); r.Code() != "NOT_FOUND" {
		t.Errorf("pending proposal: %s", r.Raw)
	}
	apitest.Must(t, w.mod.C.Do(t, `mutation($in: ReviewSkillProposalInput!) { reviewSkillProposal(input: $in) { skill { id } } }`,
		map[string]any{"in": map[string]any{"skillId": skill, "decision": "APPROVE"}}))
	if r := report(t, w.learner, "SKILL_PROPOSAL", skill, "SPAM"); r.Code() != "NOT_FOUND" {
		t.Errorf("own proposal: %s", r.Raw)
	}
	apitest.Must(t, report(t, w.teacher, "SKILL_PROPOSAL", skill, "SPAM"))
	got, _, _ := queue(t, w.mod, 10, nil, map[string]any{"targetType": "SKILL_PROPOSAL"})
	if len(got) != 1 || got[0].Subject == nil || got[0].Subject.ID != w.learner.ID {
		t.Fatalf("skill proposal case: %+v", got)
	}
	c := moderationCase(t, w.mod, got[0].ID)
	if !strings.Contains(c.Reports[0].Snapshot, "Buy my course") {
		t.Errorf("skill snapshot: %s", c.Reports[0].Snapshot)
	}
}
