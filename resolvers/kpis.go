package resolvers

import (
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/kpis"
)

// toProductKpis maps the service's report to the schema's, with the product's targets.
func toProductKpis(r kpis.Report) *model.ProductKpis {
	out := &model.ProductKpis{
		FirstWeek: r.FirstWeek, LastWeek: r.LastWeek, Nps: toNpsScore(r.NPS), ComputedAt: r.ComputedAt,
		RefreshIntervalSeconds: int(r.RefreshInterval.Seconds()),
		Targets: &model.KpiTargets{ActivationRate: domain.ActivationTarget, RetentionW4Rate: domain.RetentionW4Target,
			NpsScore: domain.NPSTarget},
		Cohorts: make([]model.KpiCohort, len(r.Cohorts)),
	}
	for i, c := range r.Cohorts {
		out.Cohorts[i] = model.KpiCohort{
			WeekStart: c.WeekStart, IsoWeek: domain.ISOWeekName(c.WeekStart), Members: c.Members,
			Activated: c.Activated, ActivationRate: c.ActivationRate(),
			RetainedW4: c.RetainedW4Count(), RetentionW4Rate: c.RetentionW4Rate(), Nps: toNpsScore(c.NPS),
		}
	}
	return out
}

func toNpsScore(t domain.NPSTally) *model.NpsScore {
	return &model.NpsScore{Responses: t.Responses, Promoters: t.Promoters, Passives: t.Passives(),
		Detractors: t.Detractors, Score: t.Score()}
}
