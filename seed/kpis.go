package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/skillswap/skillswap/store"
)

// KPIRefresher recomputes the product KPIs by cohort (kpis.Service implements it).
type KPIRefresher interface {
	Refresh(ctx context.Context) (int64, error)
}

// demoNPS are answers to the NPS survey, so the admin's productKpis shows a score this week
// (3 promoters, 2 passives, 1 detractor: NPS 33.3). Written directly: the demo members have
// not completed the two sessions after which the app offers the survey.
var demoNPS = []struct {
	email   string
	score   int
	comment string
}{
	{"camille@demo.skillswap.local", 10, "Found a Japanese partner in two days."},
	{"kenji@demo.skillswap.local", 9, ""},
	{"amina@demo.skillswap.local", 10, ""},
	{"sofia@demo.skillswap.local", 8, "Good, but I would like more evening slots."},
	{"ines@demo.skillswap.local", 7, ""},
	{"noah@demo.skillswap.local", 6, "Few partners for climbing in Berlin yet."},
}

// NPS writes the demo answers of members who have none yet (a second `make run` adds nothing),
// then recomputes the KPIs so the admin panel shows them at once.
func NPS(ctx context.Context, st *store.Store, kpis KPIRefresher) error {
	now := time.Now().UTC()
	for _, a := range demoNPS {
		u, err := st.Q().UserByEmail(ctx, a.email)
		if err != nil {
			return fmt.Errorf("seed nps: %s: %w", a.email, err)
		}
		_, last, err := st.Q().NPSSurveyState(ctx, u.ID, now)
		if err != nil {
			return fmt.Errorf("seed nps: %s: %w", a.email, err)
		}
		if last != nil {
			continue
		}
		var comment *string
		if a.comment != "" {
			comment = &a.comment
		}
		score := a.score
		if err := st.Q().InsertNPSResponse(ctx, u.ID, &score, comment, now); err != nil {
			return fmt.Errorf("seed nps: %s: %w", a.email, err)
		}
	}
	if _, err := kpis.Refresh(ctx); err != nil {
		return fmt.Errorf("seed nps: %w", err)
	}
	return nil
}
