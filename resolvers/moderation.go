package resolvers

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/relay"
)

// targetKinds maps a report target type to the global id kind of its targets.
var targetKinds = map[domain.ReportTargetType]string{
	domain.TargetMember:        relay.KindUser,
	domain.TargetMessage:       relay.KindMessage,
	domain.TargetReview:        relay.KindReview,
	domain.TargetSkillProposal: relay.KindSkill,
}

// targetGlobalID is the global id of a case's target.
func targetGlobalID(c *domain.ModerationCase) string {
	return relay.GlobalID(targetKinds[c.TargetType], c.TargetID)
}

// SubjectCasesCursor is the cursor kind of User.moderationCases (keyed by case id, newest first).
const SubjectCasesCursor = "memberModerationCases"

// requireModerator is the service's rule for reading cases (MODERATOR), applied where a field
// reads through a dataloader instead of a service call.
func requireModerator(ctx context.Context) error {
	actor, err := auth.RequireActor(ctx)
	if err != nil {
		return err
	}
	return actor.RequireRole(domain.RoleModerator)
}

// caseReports loads a case's reports through the loader: a queue page's reports in one
// statement.
func caseReports(ctx context.Context, caseID uuid.UUID) ([]domain.ModerationReport, error) {
	if err := requireModerator(ctx); err != nil {
		return nil, err
	}
	return dataloaders.For(ctx).Moderation.Reports.Load(ctx, caseID)
}

// caseNotes loads a case's notes through the loader.
func caseNotes(ctx context.Context, caseID uuid.UUID) ([]domain.ModerationNote, error) {
	if err := requireModerator(ctx); err != nil {
		return nil, err
	}
	return dataloaders.For(ctx).Moderation.Notes.Load(ctx, caseID)
}

// subjectCases pages through the cases about member (User.moderationCases) through the loader,
// so a list of members asking for theirs runs one statement.
func subjectCases(ctx context.Context, member uuid.UUID, first *int, after *string) (*model.ModerationCaseConnection, error) {
	page, err := relay.ParsePage[uuid.UUID](SubjectCasesCursor, first, after)
	if err != nil {
		return nil, err
	}
	if err := requireModerator(ctx); err != nil {
		return nil, err
	}
	key := dataloaders.SubjectCasesKey{Subject: member, Limit: page.Limit()}
	if page.After != nil {
		key.After = *page.After
	}
	rows, err := dataloaders.For(ctx).Moderation.SubjectCases.Load(ctx, key)
	if err != nil {
		return nil, err
	}
	c := relay.Paginate(SubjectCasesCursor, page, rows, func(c domain.ModerationCase) uuid.UUID { return c.ID })
	out := &model.ModerationCaseConnection{PageInfo: toPageInfo(c.PageInfo), Edges: make([]model.ModerationCaseEdge, len(c.Edges))}
	for i := range c.Edges {
		out.Edges[i] = model.ModerationCaseEdge{Cursor: c.Edges[i].Cursor, Node: &c.Edges[i].Node}
	}
	// No prefetchCasePage here: this field resolves once per member of a list, and the loaders
	// batch their reports across members; a prefetch per member would be the N+1 they avoid.
	return out, nil
}

// moderationCaseNode is node(id:) for a case: MODERATOR only, NOT_FOUND (null) for anyone else.
func moderationCaseNode(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error) {
	if !actor.HasRole(domain.RoleModerator) {
		return nil, domain.NotFound("moderation case")
	}
	return ptr(dataloaders.ModerationCase(ctx, id))
}

// prefetchCasePage reads at once what a page of cases asks for (reports, notes, the members
// they show), so its fields resolve from primed loaders without batching rounds. Only for
// callers that already required MODERATOR, and that resolve once per request (the queue).
func prefetchCasePage(ctx context.Context, edges []model.ModerationCaseEdge) error {
	cases := make([]domain.ModerationCase, len(edges))
	for i, e := range edges {
		cases[i] = *e.Node
	}
	asked := func(path ...string) bool {
		return selectionPath(ctx, append([]string{"edges", "node"}, path...)...) != nil
	}
	want := dataloaders.CasePrefetch{Reports: asked("reports"), Notes: asked("notes")}
	want.People = asked("subject") || asked("assignee") || asked("reports", "reporter") || asked("notes", "author")
	if err := dataloaders.PrefetchCases(ctx, cases, want); err != nil {
		return fmt.Errorf("prefetch moderation cases: %w", err)
	}
	return nil
}
