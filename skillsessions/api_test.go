package skillsessions_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/internal/testdb"
)

// These tests drive skill sessions, reviews and time credits through GraphQL over HTTP, on the
// real server wiring. The services' clock is moved past a session's end where the lifecycle
// needs it.

func startAPI(t *testing.T) *skillsessiontest.API {
	t.Helper()
	return skillsessiontest.StartAPI(t, apitest.Config(t), app.Options{})
}

const reviewMutation = `mutation($in: SubmitReviewInput!) { submitReview(input: $in) {
	review { id rating comment tags visibleAt reviewer { id } reviewee { id } skill { slug } }
	session { reviewState { viewerReviewed partnerReviewed revealed canReview } } } }`

func submitReview(t *testing.T, m skillsessiontest.Member, sessionID string, rating int, comment string) *apitest.Response {
	t.Helper()
	return m.C.Do(t, reviewMutation, map[string]any{"in": map[string]any{
		"sessionId": sessionID, "rating": rating, "comment": comment, "tags": []string{" Patient", "patient", "clear"},
	}})
}

// TestSessionLifecycleAPI: propose, accept, both confirm, credits move, both review (hidden
// until the second), ratings and received reviews appear, and outsiders see nothing private.
func TestSessionLifecycleAPI(t *testing.T) {
	t.Parallel()
	api := startAPI(t)
	teacher, learner, outsider := api.Member(t), api.Member(t), api.Member(t)
	start := api.Clock.Now().Add(48 * time.Hour).Truncate(time.Minute)

	// The learner proposes; the teacher has no availability declared, so no warning.
	var proposed struct {
		ProposeSession struct {
			Session  skillsessiontest.Session
			Warnings []struct{ Code string }
		}
	}
	apitest.Must(t, learner.C.Do(t, skillsessiontest.ProposeMutation, api.ProposeVars(teacher, learner, start, 60))).Decode(t, &proposed)
	s := proposed.ProposeSession.Session
	if s.State != "PROPOSED" || len(proposed.ProposeSession.Warnings) != 0 || s.Proposer.ID != learner.ID ||
		s.Partner == nil || s.Partner.ID != teacher.ID || s.ViewerRole == nil || *s.ViewerRole != "LEARNER" ||
		s.AwaitingAnswer || s.DurationMinutes != 60 || !s.EndsAt.Equal(start.Add(time.Hour)) || len(s.Proposals) != 1 {
		t.Fatalf("proposed session: %+v", s)
	}
	if b := api.Balance(t, learner); b.Balance != 120 || b.Committed != 60 || b.Available != 60 {
		t.Fatalf("learner balance after proposing: %+v", b)
	}
	if got := api.Get(t, teacher, s.ID); !got.AwaitingAnswer || got.Partner.ID != learner.ID {
		t.Fatalf("teacher's view: %+v", got)
	}

	// The proposer cannot accept their own proposal: CONFLICT with the state.
	r := api.Act(t, learner, "acceptSession", s.ID, nil)
	if r.Code() != "CONFLICT" || skillsessiontest.Ext(r, "state") != "PROPOSED" {
		t.Fatalf("accepting one's own proposal: %s", r.Raw)
	}
	s = api.MustAct(t, teacher, "acceptSession", s.ID, nil)
	if s.State != "CONFIRMED" {
		t.Fatalf("accepted: %+v", s)
	}

	// Outsiders: skillSession is NOT_FOUND and node() is null; the session never leaks.
	r = outsider.C.Do(t, `query($id: ID!) { skillSession(id: $id) { id meetingUrl } }`, map[string]any{"id": s.ID})
	if r.Code() != "NOT_FOUND" {
		t.Fatalf("outsider reading a session: %s", r.Raw)
	}
	var node struct{ Node *struct{ ID string } }
	apitest.Must(t, outsider.C.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": s.ID})).Decode(t, &node)
	if node.Node != nil {
		t.Fatalf("outsider got the session through node(): %+v", node.Node)
	}
	apitest.Must(t, learner.C.Do(t, `query($id: ID!) { node(id: $id) { ... on SkillSession { id state } } }`, map[string]any{"id": s.ID})).Decode(t, &node)
	if node.Node == nil || node.Node.ID != s.ID {
		t.Fatal("participant cannot fetch the session through node()")
	}

	// Upcoming for both, with the partner seen from each side.
	var up struct {
		UpcomingSessions struct {
			Edges []struct{ Node skillsessiontest.Session }
		}
	}
	apitest.Must(t, learner.C.Do(t, `{ upcomingSessions(first: 10) { edges { node { `+skillsessiontest.SessionFields+` } } } }`, nil)).Decode(t, &up)
	if len(up.UpcomingSessions.Edges) != 1 || up.UpcomingSessions.Edges[0].Node.Partner.ID != teacher.ID ||
		up.UpcomingSessions.Edges[0].Node.MeetingURL == nil {
		t.Fatalf("learner's upcoming sessions: %+v", up)
	}

	// Too early to confirm.
	if r := api.Act(t, learner, "confirmSessionCompleted", s.ID, nil); r.Code() != "CONFLICT" || skillsessiontest.Ext(r, "state") != "CONFIRMED" {
		t.Fatalf("confirming before the end: %s", r.Raw)
	}
	api.Clock.Set(start.Add(90 * time.Minute))

	confirm := `mutation($in: ConfirmSessionCompletedInput!) { confirmSessionCompleted(input: $in) {
		session { state completedAt } creditBalance { balance committed available } } }`
	var conf struct {
		ConfirmSessionCompleted struct {
			Session       struct{ State string }
			CreditBalance skillsessiontest.Balance
		}
	}
	apitest.Must(t, learner.C.Do(t, confirm, map[string]any{"in": map[string]any{"sessionId": s.ID}})).Decode(t, &conf)
	if conf.ConfirmSessionCompleted.Session.State != "CONFIRMED" || conf.ConfirmSessionCompleted.CreditBalance.Balance != 120 {
		t.Fatalf("first confirmation: %+v", conf)
	}
	apitest.Must(t, teacher.C.Do(t, confirm, map[string]any{"in": map[string]any{"sessionId": s.ID}})).Decode(t, &conf)
	if conf.ConfirmSessionCompleted.Session.State != "COMPLETED" || conf.ConfirmSessionCompleted.CreditBalance.Balance != 180 {
		t.Fatalf("second confirmation: %+v", conf)
	}
	if b := api.Balance(t, learner); b.Balance != 60 || b.Committed != 0 {
		t.Fatalf("learner after completion: %+v", b)
	}
	var stmt struct {
		CreditTransactions struct {
			Edges []struct {
				Node struct {
					ID, Kind     string
					Amount       int
					BalanceAfter int
					Session      *struct{ ID string }
				}
			}
		}
	}
	apitest.Must(t, teacher.C.Do(t, `{ creditTransactions(first: 10) { edges { node { id kind amount balanceAfter session { id } } } } }`, nil)).Decode(t, &stmt)
	if e := stmt.CreditTransactions.Edges; len(e) != 2 || e[0].Node.Kind != "SESSION_PAYMENT" || e[0].Node.Amount != 60 ||
		e[0].Node.BalanceAfter != 180 || e[0].Node.Session == nil || e[0].Node.Session.ID != s.ID || e[1].Node.Kind != "STARTER_GRANT" {
		t.Fatalf("teacher's statement: %+v", stmt)
	}
	// A statement line is a node for its owner only.
	txID := stmt.CreditTransactions.Edges[0].Node.ID
	apitest.Must(t, teacher.C.Do(t, `query($id: ID!) { node(id: $id) { ... on CreditTransaction { id amount } } }`, map[string]any{"id": txID})).Decode(t, &node)
	if node.Node == nil {
		t.Fatal("credit transaction not found through node()")
	}
	apitest.Must(t, outsider.C.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": txID})).Decode(t, &node)
	if node.Node != nil {
		t.Fatal("outsider reads another member's credit transaction")
	}

	// Reviews: an outsider cannot review; the first review stays hidden.
	if r := submitReview(t, outsider, s.ID, 1, "never met them"); r.Code() != "NOT_FOUND" {
		t.Fatalf("outsider reviewing: %s", r.Raw)
	}
	var rev struct {
		SubmitReview struct {
			Review struct {
				ID        string
				Rating    int
				Tags      []string
				VisibleAt *time.Time
				Skill     struct{ Slug string }
			}
			Session struct {
				ReviewState struct{ ViewerReviewed, PartnerReviewed, Revealed, CanReview bool }
			}
		}
	}
	apitest.Must(t, submitReview(t, learner, s.ID, 5, "Great teacher")).Decode(t, &rev)
	if rv := rev.SubmitReview.Review; rv.VisibleAt != nil || rv.Rating != 5 || len(rv.Tags) != 2 || rv.Skill.Slug != "t-session-skill" {
		t.Fatalf("first review: %+v", rv)
	}
	if st := rev.SubmitReview.Session.ReviewState; !st.ViewerReviewed || st.PartnerReviewed || st.Revealed || st.CanReview {
		t.Fatalf("review state after the first review: %+v", st)
	}
	learnerReviewID := rev.SubmitReview.Review.ID
	if r := submitReview(t, learner, s.ID, 4, "again"); r.Code() != "CONFLICT" || r.Field() != "input.sessionId" {
		t.Fatalf("reviewing twice: %s", r.Raw)
	}
	// Double-blind: the teacher knows a review exists but cannot read it, nor fetch it by id.
	seen := api.Get(t, teacher, s.ID)
	if seen.PartnerReview != nil || !seen.ReviewState.PartnerReviewed || seen.ReviewState.Revealed || !seen.ReviewState.CanReview {
		t.Fatalf("teacher's view before reviewing: %+v", seen.ReviewState)
	}
	apitest.Must(t, teacher.C.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": learnerReviewID})).Decode(t, &node)
	if node.Node != nil {
		t.Fatal("hidden review readable by the member reviewed")
	}

	apitest.Must(t, submitReview(t, teacher, s.ID, 4, "Keen learner")).Decode(t, &rev)
	if rev.SubmitReview.Review.VisibleAt == nil || !rev.SubmitReview.Session.ReviewState.Revealed {
		t.Fatalf("second review not revealed: %+v", rev.SubmitReview)
	}
	seen = api.Get(t, teacher, s.ID)
	if seen.PartnerReview == nil || seen.PartnerReview.Rating != 5 || seen.PartnerReview.Comment != "Great teacher" || seen.MyReview == nil {
		t.Fatalf("teacher's view after both reviews: %+v / %+v", seen.PartnerReview, seen.MyReview)
	}

	// Ratings and received reviews are public to members.
	var user struct {
		Node struct {
			Rating struct {
				Count    int
				Mean     *float64
				Bayesian float64
			}
			Reviews struct {
				Edges []struct {
					Node struct {
						Rating   int
						Reviewer struct{ ID string }
						Session  *struct{ ID string }
					}
				}
			}
		}
	}
	apitest.Must(t, outsider.C.Do(t, `query($id: ID!) { node(id: $id) { ... on User { rating { count mean bayesian }
		reviews(first: 5) { edges { node { rating reviewer { id } session { id } } } } } } }`, map[string]any{"id": teacher.ID})).Decode(t, &user)
	if rt := user.Node.Rating; rt.Count != 1 || rt.Mean == nil || *rt.Mean != 5 || rt.Bayesian <= 4 || rt.Bayesian >= 5 {
		t.Fatalf("teacher's rating: %+v", rt)
	}
	if e := user.Node.Reviews.Edges; len(e) != 1 || e[0].Node.Reviewer.ID != learner.ID || e[0].Node.Session != nil {
		t.Fatalf("teacher's reviews seen by an outsider: %+v", e)
	}

	// The session is past now, for both.
	var past struct {
		PastSessions struct {
			Edges []struct{ Node struct{ ID, State string } }
		}
	}
	apitest.Must(t, teacher.C.Do(t, `{ pastSessions(first: 5) { edges { node { id state } } } }`, nil)).Decode(t, &past)
	if len(past.PastSessions.Edges) != 1 || past.PastSessions.Edges[0].Node.State != "COMPLETED" {
		t.Fatalf("past sessions: %+v", past)
	}
	skillsessiontest.LedgerCheck(t, api.Srv.App.Store)
}

// TestCounterProposalAndCancellationAPI: a counter-proposal hands the answer over; cancelling
// long before the start is not late, inside the cut-off it is.
func TestCounterProposalAndCancellationAPI(t *testing.T) {
	t.Parallel()
	api := startAPI(t)
	teacher, learner := api.Member(t), api.Member(t)
	start := api.Clock.Now().Add(72 * time.Hour).Truncate(time.Minute)

	s := api.Propose(t, teacher, teacher, learner, start, 60)
	later := start.Add(3 * time.Hour)
	s = api.MustAct(t, learner, "proposeNewTime", s.ID, map[string]any{"startsAt": later.Format(time.RFC3339), "durationMinutes": 90})
	if s.State != "PROPOSED" || s.Proposer.ID != learner.ID || !s.StartsAt.Equal(later) || s.DurationMinutes != 90 || len(s.Proposals) != 2 ||
		s.Proposals[1].Proposer.ID != learner.ID {
		t.Fatalf("counter-proposal: %+v", s)
	}
	if r := api.Act(t, learner, "acceptSession", s.ID, nil); r.Code() != "CONFLICT" {
		t.Fatalf("accepting one's own counter-proposal: %s", r.Raw)
	}
	s = api.MustAct(t, teacher, "acceptSession", s.ID, nil)
	if s.State != "CONFIRMED" {
		t.Fatalf("accepted counter-proposal: %+v", s)
	}
	s = api.MustAct(t, learner, "cancelSession", s.ID, map[string]any{"reason": "I am ill"})
	if s.State != "CANCELLED" || s.Cancellation == nil || s.Cancellation.Late || s.Cancellation.CancelledBy.ID != learner.ID ||
		s.Cancellation.Reason == nil || *s.Cancellation.Reason != "I am ill" {
		t.Fatalf("early cancellation: %+v", s.Cancellation)
	}
	if r := api.Act(t, teacher, "acceptSession", s.ID, nil); r.Code() != "CONFLICT" || skillsessiontest.Ext(r, "state") != "CANCELLED" {
		t.Fatalf("accepting a cancelled session: %s", r.Raw)
	}

	// Late: two hours before the start (cut-off 24 h).
	s2 := api.Confirmed(t, teacher, learner, start, 60)
	api.Clock.Set(start.Add(-2 * time.Hour))
	s2 = api.MustAct(t, teacher, "cancelSession", s2.ID, map[string]any{"reason": "double-booked"})
	if s2.Cancellation == nil || !s2.Cancellation.Late {
		t.Fatalf("late cancellation not marked late: %+v", s2.Cancellation)
	}
	// A declined proposal, for completeness of the answers.
	s3 := api.Propose(t, learner, teacher, learner, start.Add(24*time.Hour), 30)
	if s3 = api.MustAct(t, teacher, "declineSession", s3.ID, nil); s3.State != "DECLINED" {
		t.Fatalf("declined: %+v", s3)
	}
	if b := api.Balance(t, learner); b.Committed != 0 || b.Balance != 120 {
		t.Fatalf("credits after cancellations: %+v", b)
	}
}

// TestNoShowAndProblemAPI: a no-show ends the session without moving credits; a problem stops
// automatic completion and is shown to both.
func TestNoShowAndProblemAPI(t *testing.T) {
	t.Parallel()
	api := startAPI(t)
	teacher, learner := api.Member(t), api.Member(t)
	start := api.Clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
	s := api.Confirmed(t, teacher, learner, start, 60)
	if r := api.Act(t, teacher, "reportNoShow", s.ID, nil); r.Code() != "CONFLICT" {
		t.Fatalf("no-show before the start: %s", r.Raw)
	}
	api.Clock.Set(start.Add(20 * time.Minute))
	s = api.MustAct(t, teacher, "reportNoShow", s.ID, nil)
	if s.State != "NO_SHOW" || s.NoShow == nil || s.NoShow.Absent.ID != learner.ID || s.NoShow.ReportedBy.ID != teacher.ID {
		t.Fatalf("no-show: %+v", s)
	}
	if b := api.Balance(t, learner); b.Balance != 120 || b.Committed != 0 {
		t.Fatalf("learner credits after a no-show: %+v", b)
	}

	s2 := api.Confirmed(t, teacher, learner, start.Add(24*time.Hour), 60)
	api.Clock.Set(start.Add(24*time.Hour + 10*time.Minute))
	r := apitest.Must(t, learner.C.Do(t, `mutation($in: ReportSessionProblemInput!) { reportSessionProblem(input: $in) {
		session { state problem { reportedBy { id } note } } } }`, map[string]any{"in": map[string]any{"sessionId": s2.ID, "note": "the link did not work"}}))
	var out struct {
		ReportSessionProblem struct {
			Session struct {
				State   string
				Problem *struct {
					ReportedBy struct{ ID string }
					Note       string
				}
			}
		}
	}
	r.Decode(t, &out)
	if p := out.ReportSessionProblem.Session.Problem; out.ReportSessionProblem.Session.State != "CONFIRMED" || p == nil ||
		p.ReportedBy.ID != learner.ID || p.Note != "the link did not work" {
		t.Fatalf("problem: %+v", out)
	}
}

// TestConcurrentOverlappingAcceptsAPI: a teacher accepts eight overlapping proposals at once;
// exactly one books, the others are CONFLICT with reason OVERLAP.
func TestConcurrentOverlappingAcceptsAPI(t *testing.T) {
	t.Parallel()
	api := startAPI(t)
	teacher := api.Member(t)
	start := api.Clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
	const n = 8
	ids := make([]string, n)
	for i := range n {
		learner := api.Member(t)
		// Overlapping, not identical: each starts 10 minutes after the previous one.
		ids[i] = api.Propose(t, learner, teacher, learner, start.Add(time.Duration(i)*10*time.Minute), 60).ID
	}
	var wg sync.WaitGroup
	results := make([]*apitest.Response, n)
	for i := range n {
		wg.Go(func() { results[i] = api.Act(t, teacher, "acceptSession", ids[i], nil) })
	}
	wg.Wait()
	won := 0
	for i, r := range results {
		switch {
		case len(r.Errors) == 0:
			won++
		case r.Code() == "CONFLICT" && skillsessiontest.Ext(r, "reason") == "OVERLAP":
		default:
			t.Errorf("accept %d: %s", i, r.Raw)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d overlapping accepts succeeded, want exactly 1", won, n)
	}
}

// TestBadSessionInputsAPI: each bad input gets BAD_USER_INPUT (or the documented code) and the
// field it is about.
func TestBadSessionInputsAPI(t *testing.T) {
	t.Parallel()
	api := startAPI(t)
	teacher, learner := api.Member(t), api.Member(t)
	now := api.Clock.Now()
	start := now.Add(48 * time.Hour).Truncate(time.Minute)
	vars := func(mut func(in map[string]any)) map[string]any {
		v := api.ProposeVars(teacher, learner, start, 60)
		mut(v["in"].(map[string]any))
		return v
	}
	cases := []struct {
		name, code, field string
		mut               func(in map[string]any)
	}{
		{"past start", "BAD_USER_INPUT", "input.startsAt", func(in map[string]any) { in["startsAt"] = now.Add(-time.Hour).Format(time.RFC3339) }},
		{"inside minimum notice", "BAD_USER_INPUT", "input.startsAt", func(in map[string]any) { in["startsAt"] = now.Add(10 * time.Minute).Format(time.RFC3339) }},
		{"zero duration", "BAD_USER_INPUT", "input.durationMinutes", func(in map[string]any) { in["durationMinutes"] = 0 }},
		{"12-hour duration", "BAD_USER_INPUT", "input.durationMinutes", func(in map[string]any) { in["durationMinutes"] = 720 }},
		{"online without link", "BAD_USER_INPUT", "input.meetingUrl", func(in map[string]any) { delete(in, "meetingUrl") }},
		{"online with a javascript link", "BAD_USER_INPUT", "input.meetingUrl", func(in map[string]any) { in["meetingUrl"] = "javascript:alert(1)" }},
		{"in person without place", "BAD_USER_INPUT", "input.place", func(in map[string]any) { in["mode"] = "IN_PERSON"; delete(in, "meetingUrl") }},
		{"bad teacher id", "BAD_USER_INPUT", "input.teacherId", func(in map[string]any) { in["teacherId"] = "usr_nope" }},
		{"skill id of the wrong kind", "BAD_USER_INPUT", "input.skillId", func(in map[string]any) { in["skillId"] = teacher.ID }},
		{"same teacher and learner", "BAD_USER_INPUT", "input.learnerId", func(in map[string]any) { in["teacherId"] = learner.ID }},
		{"note too long", "BAD_USER_INPUT", "input.note", func(in map[string]any) { in["note"] = string(make([]byte, 1001)) }},
		{"not enough credits", "CONFLICT", "input.durationMinutes", func(in map[string]any) { in["durationMinutes"] = 180 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := learner.C.Do(t, skillsessiontest.ProposeMutation, vars(c.mut))
			if r.Code() != c.code || r.Field() != c.field {
				t.Fatalf("got code %q field %q, want %q %q: %s", r.Code(), r.Field(), c.code, c.field, r.Raw)
			}
		})
	}
	r := learner.C.Do(t, skillsessiontest.ProposeMutation, vars(func(in map[string]any) { in["durationMinutes"] = 180 }))
	if skillsessiontest.Ext(r, "reason") != "INSUFFICIENT_CREDITS" {
		t.Fatalf("credit refusal without its reason: %s", r.Raw)
	}
	// The floor counts what is already committed: 100 + 30 minutes exceed 120.
	api.Propose(t, learner, teacher, learner, start, 100)
	r = learner.C.Do(t, skillsessiontest.ProposeMutation, api.ProposeVars(teacher, learner, start.Add(24*time.Hour), 30))
	if r.Code() != "CONFLICT" || skillsessiontest.Ext(r, "reason") != "INSUFFICIENT_CREDITS" {
		t.Fatalf("committing beyond the floor: %s", r.Raw)
	}
	// Proposing a session of two other members is FORBIDDEN.
	other := api.Member(t)
	r = other.C.Do(t, skillsessiontest.ProposeMutation, api.ProposeVars(teacher, learner, start, 30))
	if r.Code() != "FORBIDDEN" {
		t.Fatalf("proposing for others: %s", r.Raw)
	}
	// A session id of another kind.
	if r := api.Act(t, teacher, "acceptSession", teacher.ID, nil); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.sessionId" {
		t.Fatalf("accepting a user id: %s", r.Raw)
	}
	// A time outside the partner's availability is a warning, not an error.
	apitest.Must(t, teacher.C.Do(t, `mutation { updateProfile(input: {timeZone: "Europe/Paris",
		availability: [{weekday: 1, start: "06:00", end: "06:30"}]}) { user { id } } }`, nil))
	var out struct {
		ProposeSession struct {
			Warnings []struct{ Code, Field string }
		}
	}
	apitest.Must(t, learner.C.Do(t, skillsessiontest.ProposeMutation, api.ProposeVars(teacher, learner, start.Add(48*time.Hour), 15))).Decode(t, &out)
	if w := out.ProposeSession.Warnings; len(w) != 1 || w[0].Code != "OUTSIDE_AVAILABILITY" || w[0].Field != "input.startsAt" {
		t.Fatalf("warnings: %+v", w)
	}
}

// TestUpcomingSessionsStatementCount: the upcoming list with partner, profile, rating, skill and
// review state runs the same number of SQL statements for 5 and 50 sessions.
func TestUpcomingSessionsStatementCount(t *testing.T) {
	t.Parallel()
	counter := &testdb.StatementCounter{}
	cfg := apitest.Config(t)
	cfg = apitest.ForStatementCounts(cfg)
	api := skillsessiontest.StartAPI(t, cfg, app.Options{Tracer: counter})
	teacher := api.Member(t)
	start := api.Clock.Now().Add(48 * time.Hour).Truncate(time.Hour)
	for i := range 55 {
		learner := api.Member(t)
		api.Confirmed(t, teacher, learner, start.Add(time.Duration(i)*2*time.Hour), 60)
	}
	query := func(n int) string {
		return fmt.Sprintf(`{ upcomingSessions(first: %d) { edges { cursor node { id state startsAt
			partner { displayName profile { timeZone } rating { mean count } }
			skill { name } reviewState { viewerReviewed partnerReviewed revealed }
			partnerReview { id } proposals { startsAt } } } pageInfo { hasNextPage } } }`, n)
	}
	var page struct {
		UpcomingSessions struct{ Edges []struct{ Cursor string } }
	}
	// The first request after the fixtures changed the taxonomy reloads the server's copy
	// (package taxonomy): the counts compare the steady state.
	apitest.Must(t, teacher.C.Do(t, query(5), nil))
	small := counter.Measure(func() { apitest.Must(t, teacher.C.Do(t, query(5), nil)) })
	large := counter.Measure(func() { teacher.C.Do(t, query(50), nil).Decode(t, &page) })
	t.Logf("statements: first 5 -> %d, first 50 -> %d", small, large)
	if len(page.UpcomingSessions.Edges) != 50 {
		t.Fatalf("got %d sessions, want 50", len(page.UpcomingSessions.Edges))
	}
	if small != large {
		t.Fatalf("upcomingSessions(first: 5) ran %d statements, upcomingSessions(first: 50) ran %d", small, large)
	}
}
