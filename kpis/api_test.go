package kpis_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/relay"
)

const (
	productKpis = `query($first: DateTime!, $last: DateTime!) { productKpis(firstWeek: $first, lastWeek: $last) {
		firstWeek lastWeek computedAt refreshIntervalSeconds targets { activationRate retentionW4Rate npsScore }
		nps { responses promoters passives detractors score }
		cohorts { weekStart isoWeek members activated activationRate retainedW4 retentionW4Rate nps { responses score } } } }`
	submitNps  = `mutation($in: SubmitNpsResponseInput!) { submitNpsResponse(input: $in) { user { id npsSurveyDue } } }`
	dismissNps = `mutation { dismissNpsSurvey { user { id npsSurveyDue } } }`
	surveyDue  = `{ viewer { npsSurveyDue } }`
)

// TestAuthorizationMatrix: every new operation × anonymous, member, SUPPORT, MODERATOR, ADMIN.
// The survey is every member's (nobody here is due: CONFLICT once authorised); the KPIs are
// ADMIN's alone.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	clients := map[string]*apitest.Client{"anonymous": srv.Client()}
	for _, role := range []domain.Role{domain.RoleMember, domain.RoleSupport, domain.RoleModerator, domain.RoleAdmin} {
		tok, c := srv.SignUp(t)
		if role != domain.RoleMember {
			srv.SetRoles(t, tok.User.ID, role)
		}
		clients[string(role)] = c
	}
	week := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	ops := []struct {
		name, query string
		vars        map[string]any
		want        map[string]string // role → code ("" is success)
	}{
		{"productKpis", productKpis, map[string]any{"first": week, "last": week}, map[string]string{
			"anonymous": "UNAUTHENTICATED", "MEMBER": "FORBIDDEN", "SUPPORT": "FORBIDDEN", "MODERATOR": "FORBIDDEN", "ADMIN": ""}},
		{"submitNpsResponse", submitNps, map[string]any{"in": map[string]any{"score": 9}}, map[string]string{
			"anonymous": "UNAUTHENTICATED", "MEMBER": "CONFLICT", "SUPPORT": "CONFLICT", "MODERATOR": "CONFLICT", "ADMIN": "CONFLICT"}},
		{"dismissNpsSurvey", dismissNps, nil, map[string]string{
			"anonymous": "UNAUTHENTICATED", "MEMBER": "CONFLICT", "SUPPORT": "CONFLICT", "MODERATOR": "CONFLICT", "ADMIN": "CONFLICT"}},
		{"viewer.npsSurveyDue", surveyDue, nil, map[string]string{
			"anonymous": "UNAUTHENTICATED", "MEMBER": "", "SUPPORT": "", "MODERATOR": "", "ADMIN": ""}},
	}
	for _, op := range ops {
		for who, c := range clients {
			res := c.Do(t, op.query, op.vars)
			if got := res.Code(); got != op.want[who] {
				t.Errorf("%s as %s: code %q, want %q (%s)", op.name, who, got, op.want[who], res.Raw)
			}
		}
	}
}

