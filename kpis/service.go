// Package kpis owns the product's KPIs and the in-app NPS survey: activation D+7, retention W4
// and NPS by sign-up-week cohort for the admin panel (ADMIN), computed in SQL into the
// kpi_cohorts summary by a periodic job, and the survey members answer or dismiss. The
// definitions are in docs/kpis.md and the schema's descriptions (schema/kpis.graphqls); the SQL
// that implements them is store/kpis.go.
package kpis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// ReasonSurveyNotDue is extensions.reason of the CONFLICT answering or dismissing a survey that
// is not offered (clients hold it, so it never changes).
const ReasonSurveyNotDue = "NPS_SURVEY_NOT_DUE"

// DefaultRefreshInterval is how often the cohorts are recomputed when Config leaves it unset.
const DefaultRefreshInterval = time.Hour

// Config configures the service.
type Config struct {
	// RefreshInterval is how often the periodic job recomputes kpi_cohorts
	// (KPI_REFRESH_INTERVAL; 0: DefaultRefreshInterval): the admin figures are at most this old.
	RefreshInterval time.Duration
	// Now is the clock (tests set it); nil: time.Now.
	Now func() time.Time
}

// Service serves the KPIs and the survey.
type Service struct {
	store    *store.Store
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// NewService builds the service.
func NewService(st *store.Store, cfg Config, log *slog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = DefaultRefreshInterval
	}
	return &Service{store: st, interval: cfg.RefreshInterval, now: cfg.Now, log: log}
}

// Report is the admin panel's KPI view of a range of sign-up weeks.
type Report struct {
	// FirstWeek and LastWeek are the Mondays (00:00 UTC) starting the first and last cohorts.
	FirstWeek, LastWeek time.Time
	// Cohorts has one entry per week, oldest first, empty weeks included.
	Cohorts []domain.KPICohort
	// NPS tallies every response submitted from FirstWeek to the end of LastWeek's week, by
	// anyone (live, not from the summary).
	NPS domain.NPSTally
	// ComputedAt is when the cohort figures were computed (nil before the first refresh).
	ComputedAt *time.Time
	// RefreshInterval is how often they are recomputed.
	RefreshInterval time.Duration
}

// Cohorts returns the KPIs of the sign-up weeks containing first to last (at most
// domain.MaxKPIWeeks weeks). ADMIN only. BAD_USER_INPUT on lastWeek when it comes before
// firstWeek or the range is too long.
func (s *Service) Cohorts(ctx context.Context, actor domain.Actor, first, last time.Time) (Report, error) {
	if err := actor.RequireRole(domain.RoleAdmin); err != nil {
		return Report{}, err
	}
	first, last = domain.WeekStart(first), domain.WeekStart(last)
	if last.Before(first) {
		return Report{}, domain.Invalid("lastWeek", "must not come before firstWeek")
	}
	if weeks := int(last.Sub(first)/domain.CohortWeek) + 1; weeks > domain.MaxKPIWeeks {
		return Report{}, domain.Invalid("lastWeek", "at most %d weeks at once (asked for %d)", domain.MaxKPIWeeks, weeks)
	}
	q := s.store.Reader(ctx) // heavy and read-only: the replica when in step
	cohorts, err := q.KPICohorts(ctx, first, last)
	if err != nil {
		return Report{}, fmt.Errorf("kpi cohorts: %w", err)
	}
	nps, err := q.NPSBetween(ctx, first, last.Add(domain.CohortWeek))
	if err != nil {
		return Report{}, fmt.Errorf("kpi nps: %w", err)
	}
	r := Report{FirstWeek: first, LastWeek: last, Cohorts: cohorts, NPS: nps, RefreshInterval: s.interval}
	if len(cohorts) > 0 {
		r.ComputedAt = cohorts[0].ComputedAt
	}
	return r, nil
}

// Refresh recomputes every cohort as of now (the periodic job calls it) and returns how many
// cohorts have members.
func (s *Service) Refresh(ctx context.Context) (int64, error) {
	start := time.Now()
	n, err := s.store.RefreshKPICohorts(ctx, s.now())
	if err != nil {
		return 0, err
	}
	s.log.InfoContext(ctx, "kpi cohorts refreshed", "cohorts", n, "took_ms", time.Since(start).Milliseconds())
	return n, nil
}

// SurveyDue reports whether the app should offer the actor the NPS survey now.
func (s *Service) SurveyDue(ctx context.Context, actor domain.Actor) (bool, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return false, err
	}
	completed, last, err := s.store.Q().NPSSurveyState(ctx, actor.ID(), s.now())
	if err != nil {
		return false, fmt.Errorf("nps survey due: %w", err)
	}
	return domain.NPSSurveyDue(completed, last, s.now()), nil
}

// Submit records the actor's answer: score 0 to 10, an optional comment (trimmed; blank is
// none; at most domain.MaxNPSCommentRunes characters). BAD_USER_INPUT on score or comment;
// CONFLICT (reason NPS_SURVEY_NOT_DUE) when the survey is not offered to them now.
func (s *Service) Submit(ctx context.Context, actor domain.Actor, score int, comment *string) error {
	if err := actor.RequireSignedIn(); err != nil {
		return err
	}
	if score < 0 || score > 10 {
		return domain.Invalid("score", "must be between 0 and 10")
	}
	if comment != nil {
		c := strings.TrimSpace(*comment)
		switch {
		case c == "":
			comment = nil
		case utf8.RuneCountInString(c) > domain.MaxNPSCommentRunes:
			return domain.Invalid("comment", "at most %d characters", domain.MaxNPSCommentRunes)
		default:
			comment = &c
		}
	}
	return s.record(ctx, actor, &score, comment)
}

// Dismiss records that the actor closed the survey without answering: it is not offered again
// for 90 days. CONFLICT (reason NPS_SURVEY_NOT_DUE) when it is not offered now.
func (s *Service) Dismiss(ctx context.Context, actor domain.Actor) error {
	if err := actor.RequireSignedIn(); err != nil {
		return err
	}
	return s.record(ctx, actor, nil, nil)
}

// record checks the survey is due and stores the answer or dismissal, holding the member's row
// so two submissions at once cannot both pass the check.
func (s *Service) record(ctx context.Context, actor domain.Actor, score *int, comment *string) error {
	now := s.now()
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		if _, err := q.LockUser(ctx, actor.ID()); err != nil {
			return err
		}
		completed, last, err := q.NPSSurveyState(ctx, actor.ID(), now)
		if err != nil {
			return err
		}
		if !domain.NPSSurveyDue(completed, last, now) {
			e := domain.Conflict("the survey is not offered now: it comes after a second completed session, at most once every 90 days")
			e.Details = map[string]any{"reason": ReasonSurveyNotDue}
			return e
		}
		return q.InsertNPSResponse(ctx, actor.ID(), score, comment, now)
	})
	if err != nil {
		return fmt.Errorf("nps survey: %w", err)
	}
	return nil
}
