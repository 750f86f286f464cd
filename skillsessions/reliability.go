package skillsessions

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/matching"
	"github.com/skillswap/skillswap/store"
)

// ReliabilitySource is matching's view of members' track records over sessions and reviews:
// visible ratings received, completed sessions, late cancellations and no-shows, and last
// activity (as matching.ActivityReliability), in one SQL statement for any number of members.
// Response rates are not tracked yet and stay at matching's neutral prior.
type ReliabilitySource struct{ st *store.Store }

// NewReliabilitySource returns the source; the wiring hands it to matching in place of
// matching.ActivityReliability.
func NewReliabilitySource(st *store.Store) *ReliabilitySource { return &ReliabilitySource{st: st} }

var _ matching.ReliabilitySource = (*ReliabilitySource)(nil)

// Reliability implements matching.ReliabilitySource.
func (r *ReliabilitySource) Reliability(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]matching.Reliability, error) {
	stats, err := r.st.Q().SessionStatsByUserIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("session reliability: %w", err)
	}
	out := make(map[uuid.UUID]matching.Reliability, len(stats))
	for id, s := range stats {
		out[id] = matching.Reliability{
			RatingSum: float64(s.RatingSum), RatingCount: s.RatingCount,
			Completed: s.Completed, Cancelled: s.Cancelled, LastActive: s.LastActive,
		}
	}
	return out, nil
}
