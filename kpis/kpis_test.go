package kpis_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/kpis"
	"github.com/skillswap/skillswap/store"
)

// env is a fresh database with a settable clock; rows are written in SQL so each test states
// exactly when every action happened.
type env struct {
	*skillsessiontest.Env
	t   *testing.T
	ctx context.Context
	svc *kpis.Service
	seq atomic.Int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{Env: skillsessiontest.New(t), t: t, ctx: context.Background()}
	e.svc = kpis.NewService(e.Store, kpis.Config{Now: e.Clock.Now}, slog.New(slog.DiscardHandler))
	return e
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.Store.Pool().Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%v\n%s", err, sql)
	}
}

// member is how a test account is made.
type member struct {
	roles      string // '{MEMBER}' unless set
	unverified bool
	erased     bool
}

func (e *env) user(created time.Time, m member) uuid.UUID {
	e.t.Helper()
	id := uuid.Must(uuid.NewV7())
	roles := m.roles
	if roles == "" {
		roles = "{MEMBER}"
	}
	var verified, erased *time.Time
	status := "ACTIVE"
	if !m.unverified && !m.erased {
		verified = &created
	}
	if m.erased {
		status, erased = "ERASED", &created
	}
	e.exec(`INSERT INTO users (id, email, password_hash, display_name, roles, status, created_at, updated_at, email_verified_at, erased_at)
		VALUES ($1, $2, 'x', 'M', $3, $4, $5, $5, $6, $7)`,
		id, fmt.Sprintf("k%d-%s@example.com", e.seq.Add(1), id), roles, status, created, verified, erased)
	return id
}

// conversation opens a conversation of kind GROUP or SUPPORT.
func (e *env) conversation(kind string, at time.Time) uuid.UUID {
	e.t.Helper()
	id := uuid.Must(uuid.NewV7())
	e.exec(`INSERT INTO conversations (id, kind, created_at, activity_at) VALUES ($1, $2, $3, $3)`, id, kind, at)
	return id
}

