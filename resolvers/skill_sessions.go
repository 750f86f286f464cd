package resolvers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/calendar"
	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/skillsessions"
)

// Skill sessions, reviews, time credits and calendar feeds: helpers of the thin resolvers in
// schema.resolvers.go. Every entry point (query, mutation, node) returns only sessions the
// caller may see (participants and staff, checked by the services), so field resolvers only
// decide what a participant sees that staff do not (meeting details, the caller's own side).

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// participant reports whether the caller is the session's teacher or learner.
func participant(ctx context.Context, s *domain.SkillSession) (uuid.UUID, bool) {
	me := auth.ActorFrom(ctx).ID()
	return me, me != uuid.Nil && s.IsParticipant(me)
}

// apiFieldNames maps the services' input field names to the schema's where they differ.
var apiFieldNames = map[string]string{domain.FieldLink: "meetingUrl"}

// renameFields rewrites a domain error's field into the schema's name for it, so
// extensions.field points at what the client sent.
func renameFields(err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		if n, ok := apiFieldNames[de.Field]; ok {
			de.Field = n
		}
	}
	return err
}

// withoutField drops the field of an error about an input the mutation does not take (an
// accepted time that overlaps: acceptSession only takes the session id).
func withoutField(err error) error {
	var de *domain.Error
	if errors.As(err, &de) && de.Kind == domain.KindConflict {
		de.Field = ""
	}
	return err
}

func parseSessionID(gid string) (uuid.UUID, error) {
	return relay.ParseID(relay.KindSkillSession, gid, "sessionId")
}

func userPtr(ctx context.Context, id uuid.UUID) (*domain.User, error) {
	u, err := dataloaders.User(ctx, id)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func toSessionConnection(ctx context.Context, c relay.Connection[domain.SkillSession]) *model.SkillSessionConnection {
	out := &model.SkillSessionConnection{PageInfo: toPageInfo(c.PageInfo), Edges: make([]model.SkillSessionEdge, len(c.Edges))}
	l := dataloaders.For(ctx).Sessions.SkillSessions
	for i := range c.Edges {
		l.Prime(c.Edges[i].Node.ID, c.Edges[i].Node)
		out.Edges[i] = model.SkillSessionEdge{Cursor: c.Edges[i].Cursor, Node: &c.Edges[i].Node}
	}
	prefetchPartners(ctx, c)
	return out
}

// prefetchPartners starts, now, the loads that the selected `partner { profile rating }` fields
// would otherwise start one after the other (the partner's account, then their profile and
// rating, then the viewer's blocks for profile visibility): each loader still runs one batch,
// but the batches overlap instead of waiting for each other. Nothing is loaded that the query
// did not select.
func prefetchPartners(ctx context.Context, c relay.Connection[domain.SkillSession]) {
	partner := selectionPath(ctx, "edges", "node", "partner")
	actor := auth.ActorFrom(ctx)
	if partner == nil || !actor.SignedIn() || len(c.Edges) == 0 {
		return
	}
	ids := make([]uuid.UUID, 0, len(c.Edges))
	for _, e := range c.Edges {
		if e.Node.IsParticipant(actor.ID()) {
			ids = append(ids, e.Node.Partner(actor.ID()))
		}
	}
	l := dataloaders.For(ctx)
	l.Users.LoadAllThunk(ctx, ids)
	fields := graphql.CollectFields(graphql.GetOperationContext(ctx), partner, []string{"User"})
	for _, f := range fields {
		switch f.Name {
		case "profile", "offeredSkills", "wantedSkills":
			l.Profiles.LoadAllThunk(ctx, ids)
			l.Blocks.LoadThunk(ctx, actor.ID())
		case "rating":
			l.Sessions.Ratings.LoadAllThunk(ctx, ids)
		}
	}
}

// selectionPath returns the selection set under a path of fields below the current field
// (e.g. edges > node > partner), nil when the query does not select it.
func selectionPath(ctx context.Context, path ...string) ast.SelectionSet {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil
	}
	op := graphql.GetOperationContext(ctx)
	set := fc.Field.Selections
	for _, name := range path {
		var next ast.SelectionSet
		for _, f := range graphql.CollectFields(op, set, nil) {
			if f.Name == name {
				next = append(next, f.Selections...)
			}
		}
		if next == nil {
			return nil
		}
		set = next
	}
	return set
}

func toReviewConnection(c relay.Connection[domain.Review]) *model.ReviewConnection {
	out := &model.ReviewConnection{PageInfo: toPageInfo(c.PageInfo), Edges: make([]model.ReviewEdge, len(c.Edges))}
	for i := range c.Edges {
		out.Edges[i] = model.ReviewEdge{Cursor: c.Edges[i].Cursor, Node: &c.Edges[i].Node}
	}
	return out
}

func toCreditConnection(c relay.Connection[domain.CreditEntry]) *model.CreditTransactionConnection {
	out := &model.CreditTransactionConnection{PageInfo: toPageInfo(c.PageInfo), Edges: make([]model.CreditTransactionEdge, len(c.Edges))}
	for i := range c.Edges {
		out.Edges[i] = model.CreditTransactionEdge{Cursor: c.Edges[i].Cursor, Node: &c.Edges[i].Node}
	}
	return out
}

func toReportConnection(c relay.Connection[domain.ReviewReport]) *model.ReviewReportConnection {
	out := &model.ReviewReportConnection{PageInfo: toPageInfo(c.PageInfo), Edges: make([]model.ReviewReportEdge, len(c.Edges))}
	for i := range c.Edges {
		out.Edges[i] = model.ReviewReportEdge{Cursor: c.Edges[i].Cursor, Node: &c.Edges[i].Node}
	}
	return out
}

func scheduled(res skillsessions.Result) *model.ScheduleSessionPayload {
	w := res.Warnings
	if w == nil {
		w = []domain.Warning{}
	}
	return &model.ScheduleSessionPayload{Session: &res.Session, Warnings: w}
}

func sessionPayload(s domain.SkillSession, err error) (*model.SkillSessionPayload, error) {
	if err != nil {
		return nil, renameFields(err)
	}
	return &model.SkillSessionPayload{Session: &s}, nil
}

// sessionReviews returns the caller's review and their partner's (nil while hidden or not
// written) of a session.
func sessionReviews(ctx context.Context, s *domain.SkillSession) (mine, theirs *domain.Review, err error) {
	me, ok := participant(ctx, s)
	if !ok {
		return nil, nil, nil
	}
	list, err := dataloaders.For(ctx).Sessions.SessionReviews.Load(ctx, dataloaders.ViewerKey{Viewer: me, ID: s.ID})
	if err != nil {
		return nil, nil, fmt.Errorf("load session reviews: %w", err)
	}
	for i := range list {
		switch {
		case list[i].ReviewerID == me:
			mine = &list[i]
		case list[i].Visible():
			theirs = &list[i]
		}
	}
	return mine, theirs, nil
}

// canSeeReview is the read rule of a single review: visible reviews to everyone signed in, a
// hidden one only to its author (double-blind: not even to the member reviewed) and moderators.
func canSeeReview(ctx context.Context, rv domain.Review) bool {
	actor := auth.ActorFrom(ctx)
	if !actor.SignedIn() {
		return false
	}
	return rv.Visible() || rv.ReviewerID == actor.ID() || actor.HasRole(domain.RoleModerator)
}

func (r *Resolver) feedPayload(token string, feed domain.CalendarFeed) *model.CalendarFeedPayload {
	return &model.CalendarFeedPayload{Feed: &feed, URL: r.PublicURL + calendar.FeedPath(token)}
}

// deref reads an optional string input; absent is empty.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
