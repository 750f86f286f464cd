package seed

import (
	"context"
	"fmt"

	"github.com/google/uuid"

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

// Sanctioner imposes sanctions and files appeals (moderation.Service implements it).
type Sanctioner interface {
	Impose(ctx context.Context, actor domain.Actor, in moderation.ImposeInput) (domain.Sanction, error)
	Appeal(ctx context.Context, actor domain.Actor, sanctionID uuid.UUID, text string) (domain.Appeal, error)
}

// Sanctions gives the demo one sanction and one appeal: the demo moderator warns Lucas (the
// member two others reported for spam) and Lucas appeals, so `moderationAppeals` has an appeal
// for another moderator (the demo admin) to decide. A second `make run` adds nothing.
func Sanctions(ctx context.Context, st *store.Store, s Sanctioner) error {
	mod, err := st.Q().UserByEmail(ctx, "moderator@demo.skillswap.local")
	if err != nil {
		return fmt.Errorf("seed sanctions: %w", err)
	}
	lucas, err := st.Q().UserByEmail(ctx, "lucas@demo.skillswap.local")
	if err != nil {
		return fmt.Errorf("seed sanctions: %w", err)
	}
	if had, err := st.Q().SanctionsOf(ctx, lucas.ID, nil, 1); err != nil || len(had) > 0 {
		return err
	}
	warning, err := s.Impose(ctx, domain.Actor{User: mod}, moderation.ImposeInput{
		UserID: lucas.ID, Kind: domain.SanctionWarning,
		StatementOfReasons: "Demo warning: sending the same advertisement for paid lessons to many members is spam " +
			"(community rules, section 4). A repeat may limit your account.",
	})
	if err != nil {
		return fmt.Errorf("seed sanctions: warn: %w", err)
	}
	if _, err := s.Appeal(ctx, domain.Actor{User: lucas}, warning.ID,
		"Demo appeal: I only answered members who had asked me about my lessons."); err != nil {
		return fmt.Errorf("seed sanctions: appeal: %w", err)
	}
	return nil
}