func (e *env) message(conv, sender uuid.UUID, at time.Time) {
	e.t.Helper()
	n := e.seq.Add(1)
	e.exec(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at) VALUES ($1, $2, $3, $4, $5, 'hi', $6)`,
		uuid.Must(uuid.NewV7()), conv, n, sender, fmt.Sprint("c", n), at)
}

// session inserts a skill session between teacher and learner in state, completed at
// completedAt when COMPLETED, proposed by the learner at proposedAt; it returns its id.
func (e *env) session(teacher, learner uuid.UUID, state string, proposedAt time.Time, completedAt *time.Time) uuid.UUID {
	e.t.Helper()
	id := uuid.Must(uuid.NewV7())
	start := proposedAt.Add(24 * time.Hour)
	if completedAt != nil {
		start = completedAt.Add(-2 * time.Hour)
	}
	var tc, lc *time.Time
	if state == "COMPLETED" {
		tc, lc = completedAt, completedAt
	}
	e.exec(`INSERT INTO skill_sessions (id, skill_id, teacher_id, learner_id, created_by, proposer_id, starts_at, duration_minutes, ends_at,
			mode, link, state, teacher_confirmed_at, learner_confirmed_at, completed_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4, $4, $5, 60, $6, 'ONLINE', 'https://meet.example/x', $7, $8, $9, $10, $11, $11)`,
		id, e.SkillID, teacher, learner, start, start.Add(time.Hour), state, tc, lc, completedAt, proposedAt)
	return id
}

func (e *env) proposal(session, proposer uuid.UUID, at time.Time) {
	e.t.Helper()
	e.exec(`INSERT INTO session_proposals (id, session_id, proposer_id, starts_at, duration_minutes, created_at) VALUES ($1, $2, $3, $4, 60, $5)`,
		uuid.Must(uuid.NewV7()), session, proposer, at.Add(48*time.Hour), at)
}

func (e *env) nps(user uuid.UUID, score *int, at time.Time) {
	e.t.Helper()
	e.exec(`INSERT INTO nps_responses (id, user_id, score, created_at) VALUES ($1, $2, $3, $4)`, uuid.Must(uuid.NewV7()), user, score, at)
}

func score(n int) *int { return &n }

const day = 24 * time.Hour

var admin = domain.Actor{User: domain.User{ID: uuid.New(), Roles: []domain.Role{domain.RoleAdmin}}}

// TestCohortDefinitions builds cohorts whose every member sits on an edge of a definition, then
// checks each cohort's figures after a refresh.
func TestCohortDefinitions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // Monday of ISO week 2026-W02
	asOf := w.Add(40 * day)
	e.Clock.Set(asOf)

	// Partners from long before: in their own cohort (W-10), never in W's figures.
	old := w.Add(-70 * day)
	p, q := e.user(old, member{}), e.user(old, member{})

	// Week W.
	a := e.user(w.Add(1*day+10*time.Hour), member{})
	b := e.user(w.Add(2*day), member{})
	c := e.user(w.Add(3*day), member{})
	c2 := e.user(w.Add(6*day+23*time.Hour+59*time.Minute), member{}) // Sunday 23:59 UTC: still week W
	staff := e.user(w.Add(1*day), member{roles: "{MEMBER,ADMIN}"})
	unverified := e.user(w.Add(1*day), member{unverified: true})
	erased := e.user(w.Add(1*day), member{erased: true})
	created := map[uuid.UUID]time.Time{a: w.Add(1*day + 10*time.Hour), b: w.Add(2 * day), c: w.Add(3 * day), c2: w.Add(6*day + 23*time.Hour + 59*time.Minute)}

	// a: writes after an hour, p answers at exactly 7×24 h: activated (the window is inclusive).
	conv := e.conversation("GROUP", old)
	e.message(conv, a, created[a].Add(time.Hour))
	e.message(conv, p, created[a].Add(7*day))
	// b: p answers one second too late: not activated.
	conv = e.conversation("GROUP", old)
	e.message(conv, b, created[b].Add(time.Hour))
	e.message(conv, p, created[b].Add(7*day+time.Second))
	// c: writes, nobody answers (q writes in another conversation): not activated.
	e.message(e.conversation("GROUP", old), c, created[c].Add(time.Hour))
	e.message(e.conversation("GROUP", old), q, created[c].Add(2*time.Hour))
	// c2: an exchange with support does not activate.
	conv = e.conversation("SUPPORT", old)
	e.message(conv, c2, created[c2].Add(time.Hour))
	e.message(conv, q, created[c2].Add(2*time.Hour))
	// Excluded accounts, all with exchanges and activity.
	for _, x := range []uuid.UUID{staff, unverified, erased} {
		conv = e.conversation("GROUP", old)
		e.message(conv, x, w.Add(2*day))
		e.message(conv, p, w.Add(2*day+time.Hour))
		e.message(conv, x, w.Add(25*day))
	}

	// Week 4, [day 21, day 28): a writes at exactly day 21 (in); b proposes at exactly day 28
	// (out); c's session completes a minute before day 28 (in); c2 makes a counter-proposal on
	// day 22 (in). b also wrote on day 20 (out).
	e.message(e.conversation("GROUP", old), a, created[a].Add(21*day))
	s := e.session(p, b, "PROPOSED", created[b].Add(27*day), nil)
	e.proposal(s, b, created[b].Add(28*day))
	e.message(e.conversation("GROUP", old), b, created[b].Add(20*day))
	e.session(q, c, "COMPLETED", created[c].Add(20*day), new(created[c].Add(28*day-time.Minute)))
	s = e.session(c2, q, "PROPOSED", created[c2].Add(10*day), nil)
	e.proposal(s, c2, created[c2].Add(22*day))

	// NPS of W's members: 10, 9, 7, 3 and a dismissal; the staff member's 0 is not W's.
	e.nps(a, score(10), w.Add(30*day))
	e.nps(a, nil, w.Add(31*day))
	e.nps(b, score(9), w.Add(30*day))
	e.nps(c, score(7), w.Add(30*day))
	e.nps(c2, score(3), w.Add(30*day))
	e.nps(staff, score(0), w.Add(30*day))
	// After the refresh's time: not counted in the cohort.
	e.nps(p, score(10), asOf.Add(time.Hour))

	// Week W+3 (Y): final activation, week 4 still running.
	y := w.Add(21 * day)
	ym := e.user(y.Add(time.Hour), member{})
	conv = e.conversation("GROUP", old)
	e.message(conv, ym, y.Add(2*time.Hour))
	e.message(conv, q, y.Add(3*time.Hour))
	// Week W+5 (Z): one member activated so far, window still open.
	z := w.Add(35 * day)
	zm := e.user(z.Add(time.Hour), member{})
	conv = e.conversation("GROUP", old)
	e.message(conv, zm, z.Add(2*time.Hour))
	e.message(conv, p, z.Add(3*time.Hour))
	// A member who signs up after the refresh's time is not counted yet.
	e.user(asOf.Add(time.Minute), member{})

	if _, err := e.svc.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := e.svc.Cohorts(e.ctx, admin, w.Add(-7*day), z.Add(6*day)) // W-1 .. W+5
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cohorts) != 7 || !rep.FirstWeek.Equal(w.Add(-7*day)) || !rep.LastWeek.Equal(z) {
		t.Fatalf("weeks %v..%v, %d cohorts", rep.FirstWeek, rep.LastWeek, len(rep.Cohorts))
	}
	if rep.ComputedAt == nil || !rep.ComputedAt.Equal(asOf) {
		t.Fatalf("computedAt %v, want %v", rep.ComputedAt, asOf)
	}
	byWeek := map[time.Time]domain.KPICohort{}
	for _, c := range rep.Cohorts {
		byWeek[c.WeekStart] = c
	}
	f := func(p *float64) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprintf("%.4f", *p)
	}
	i := func(p *int) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	for _, tc := range []struct {
		name string
		week time.Time
		want string // members activated activationRate retainedW4 retentionRate | nps responses promoters detractors score
	}{
		{"empty week, final", w.Add(-7 * day), "0 0 null 0 null | 0 0 0 null"},
		{"edge cases", w, "4 1 0.2500 3 0.7500 | 4 2 1 25.0000"},
		{"empty week after", w.Add(7 * day), "0 0 null null null | 0 0 0 null"},
		{"week 4 not over", y, "1 1 1.0000 null null | 0 0 0 null"},
		{"activation window open", z, "1 1 null null null | 0 0 0 null"},
	} {
		c := byWeek[tc.week]
		got := fmt.Sprintf("%d %d %s %s %s | %d %d %d %s", c.Members, c.Activated, f(c.ActivationRate()), i(c.RetainedW4Count()),
			f(c.RetentionW4Rate()), c.NPS.Responses, c.NPS.Promoters, c.NPS.Detractors, f(c.NPS.Score()))
		if got != tc.want {
			t.Errorf("%s (%s): got %q, want %q", tc.name, domain.ISOWeekName(tc.week), got, tc.want)
		}
	}
	// The overall NPS counts every answer submitted over the weeks, by anyone (the staff
	// member's 0 and p's late 10 included), never a dismissal.
	if n := rep.NPS; n.Responses != 6 || n.Promoters != 3 || n.Detractors != 2 || f(n.Score()) != "16.6667" {
		t.Errorf("overall NPS %+v score %s", n, f(n.Score()))
	}
}

// TestCohortRange: the range is bounded (104 weeks) and ordered; ADMIN only.
func TestCohortRange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := time.Date(2026, 1, 7, 15, 0, 0, 0, time.UTC) // a Wednesday: its week starts on the 5th
	for _, tc := range []struct {
		name        string
		first, last time.Time
		wantField   string
		wantWeeks   int
	}{
		{"one week", w, w, "", 1},
		{"104 weeks", w, w.Add(103 * 7 * day), "", 104},
		{"105 weeks", w, w.Add(104 * 7 * day), "lastWeek", 0},
		{"reversed", w, w.Add(-7 * day), "lastWeek", 0},
		{"same week, earlier instant", w, w.Add(-2 * day), "", 1},
	} {
		rep, err := e.svc.Cohorts(e.ctx, admin, tc.first, tc.last)
		var de *domain.Error
		switch {
		case tc.wantField != "":
			if !asDomain(err, &de) || de.Kind != domain.KindInvalid || de.Field != tc.wantField {
				t.Errorf("%s: err %v, want BAD_USER_INPUT on %s", tc.name, err, tc.wantField)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case len(rep.Cohorts) != tc.wantWeeks || !rep.FirstWeek.Equal(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)):
			t.Errorf("%s: %d weeks from %v", tc.name, len(rep.Cohorts), rep.FirstWeek)
		case rep.ComputedAt != nil:
			t.Errorf("%s: computed at %v before any refresh", tc.name, rep.ComputedAt)
		}
	}
	// A refresh that finds no member still says when it ran: the old empty weeks are final.
	e.Clock.Set(w.Add(100 * day))
	if _, err := e.svc.Refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := e.svc.Cohorts(e.ctx, admin, w, w)
	if err != nil || rep.ComputedAt == nil || !rep.ComputedAt.Equal(w.Add(100*day)) || rep.Cohorts[0].RetainedW4Count() == nil ||
		*rep.Cohorts[0].RetainedW4Count() != 0 || rep.Cohorts[0].RetentionW4Rate() != nil {
		t.Fatalf("after an empty refresh: %+v (%v)", rep, err)
	}
	for _, role := range []domain.Role{domain.RoleMember, domain.RoleSupport, domain.RoleModerator} {
		actor := domain.Actor{User: domain.User{ID: uuid.New(), Roles: []domain.Role{domain.RoleMember, role}}}
		if _, err := e.svc.Cohorts(e.ctx, actor, w, w); !domain.IsKind(err, domain.KindForbidden) {
			t.Errorf("%s: %v, want FORBIDDEN", role, err)
		}
	}
}

func asDomain(err error, de **domain.Error) bool { return errors.As(err, de) }

// TestSurveyEligibility: offered after the second completed session, not again within 90 days
// of an answer or a dismissal.
func TestSurveyEligibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.Clock.Now()
	m := e.User(t, "Member")
	partner := e.User(t, "Partner")
	actor := skillsessiontest.As(m)
	due := func(want bool, when string) {
		t.Helper()
		got, err := e.svc.SurveyDue(e.ctx, actor)
		if err != nil || got != want {
			t.Fatalf("%s: due %v (%v), want %v", when, got, err, want)
		}
	}
	notDue := func(err error, when string) {
		t.Helper()
		var de *domain.Error
		if !asDomain(err, &de) || de.Kind != domain.KindConflict || de.Details["reason"] != kpis.ReasonSurveyNotDue {
			t.Fatalf("%s: %v, want CONFLICT %s", when, err, kpis.ReasonSurveyNotDue)
		}
	}
	due(false, "no session")
	notDue(e.svc.Submit(e.ctx, actor, 9, nil), "answer with no session")
	notDue(e.svc.Dismiss(e.ctx, actor), "dismiss with no session")
	e.session(partner.ID, m.ID, "COMPLETED", now.Add(-10*day), new(now.Add(-5*day)))
	e.session(partner.ID, m.ID, "CONFIRMED", now.Add(-10*day), nil) // not completed: does not count
	e.session(partner.ID, m.ID, "DECLINED", now.Add(-10*day), nil)
	due(false, "one completed session")
	notDue(e.svc.Submit(e.ctx, actor, 9, nil), "answer after one session")
	e.session(m.ID, partner.ID, "COMPLETED", now.Add(-9*day), new(now.Add(-4*day))) // teaching counts too
	due(true, "two completed sessions")

	// Bad input is refused before anything is recorded.
	for _, tc := range []struct {
		score   int
		comment string
		field   string
	}{
		{-1, "", "score"}, {11, "", "score"}, {9, strings.Repeat("é", domain.MaxNPSCommentRunes+1), "comment"},
	} {
		var de *domain.Error
		if err := e.svc.Submit(e.ctx, actor, tc.score, &tc.comment); !asDomain(err, &de) || de.Kind != domain.KindInvalid || de.Field != tc.field {
			t.Errorf("score %d, comment of %d: %v, want BAD_USER_INPUT on %s", tc.score, len([]rune(tc.comment)), err, tc.field)
		}
	}
	due(true, "after refused input")
	long := "  " + strings.Repeat("é", domain.MaxNPSCommentRunes) + "  "
	if err := e.svc.Submit(e.ctx, actor, 10, &long); err != nil {
		t.Fatal(err)
	}
	due(false, "just answered")
	notDue(e.svc.Submit(e.ctx, actor, 8, nil), "a second answer")
	notDue(e.svc.Dismiss(e.ctx, actor), "a dismissal after answering")
	var stored int
	if err := e.Store.Pool().QueryRow(e.ctx, `SELECT char_length(comment) FROM nps_responses WHERE user_id = $1`, m.ID).Scan(&stored); err != nil || stored != domain.MaxNPSCommentRunes {
		t.Fatalf("stored comment of %d characters (%v), want it trimmed to %d", stored, err, domain.MaxNPSCommentRunes)
	}

	e.Clock.Set(now.Add(89 * day))
	due(false, "89 days after the answer")
	notDue(e.svc.Submit(e.ctx, actor, 8, nil), "answer at 89 days")
	e.Clock.Set(now.Add(90 * day))
	due(true, "exactly 90 days after the answer")
	e.Clock.Set(now.Add(91 * day))
	due(true, "91 days after the answer")
	if err := e.svc.Dismiss(e.ctx, actor); err != nil {
		t.Fatal(err)
	}
	due(false, "just dismissed")
	e.Clock.Set(now.Add(91*day + 89*day))
	due(false, "89 days after the dismissal")
	e.Clock.Set(now.Add(91*day + 91*day))
	blank := "   "
	if err := e.svc.Submit(e.ctx, actor, 6, &blank); err != nil {
		t.Fatalf("91 days after the dismissal: %v", err)
	}
	var answers, dismissals, comments int
	if err := e.Store.Pool().QueryRow(e.ctx, `SELECT count(score), count(*) - count(score), count(comment) FROM nps_responses WHERE user_id = $1`,
		m.ID).Scan(&answers, &dismissals, &comments); err != nil || answers != 2 || dismissals != 1 || comments != 1 {
		t.Fatalf("%d answers, %d dismissals, %d comments (%v); want 2, 1, 1 (a blank comment is none)", answers, dismissals, comments, err)
	}
	// The member's data export holds their answers and dismissal, without their id.
	i := slices.IndexFunc(store.ExportFiles, func(f store.ExportFile) bool { return f.Name == "nps_responses.json" })
	if i < 0 {
		t.Fatal("no nps_responses.json in store.ExportFiles")
	}
	rows, err := e.Store.Pool().Query(e.ctx, store.ExportFiles[i].SQL, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	exported, err := pgx.CollectRows(rows, pgx.RowTo[map[string]any])
	if err != nil || len(exported) != 3 || exported[0]["score"] != float64(10) || exported[0]["comment"] == nil ||
		exported[1]["score"] != nil || exported[2]["score"] != float64(6) || exported[0]["user_id"] != nil {
		t.Fatalf("exported %v (%v)", exported, err)
	}
	if _, err := e.svc.SurveyDue(e.ctx, domain.Actor{}); !domain.IsKind(err, domain.KindUnauthenticated) {
		t.Fatalf("signed out: %v", err)
	}
}