// TestSurveyAndKpisThroughTheAPI: a member with two completed sessions is offered the survey,
// answers it (input errors name their field), is not offered it again, and the answer shows in
// the admin's KPIs after a refresh.
func TestSurveyAndKpisThroughTheAPI(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, member := srv.SignUp(t)
	ptok, _ := srv.SignUp(t)
	atok, admin := srv.SignUp(t)
	srv.SetRoles(t, atok.User.ID, domain.RoleAdmin)
	ctx := context.Background()
	id := func(gid string) uuid.UUID {
		u, err := relay.ParseID(relay.KindUser, gid, "id")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	due := func(want bool) {
		t.Helper()
		var out struct{ Viewer struct{ NpsSurveyDue *bool } }
		apitest.Must(t, member.Do(t, surveyDue, nil)).Decode(t, &out)
		if out.Viewer.NpsSurveyDue == nil || *out.Viewer.NpsSurveyDue != want {
			t.Fatalf("viewer.npsSurveyDue = %v, want %v", out.Viewer.NpsSurveyDue, want)
		}
	}
	due(false)
	res := member.Do(t, submitNps, map[string]any{"in": map[string]any{"score": 9}})
	if res.Code() != "CONFLICT" || res.Errors[0].Extensions["reason"] != "NPS_SURVEY_NOT_DUE" {
		t.Fatalf("answering before two sessions: %s", res.Raw)
	}
	for i := range 2 {
		end := time.Now().Add(-time.Duration(48+i*24) * time.Hour)
		if _, err := srv.App.Pool.Exec(ctx, `INSERT INTO skill_sessions (id, skill_id, teacher_id, learner_id, created_by, proposer_id,
				starts_at, duration_minutes, ends_at, mode, link, state, teacher_confirmed_at, learner_confirmed_at, completed_at)
			SELECT $1, (SELECT id FROM skills WHERE status = 'APPROVED' ORDER BY slug LIMIT 1), $2, $3, $3, $3, $4, 60, $5, 'ONLINE',
				'https://meet.example/x', 'COMPLETED', $5, $5, $5`,
			uuid.Must(uuid.NewV7()), id(ptok.User.ID), id(tok.User.ID), end.Add(-time.Hour), end); err != nil {
			t.Fatal(err)
		}
	}
	due(true)
	for _, tc := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"score": 11}, "input.score"},
		{map[string]any{"score": -1}, "input.score"},
		{map[string]any{"score": 9, "comment": string(make([]rune, 2001))}, "input.comment"},
	} {
		if res := member.Do(t, submitNps, map[string]any{"in": tc.in}); res.Code() != "BAD_USER_INPUT" || res.Field() != tc.field {
			t.Errorf("%v: %s, want BAD_USER_INPUT on %s", tc.in, res.Raw, tc.field)
		}
	}
	var out struct {
		SubmitNpsResponse struct{ User struct{ NpsSurveyDue *bool } }
	}
	apitest.Must(t, member.Do(t, submitNps, map[string]any{"in": map[string]any{"score": 10, "comment": "Found a great teacher"}})).Decode(t, &out)
	if d := out.SubmitNpsResponse.User.NpsSurveyDue; d == nil || *d {
		t.Fatalf("after answering, the payload says npsSurveyDue = %v", d)
	}
	due(false)
	if res := member.Do(t, dismissNps, nil); res.Code() != "CONFLICT" {
		t.Fatalf("dismissing after answering: %s", res.Raw)
	}

	// The admin's view: before any refresh the cohort figures are empty and computedAt null; the
	// overall NPS is live.
	week := time.Now().UTC()
	var kp struct {
		ProductKpis struct {
			ComputedAt             *string
			RefreshIntervalSeconds int
			Targets                struct{ ActivationRate, RetentionW4Rate, NpsScore float64 }
			Nps                    struct {
				Responses, Promoters int
				Score                *float64
			}
			Cohorts []struct {
				IsoWeek         string
				Members         int
				ActivationRate  *float64
				RetainedW4      *int
				RetentionW4Rate *float64
				Nps             struct{ Responses int }
			}
		}
	}
	vars := map[string]any{"first": week.Add(-7 * 24 * time.Hour).Format(time.RFC3339), "last": week.Format(time.RFC3339)}
	apitest.Must(t, admin.Do(t, productKpis, vars)).Decode(t, &kp)
	p := kp.ProductKpis
	if p.ComputedAt != nil || len(p.Cohorts) != 2 || p.Cohorts[1].Members != 0 || p.Nps.Responses != 1 || p.Nps.Score == nil || *p.Nps.Score != 100 ||
		p.Targets.ActivationRate != 0.65 || p.Targets.RetentionW4Rate != 0.40 || p.Targets.NpsScore != 50 || p.RefreshIntervalSeconds != 3600 {
		t.Fatalf("before a refresh: %+v", p)
	}
	if _, err := srv.App.KPIs.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	apitest.Must(t, admin.Do(t, productKpis, vars)).Decode(t, &kp)
	p = kp.ProductKpis
	// This week's cohort: the two members signed up now (the admin is staff: not counted);
	// its windows are open, so its rates are null, never NaN.
	c := p.Cohorts[1]
	if p.ComputedAt == nil || c.IsoWeek != domain.ISOWeekName(week) || c.Members != 2 || c.ActivationRate != nil ||
		c.RetainedW4 != nil || c.RetentionW4Rate != nil || c.Nps.Responses != 1 {
		t.Fatalf("after a refresh: %+v", p)
	}
	for _, tc := range []struct {
		first, last time.Time
	}{
		{week, week.Add(-7 * 24 * time.Hour)},
		{week, week.Add(104 * 7 * 24 * time.Hour)},
	} {
		res := admin.Do(t, productKpis, map[string]any{"first": tc.first.Format(time.RFC3339), "last": tc.last.Format(time.RFC3339)})
		if res.Code() != "BAD_USER_INPUT" || res.Field() != "lastWeek" {
			t.Errorf("%v..%v: %s, want BAD_USER_INPUT on lastWeek", tc.first, tc.last, res.Raw)
		}
	}
}

// TestRefreshJobRunsAtStart: the periodic refresh is registered with the workers and runs once
// when they start, so a fresh deployment's admin panel has figures without waiting an interval.
func TestRefreshJobRunsAtStart(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RunWorkers = true
	srv := apitest.Start(t, cfg)
	atok, admin := srv.SignUp(t)
	srv.SetRoles(t, atok.User.ID, domain.RoleAdmin)
	week := time.Now().UTC().Format(time.RFC3339)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var out struct {
			ProductKpis struct{ ComputedAt *time.Time }
		}
		apitest.Must(t, admin.Do(t, `query($w: DateTime!) { productKpis(firstWeek: $w, lastWeek: $w) { computedAt } }`,
			map[string]any{"w": week})).Decode(t, &out)
		if out.ProductKpis.ComputedAt != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the KPI refresh did not run within a minute of the workers' start")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
