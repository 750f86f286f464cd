package seed

import (
	"context"
	"fmt"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/moderation"
	"github.com/skillswap/skillswap/store"
)

// Reporter files reports as a member (moderation.Service implements it).
type Reporter interface {
	Report(ctx context.Context, actor domain.Actor, in moderation.ReportInput) (domain.ModerationReport, error)
}

// demoReports fill the moderation queue the demo moderator (moderator@demo.skillswap.local) sees:
// one case with two reporters, one with a single SAFETY report (first in the queue).
var demoReports = []struct {
	reporter, reported string
	category           domain.ReportCategory
	text               string
}{
	{"sofia@demo.skillswap.local", "lucas@demo.skillswap.local", domain.CategorySpam,
		"Demo report: sends every member the same message advertising paid lessons elsewhere."},
	{"noah@demo.skillswap.local", "lucas@demo.skillswap.local", domain.CategorySpam,
		"Demo report: copy-pasted advertisement in my inbox."},
	{"ines@demo.skillswap.local", "maya@demo.skillswap.local", domain.CategorySafety,
		"Demo report: asked to meet at a private address for the first session."},
}

// Reports files the demo reports through the moderation service, as the members would; a
// report already filed (a second `make run`) is left as it is.
func Reports(ctx context.Context, st *store.Store, mod Reporter) error {
	for _, r := range demoReports {
		reporter, err := st.Q().UserByEmail(ctx, r.reporter)
		if err != nil {
			return fmt.Errorf("seed reports: %s: %w", r.reporter, err)
		}
		reported, err := st.Q().UserByEmail(ctx, r.reported)
		if err != nil {
			return fmt.Errorf("seed reports: %s: %w", r.reported, err)
		}
		_, err = mod.Report(ctx, domain.Actor{User: reporter}, moderation.ReportInput{
			TargetType: domain.TargetMember, TargetID: reported.ID, Category: r.category, Text: r.text,
		})
		if err != nil && !domain.IsKind(err, domain.KindConflict) {
			return fmt.Errorf("seed reports: %s reports %s: %w", r.reporter, r.reported, err)
		}
	}
	return nil
}
