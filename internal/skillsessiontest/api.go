package skillsessiontest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/internal/apitest"
)

// API is a running server whose session, review, credit and calendar services read a settable
// clock, so tests can move past a session's end; tokens keep the real clock.
type API struct {
	Srv   *apitest.Server
	Clock *Clock
	// Skill is the global id of an approved skill sessions are about.
	Skill string
}

// Member is a signed-up member with an authenticated client.
type Member struct {
	ID   string
	Name string
	C    *apitest.Client
}

// StartAPI starts the server with cfg and opts (opts.Now is replaced by the clock, which starts
// at the real time).
func StartAPI(t testing.TB, cfg config.Config, opts app.Options) *API {
	t.Helper()
	clock := NewClock(time.Now().UTC().Truncate(time.Second))
	opts.Now = clock.Now
	srv := apitest.Start(t, cfg, opts)
	// Registered after the server's own cleanups, so it runs while the database is still open.
	t.Cleanup(func() { LedgerCheck(t, srv.App.Store) })
	cat := srv.Category(t, "t-sessions", "Sessions", "Séances")
	return &API{Srv: srv, Clock: clock, Skill: srv.Skill(t, cat, "t-session-skill", "Pottery", "Poterie")}
}

// Member signs a member up.
func (a *API) Member(t testing.TB) Member {
	t.Helper()
	tok, c := a.Srv.SignUp(t)
	return Member{ID: tok.User.ID, Name: tok.User.DisplayName, C: c}
}

// SessionFields is the selection tests read on SkillSession.
const SessionFields = `id state startsAt endsAt durationMinutes mode meetingUrl place note
	teacher { id } learner { id } partner { id } proposer { id } viewerRole awaitingViewerAnswer
	teacherConfirmedAt learnerConfirmedAt completedAt autoCompleted
	cancellation { cancelledBy { id } reason late }
	noShow { absent { id } reportedBy { id } }
	proposals { proposer { id } startsAt durationMinutes }
	reviewState { viewerReviewed partnerReviewed revealed canReview windowClosesAt }
	myReview { id rating visibleAt } partnerReview { id rating comment visibleAt }`

// Session is SessionFields decoded.
type Session struct {
	ID                 string     `json:"id"`
	State              string     `json:"state"`
	StartsAt           time.Time  `json:"startsAt"`
	EndsAt             time.Time  `json:"endsAt"`
	DurationMinutes    int        `json:"durationMinutes"`
	Mode               string     `json:"mode"`
	MeetingURL         *string    `json:"meetingUrl"`
	Place              *string    `json:"place"`
	Note               string     `json:"note"`
	Teacher            Ref        `json:"teacher"`
	Learner            Ref        `json:"learner"`
	Partner            *Ref       `json:"partner"`
	Proposer           Ref        `json:"proposer"`
	ViewerRole         *string    `json:"viewerRole"`
	AwaitingAnswer     bool       `json:"awaitingViewerAnswer"`
	TeacherConfirmedAt *time.Time `json:"teacherConfirmedAt"`
	LearnerConfirmedAt *time.Time `json:"learnerConfirmedAt"`
	CompletedAt        *time.Time `json:"completedAt"`
	AutoCompleted      bool       `json:"autoCompleted"`
	Cancellation       *struct {
		CancelledBy Ref     `json:"cancelledBy"`
		Reason      *string `json:"reason"`
		Late        bool    `json:"late"`
	} `json:"cancellation"`
	NoShow *struct {
		Absent     Ref `json:"absent"`
		ReportedBy Ref `json:"reportedBy"`
	} `json:"noShow"`
	Proposals []struct {
		Proposer        Ref       `json:"proposer"`
		StartsAt        time.Time `json:"startsAt"`
		DurationMinutes int       `json:"durationMinutes"`
	} `json:"proposals"`
	ReviewState struct {
		ViewerReviewed  bool       `json:"viewerReviewed"`
		PartnerReviewed bool       `json:"partnerReviewed"`
		Revealed        bool       `json:"revealed"`
		CanReview       bool       `json:"canReview"`
		WindowClosesAt  *time.Time `json:"windowClosesAt"`
	} `json:"reviewState"`
	MyReview      *ReviewRef `json:"myReview"`
	PartnerReview *ReviewRef `json:"partnerReview"`
}

// Ref is an object's id.
type Ref struct {
	ID string `json:"id"`
}

