package dataloaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/skillswap/skillswap/domain"
)

// SessionSource is what the skill-session, review and rating loaders read; *store.Queries
// implements it.
type SessionSource interface {
	SkillSessionsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.SkillSession, error)
	ReviewsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Review, error)
	RatingsByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.MemberRating, error)
	ReviewStatesBySessionIDs(ctx context.Context, viewer uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]domain.SessionReviewState, error)
	ReviewsBySessionIDs(ctx context.Context, viewer uuid.UUID, ids []uuid.UUID) (map[uuid.UUID][]domain.Review, error)
	SessionProposalsBySessionIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.SessionProposal, error)
}

// SessionLoaders are the request-scoped loaders of skill sessions and reviews.
type SessionLoaders struct {
	// SkillSessions loads skill sessions by id (no access check: resolvers apply it).
	SkillSessions *dataloadgen.Loader[uuid.UUID, domain.SkillSession]
	// Reviews loads reviews by id, visible or not (resolvers apply visibility).
	Reviews *dataloadgen.Loader[uuid.UUID, domain.Review]
	// Ratings loads members' rating aggregates; a member never reviewed gets domain.EmptyRating.
	Ratings *dataloadgen.Loader[uuid.UUID, domain.MemberRating]
	// ReviewStates loads where the reviews of a session stand for a viewer; a session without
	// reviews gets a zero state.
	ReviewStates *dataloadgen.Loader[ViewerKey, domain.SessionReviewState]
	// SessionReviews loads the reviews of a session a viewer may read (visible ones and their
	// own); none is an empty list.
	SessionReviews *dataloadgen.Loader[ViewerKey, []domain.Review]
	// Proposals loads sessions' proposal histories, oldest first (no access check).
	Proposals *dataloadgen.Loader[uuid.UUID, []domain.SessionProposal]
}

func newSessionLoaders(src SessionSource, wait dataloadgen.Option) *SessionLoaders {
	return &SessionLoaders{
		SkillSessions: dataloadgen.NewMappedLoader(src.SkillSessionsByIDs, wait),
		Reviews:       dataloadgen.NewMappedLoader(src.ReviewsByIDs, wait),
		Proposals:     dataloadgen.NewMappedLoader(orEmpty(src.SessionProposalsBySessionIDs), wait),
		Ratings: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.MemberRating, error) {
			found, err := src.RatingsByUserIDs(ctx, ids)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if _, ok := found[id]; !ok {
					found[id] = domain.EmptyRating(id)
				}
			}
			return found, nil
		}, wait),
		ReviewStates: dataloadgen.NewMappedLoader(byViewer(func(ctx context.Context, viewer uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]domain.SessionReviewState, error) {
			found, err := src.ReviewStatesBySessionIDs(ctx, viewer, ids)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if _, ok := found[id]; !ok {
					found[id] = domain.SessionReviewState{SessionID: id}
				}
			}
			return found, nil
		}), wait),
		SessionReviews: dataloadgen.NewMappedLoader(byViewer(func(ctx context.Context, viewer uuid.UUID, ids []uuid.UUID) (map[uuid.UUID][]domain.Review, error) {
			return orEmpty(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.Review, error) {
				return src.ReviewsBySessionIDs(ctx, viewer, ids)
			})(ctx, ids)
		}), wait),
	}
}

// byViewer turns a per-viewer batch fetch into a fetch over ViewerKeys: one statement per
// distinct viewer in the batch (in practice one: the request's viewer).
func byViewer[V any](fetch func(ctx context.Context, viewer uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]V, error)) func(context.Context, []ViewerKey) (map[ViewerKey]V, error) {
	return func(ctx context.Context, keys []ViewerKey) (map[ViewerKey]V, error) {
		groups := map[uuid.UUID][]uuid.UUID{}
		var order []uuid.UUID
		for _, k := range keys {
			if _, ok := groups[k.Viewer]; !ok {
				order = append(order, k.Viewer)
			}
			groups[k.Viewer] = append(groups[k.Viewer], k.ID)
		}
		out := make(map[ViewerKey]V, len(keys))
		for _, viewer := range order {
			found, err := fetch(ctx, viewer, groups[viewer])
			if err != nil {
				return nil, err
			}
			for id, v := range found {
				out[ViewerKey{Viewer: viewer, ID: id}] = v
			}
		}
		return out, nil
	}
}

// SkillSession loads one skill session (no access check), mapping the loader's not-found to the
// domain's.
func SkillSession(ctx context.Context, id uuid.UUID) (domain.SkillSession, error) {
	s, err := For(ctx).Sessions.SkillSessions.Load(ctx, id)
	if isNotFound(err) {
		return domain.SkillSession{}, domain.NotFound("session")
	}
	return s, err
}

// Review loads one review (no visibility check).
func Review(ctx context.Context, id uuid.UUID) (domain.Review, error) {
	r, err := For(ctx).Sessions.Reviews.Load(ctx, id)
	if isNotFound(err) {
		return domain.Review{}, domain.NotFound("review")
	}
	return r, err
}
