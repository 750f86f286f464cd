package resolvers

import (
	"context"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/matching"
	"github.com/skillswap/skillswap/relay"
)

// nodeLoader fetches one entity for Query.node and decides whether actor may see it. It may
// answer NOT_FOUND or FORBIDDEN: node() turns both into null, so a hidden entity cannot be told
// from a missing one.
type nodeLoader func(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error)

// nodeType is one line of the node registry: the GraphQL type an id prefix stands for and its
// loader.
type nodeType struct {
	typeName string
	load     nodeLoader
}

// nodeTypes is the one table from global-id prefix to loader; a new Node type adds its line here
// (TestEveryNodeTypeIsRegistered fails until it does).
func (r *Resolver) nodeTypes() map[string]nodeType {
	return map[string]nodeType{
		relay.KindUser: {"User", func(ctx context.Context, _ domain.Actor, id uuid.UUID) (relay.Node, error) {
			return ptr(dataloaders.User(ctx, id))
		}},
		relay.KindAuthSession: {"AuthSession", func(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error) {
			return ptr(r.Auth.AuthSession(ctx, actor, id))
		}},
		relay.KindSkill: {"Skill", func(ctx context.Context, _ domain.Actor, id uuid.UUID) (relay.Node, error) {
			sk, err := dataloaders.Skill(ctx, id)
			if err != nil {
				return nil, err
			}
			if sk.Status != domain.SkillApproved {
				return nil, domain.NotFound("skill")
			}
			return sk, nil
		}},
		relay.KindSkillCategory: {"SkillCategory", func(ctx context.Context, _ domain.Actor, id uuid.UUID) (relay.Node, error) {
			c, err := dataloaders.Category(ctx, id)
			if err != nil {
				return nil, err // not a nil *SkillCategory in a non-nil Node
			}
			return c, nil
		}},
		relay.KindConversation: {"Conversation", func(ctx context.Context, _ domain.Actor, id uuid.UUID) (relay.Node, error) {
			return orNil(visibleConversation(ctx, id))
		}},
		relay.KindMessage: {"Message", func(ctx context.Context, _ domain.Actor, id uuid.UUID) (relay.Node, error) {
			return orNil(visibleMessage(ctx, id))
		}},
		relay.KindNotification: {"Notification", func(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error) {
			n, err := dataloaders.Notification(ctx, id)
			if err == nil && n.UserID != actor.ID() {
				return nil, domain.NotFound("notification")
			}
			return ptr(n, err)
		}},
		relay.KindSkillSession: {"SkillSession", func(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error) {
			s, err := dataloaders.SkillSession(ctx, id)
			if err == nil && !s.IsParticipant(actor.ID()) && !actor.User.IsStaff() {
				return nil, domain.NotFound("skill session")
			}
			return ptr(s, err)
		}},
		relay.KindReview: {"Review", func(ctx context.Context, _ domain.Actor, id uuid.UUID) (relay.Node, error) {
			rv, err := dataloaders.Review(ctx, id)
			if err == nil && !canSeeReview(ctx, rv) {
				return nil, domain.NotFound("review")
			}
			return ptr(rv, err)
		}},
		relay.KindReviewReport: {"ReviewReport", func(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error) {
			return ptr(r.Reviews.ReviewReport(ctx, actor, id))
		}},
		relay.KindCreditTransaction: {"CreditTransaction", func(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error) {
			return ptr(r.Credits.Transaction(ctx, actor, id))
		}},
		relay.KindCalendarFeed: {"CalendarFeed", func(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error) {
			f, err := r.Calendar.Feed(ctx, actor)
			if err == nil && (f == nil || f.ID != id) {
				return nil, domain.NotFound("calendar feed")
			}
			return orNil(f, err)
		}},
		relay.KindPayment: {"Payment", func(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error) {
			return ptr(r.Payments.Payment(ctx, actor, id))
		}},
		relay.KindNoShowDispute: {"NoShowDispute", func(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error) {
			return ptr(r.Payments.NoShowDispute(ctx, actor, id))
		}},
		relay.KindMentorAccount: {"MentorAccount", func(ctx context.Context, _ domain.Actor, id uuid.UUID) (relay.Node, error) {
			return orNil(mentorAccountOf(ctx, &domain.User{ID: id}))
		}},
		relay.KindModerationCase: {"ModerationCase", moderationCaseNode},
		relay.KindMatch: {"Match", func(ctx context.Context, actor domain.Actor, id uuid.UUID) (relay.Node, error) {
			m, err := r.Matching.Match(ctx, actor, matching.PartnerOf(actor.ID(), id))
			if err == nil {
				m.DistanceKm = roundKm(m.DistanceKm)
			}
			return ptr(m, err)
		}},
	}
}

// ptr makes a loaded value a Node: the GraphQL types are bound to pointers.
func ptr[T any](v T, err error) (relay.Node, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// orNil keeps a nil pointer a nil Node, not a typed nil inside the interface.
func orNil[T any](v *T, err error) (relay.Node, error) {
	if err != nil || v == nil {
		return nil, err
	}
	return v, nil
}