// ReviewRef is a review as SessionFields reads it.
type ReviewRef struct {
	ID        string     `json:"id"`
	Rating    int        `json:"rating"`
	Comment   string     `json:"comment"`
	VisibleAt *time.Time `json:"visibleAt"`
}

// ProposeVars are the variables of an online proposal by the skill of a.
func (a *API) ProposeVars(teacher, learner Member, start time.Time, minutes int) map[string]any {
	return map[string]any{"in": map[string]any{
		"skillId": a.Skill, "teacherId": teacher.ID, "learnerId": learner.ID,
		"startsAt": start.UTC().Format(time.RFC3339), "durationMinutes": minutes,
		"mode": "ONLINE", "meetingUrl": "https://meet.example.com/pottery", "note": "bring clay",
	}}
}

// ProposeMutation proposes a session and reads it with its warnings.
const ProposeMutation = `mutation($in: ProposeSessionInput!) { proposeSession(input: $in) {
	session { ` + SessionFields + ` } warnings { code message field } } }`

// Propose has by propose a session between teacher and learner and returns it.
func (a *API) Propose(t testing.TB, by, teacher, learner Member, start time.Time, minutes int) Session {
	t.Helper()
	var out struct {
		ProposeSession struct{ Session Session }
	}
	apitest.Must(t, by.C.Do(t, ProposeMutation, a.ProposeVars(teacher, learner, start, minutes))).Decode(t, &out)
	return out.ProposeSession.Session
}

// Act runs one of the session mutations taking {sessionId} (plus extra input fields) and
// returns the response (not checked).
func (a *API) Act(t testing.TB, m Member, mutation, sessionID string, extra map[string]any) *apitest.Response {
	t.Helper()
	in := map[string]any{"sessionId": sessionID}
	for k, v := range extra {
		in[k] = v
	}
	inputType := map[string]string{
		"acceptSession": "AcceptSessionInput", "declineSession": "DeclineSessionInput",
		"proposeNewTime": "ProposeNewTimeInput", "cancelSession": "CancelSessionInput",
		"confirmSessionCompleted": "ConfirmSessionCompletedInput", "reportNoShow": "ReportNoShowInput",
		"reportSessionProblem": "ReportSessionProblemInput",
	}[mutation]
	if inputType == "" {
		t.Fatalf("unknown session mutation %s", mutation)
	}
	return m.C.Do(t, fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { session { %s } } }`, inputType, mutation, SessionFields),
		map[string]any{"in": in})
}

// MustAct runs Act, fails on errors and returns the session.
func (a *API) MustAct(t testing.TB, m Member, mutation, sessionID string, extra map[string]any) Session {
	t.Helper()
	r := apitest.Must(t, a.Act(t, m, mutation, sessionID, extra))
	var out map[string]struct{ Session Session }
	r.Decode(t, &out)
	return out[mutation].Session
}

// Confirmed has learner propose and teacher accept a session; it returns it confirmed.
func (a *API) Confirmed(t testing.TB, teacher, learner Member, start time.Time, minutes int) Session {
	t.Helper()
	s := a.Propose(t, learner, teacher, learner, start, minutes)
	return a.MustAct(t, teacher, "acceptSession", s.ID, nil)
}

// Get reads a session as m sees it.
func (a *API) Get(t testing.TB, m Member, id string) Session {
	t.Helper()
	var out struct{ SkillSession Session }
	apitest.Must(t, m.C.Do(t, `query($id: ID!) { skillSession(id: $id) { `+SessionFields+` } }`, map[string]any{"id": id})).Decode(t, &out)
	return out.SkillSession
}

// Balance is a member's CreditBalance.
type Balance struct {
	Balance   int `json:"balance"`
	Committed int `json:"committed"`
	Available int `json:"available"`
	Floor     int `json:"floor"`
}

// Balance reads m's credit balance.
func (a *API) Balance(t testing.TB, m Member) Balance {
	t.Helper()
	var out struct{ CreditBalance Balance }
	apitest.Must(t, m.C.Do(t, `{ creditBalance { balance committed available floor } }`, nil)).Decode(t, &out)
	return out.CreditBalance
}

// Ext returns extensions[key] of the first error of r ("" when absent).
func Ext(r *apitest.Response, key string) string {
	if len(r.Errors) == 0 {
		return ""
	}
	v, ok := r.Errors[0].Extensions[key]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
