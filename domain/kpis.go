package domain

import (
	"fmt"
	"time"
)

// The product's targets (issue 16): activation D+7 at least 65 %, retention W4 at least 40 %,
// NPS above 50. Rates are fractions (0 to 1); NPS runs from -100 to 100.
const (
	ActivationTarget  = 0.65
	RetentionW4Target = 0.40
	NPSTarget         = 50.0
)

// KPI windows, measured from the member's sign-up (users.created_at), in exact 24-hour days.
const (
	// ActivationWindow: the activating action counts when it happened at most this long after
	// sign-up (inclusive: an exchange at exactly 7×24 h counts).
	ActivationWindow = 7 * 24 * time.Hour
	// RetentionW4From and RetentionW4To bound the fourth week after sign-up, [day 21, day 28).
	RetentionW4From = 21 * 24 * time.Hour
	RetentionW4To   = 28 * 24 * time.Hour
	// CohortWeek is the length of a sign-up cohort (an ISO week, Monday 00:00 UTC onwards).
	CohortWeek = 7 * 24 * time.Hour
	// MaxKPIWeeks bounds one KPI query (two years of cohorts).
	MaxKPIWeeks = 104
)

// The NPS survey: offered once the member completed NPSSessionsBeforeSurvey skill sessions, and
// again at the earliest NPSSurveyInterval after their last answer or dismissal.
const (
	NPSSessionsBeforeSurvey = 2
	NPSSurveyInterval       = 90 * 24 * time.Hour
	MaxNPSCommentRunes      = 2000
)

// WeekStart returns the Monday 00:00 UTC that starts t's ISO week.
func WeekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	offset := (int(d.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return d.AddDate(0, 0, -offset)
}

// ISOWeekName names the ISO week that starts at (or contains) t, e.g. "2026-W05".
func ISOWeekName(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// NPSTally counts NPS responses (dismissals are not responses).
type NPSTally struct {
	Responses  int `db:"responses"`
	Promoters  int `db:"promoters"`
	Detractors int `db:"detractors"`
}

// Passives is the number of responses scoring 7 or 8.
func (t NPSTally) Passives() int { return t.Responses - t.Promoters - t.Detractors }

// Score is the Net Promoter Score, 100 × (promoters − detractors) / responses, from -100 to 100;
// nil without responses (a score of nothing is not 0).
func (t NPSTally) Score() *float64 {
	if t.Responses <= 0 {
		return nil
	}
	s := 100 * float64(t.Promoters-t.Detractors) / float64(t.Responses)
	return &s
}

// NPSPromoter reports whether a score promotes (9–10); 7–8 is passive.
func NPSPromoter(score int) bool { return score >= 9 }

// NPSDetractor reports whether a score detracts (0–6).
func NPSDetractor(score int) bool { return score <= 6 }

// KPICohort is one sign-up week's figures as the periodic refresh computed them at ComputedAt.
type KPICohort struct {
	// WeekStart is the Monday 00:00 UTC the cohort's week starts.
	WeekStart time.Time `db:"week_start"`
	// Members counts the cohort: verified, non-staff, non-erased accounts created that week.
	Members int `db:"members"`
	// Activated counts members who had their first two-way exchange within ActivationWindow.
	Activated int `db:"activated"`
	// RetainedW4 counts members active in [sign-up + 21 days, sign-up + 28 days).
	RetainedW4 int `db:"retained_w4"`
	// NPS tallies the responses of the cohort's members.
	NPS NPSTally
	// ComputedAt is the "as of" time of the figures (the last refresh's); nil before the first.
	ComputedAt *time.Time `db:"computed_at"`
}

// ActivationFinal reports whether every member's 7-day window had closed at ComputedAt.
func (c KPICohort) ActivationFinal() bool {
	return c.ComputedAt != nil && !c.ComputedAt.Before(c.WeekStart.Add(CohortWeek+ActivationWindow))
}

// RetentionW4Final reports whether every member's fourth week had ended at ComputedAt.
func (c KPICohort) RetentionW4Final() bool {
	return c.ComputedAt != nil && !c.ComputedAt.Before(c.WeekStart.Add(CohortWeek+RetentionW4To))
}

// ActivationRate is Activated / Members; nil for an empty cohort or while a member's window is
// still open (a partial rate would be read as a miss).
func (c KPICohort) ActivationRate() *float64 {
	if c.Members == 0 || !c.ActivationFinal() {
		return nil
	}
	r := float64(c.Activated) / float64(c.Members)
	return &r
}

// RetainedW4Count is RetainedW4, or nil while a member's fourth week has not ended.
func (c KPICohort) RetainedW4Count() *int {
	if !c.RetentionW4Final() {
		return nil
	}
	n := c.RetainedW4
	return &n
}

// RetentionW4Rate is RetainedW4 / Members; nil for an empty cohort or before the fourth week of
// its last member ended.
func (c KPICohort) RetentionW4Rate() *float64 {
	if c.Members == 0 || !c.RetentionW4Final() {
		return nil
	}
	r := float64(c.RetainedW4) / float64(c.Members)
	return &r
}

// NPSSurveyDue decides whether the survey is offered: after completed ≥ 2 skill sessions, and
// at least NPSSurveyInterval after the last answer or dismissal (lastAt nil: never).
func NPSSurveyDue(completed int, lastAt *time.Time, now time.Time) bool {
	if completed < NPSSessionsBeforeSurvey {
		return false
	}
	return lastAt == nil || !now.Before(lastAt.Add(NPSSurveyInterval))
}
