package domain

import (
	"fmt"
	"testing"
	"time"
)

func TestNPSScore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scores []int
		want   string // responses promoters passives detractors score
	}{
		{nil, "0 0 0 0 null"},
		{[]int{10, 9}, "2 2 0 0 100.00"},
		{[]int{0, 6}, "2 0 0 2 -100.00"},
		{[]int{7, 8}, "2 0 2 0 0.00"},
		{[]int{9, 8, 7, 6}, "4 1 2 1 0.00"},
		{[]int{10, 10, 9, 3, 7, 8}, "6 3 2 1 33.33"},
		{[]int{9, 6, 6}, "3 1 0 2 -33.33"},
	} {
		var n NPSTally
		for _, s := range tc.scores {
			n.Responses++
			if NPSPromoter(s) {
				n.Promoters++
			}
			if NPSDetractor(s) {
				n.Detractors++
			}
		}
		score := "null"
		if s := n.Score(); s != nil {
			score = fmt.Sprintf("%.2f", *s)
		}
		if got := fmt.Sprintf("%d %d %d %d %s", n.Responses, n.Promoters, n.Passives(), n.Detractors, score); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.scores, got, tc.want)
		}
	}
}

func TestWeekStart(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), "2026-01-05 2026-W02"},
		{time.Date(2026, 1, 11, 23, 59, 59, 0, time.UTC), "2026-01-05 2026-W02"},
		{time.Date(2026, 1, 12, 0, 30, 0, 0, paris), "2026-01-05 2026-W02"}, // Sunday 23:30 UTC
		{time.Date(2021, 1, 3, 12, 0, 0, 0, time.UTC), "2020-12-28 2020-W53"},
		{time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC), "2025-12-29 2026-W01"},
	} {
		ws := WeekStart(tc.in)
		if got := ws.Format("2006-01-02") + " " + ISOWeekName(ws); got != tc.want || ws.Location() != time.UTC || ws.Weekday() != time.Monday {
			t.Errorf("%v: %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestNPSSurveyDue(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for _, tc := range []struct {
		completed int
		last      *time.Time
		want      bool
	}{
		{0, nil, false}, {1, nil, false}, {2, nil, true}, {5, nil, true},
		{2, ago(89 * 24 * time.Hour), false}, {2, ago(NPSSurveyInterval - time.Second), false},
		{2, ago(NPSSurveyInterval), true}, {2, ago(91 * 24 * time.Hour), true},
		{1, ago(200 * 24 * time.Hour), false},
	} {
		if got := NPSSurveyDue(tc.completed, tc.last, now); got != tc.want {
			t.Errorf("completed %d, last %v: %v, want %v", tc.completed, tc.last, got, tc.want)
		}
	}
}

func TestKPICohortRates(t *testing.T) {
	t.Parallel()
	week := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := week.Add(d); return &t }
	day := 24 * time.Hour
	for _, tc := range []struct {
		name     string
		c        KPICohort
		wantAct  string
		wantRet  string
		wantRetN string
	}{
		{"never computed", KPICohort{WeekStart: week, Members: 3, Activated: 2}, "null", "null", "null"},
		{"empty, final", KPICohort{WeekStart: week, ComputedAt: at(100 * day)}, "null", "null", "0"},
		{"activation window just closed", KPICohort{WeekStart: week, Members: 4, Activated: 3, ComputedAt: at(14 * day)}, "0.75", "null", "null"},
		{"activation window open", KPICohort{WeekStart: week, Members: 4, Activated: 3, ComputedAt: at(14*day - time.Second)}, "null", "null", "null"},
		{"week 4 just over", KPICohort{WeekStart: week, Members: 4, Activated: 3, RetainedW4: 1, ComputedAt: at(35 * day)}, "0.75", "0.25", "1"},
		{"week 4 not over", KPICohort{WeekStart: week, Members: 4, RetainedW4: 1, ComputedAt: at(35*day - time.Second)}, "0.00", "null", "null"},
	} {
		f := func(p *float64) string {
			if p == nil {
				return "null"
			}
			return fmt.Sprintf("%.2f", *p)
		}
		n := "null"
		if p := tc.c.RetainedW4Count(); p != nil {
			n = fmt.Sprint(*p)
		}
		if a, r := f(tc.c.ActivationRate()), f(tc.c.RetentionW4Rate()); a != tc.wantAct || r != tc.wantRet || n != tc.wantRetN {
			t.Errorf("%s: activation %s retention %s retained %s, want %s %s %s", tc.name, a, r, n, tc.wantAct, tc.wantRet, tc.wantRetN)
		}
	}
}
