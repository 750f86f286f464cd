package matching

import (
	"context"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/store"
)

// Reliability is a member's track record: the input of the reliability factor. The zero value
// means "nothing known", which scores as the priors below (a neutral member), so a source that
// knows nothing yet returns zero values and ranking is unaffected by it.
type Reliability struct {
	// RatingSum and RatingCount are the sum and number of review ratings (1..5 stars) received.
	RatingSum   float64
	RatingCount int
	// Completed sessions, and sessions the member cancelled late or did not show up to.
	Completed, Cancelled int
	// Requests the member received that call for an answer (swap requests, first messages),
	// and how many they answered in time.
	Requests, Responded int
	// LastActive is when the member last used the app; nil when unknown.
	LastActive *time.Time
}

// ReliabilitySource yields members' track records, for many members in one call (matching asks
// once per request, whatever the page size).
type ReliabilitySource interface {
	Reliability(ctx context.Context, userIDs []uuid.UUID) (map[uuid.UUID]Reliability, error)
}

// Priors of the reliability factor. A member with no history scores exactly the prior; evidence
// moves them away from it in proportion to its amount (Bayesian averages).
const (
	// RatingPriorMean (m) and RatingPriorWeight (C): rating = (C*m + sum) / (C + n).
	RatingPriorMean   = 4.0
	RatingPriorWeight = 5.0
	// CompletionPrior and its weight: (completed + C*p) / (completed + cancelled + C).
	CompletionPrior       = 0.9
	CompletionPriorWeight = 4.0
	// ResponsePrior and its weight: (responded + C*p) / (requests + C).
	ResponsePrior       = 0.8
	ResponsePriorWeight = 4.0
	// Activity: full credit when active within ActiveDays, none after InactiveDays, linear in
	// between; UnknownActivity when never seen.
	ActiveDays      = 7
	InactiveDays    = 90
	UnknownActivity = 0.5
)

// Shares of the reliability factor (they sum to 1).
const (
	shareRating     = 0.4
	shareCompletion = 0.3
	shareResponse   = 0.1
	shareActivity   = 0.2
)

// BayesianRating is the mean rating shrunk towards the prior mean m with weight c:
// (c*m + sum) / (c + n).
func BayesianRating(sum float64, n int, m, c float64) float64 {
	return (c*m + sum) / (c + float64(n))
}

// reliabilityScore breaks the factor down, each part in 0..1.
type reliabilityScore struct {
	rating, completion, response, activity float64
	// bayes is the Bayesian mean rating (1..5 stars).
	bayes float64
	// idleDays is how many whole days ago the member was last active; -1 when unknown.
	idleDays int
}

func (r reliabilityScore) total() float64 {
	return shareRating*r.rating + shareCompletion*r.completion + shareResponse*r.response + shareActivity*r.activity
}

func scoreReliability(r Reliability, today time.Time) reliabilityScore {
	var s reliabilityScore
	s.bayes = BayesianRating(r.RatingSum, r.RatingCount, RatingPriorMean, RatingPriorWeight)
	s.rating = clamp01((s.bayes - 1) / 4)
	s.completion = clamp01((float64(r.Completed) + CompletionPriorWeight*CompletionPrior) /
		(float64(r.Completed+r.Cancelled) + CompletionPriorWeight))
	s.response = clamp01((float64(r.Responded) + ResponsePriorWeight*ResponsePrior) /
		(float64(r.Requests) + ResponsePriorWeight))
	s.idleDays = -1
	s.activity = UnknownActivity
	if r.LastActive != nil {
		// Whole days between the start of "today" and the day of last activity: day-granular,
		// so a score does not change during the day (stable paging).
		ly, lm, ld := r.LastActive.UTC().Date()
		last := time.Date(ly, lm, ld, 0, 0, 0, 0, time.UTC)
		s.idleDays = max(0, int(math.Round(today.Sub(last).Hours()/24)))
		switch {
		case s.idleDays <= ActiveDays:
			s.activity = 1
		case s.idleDays >= InactiveDays:
			s.activity = 0
		default:
			s.activity = float64(InactiveDays-s.idleDays) / float64(InactiveDays-ActiveDays)
		}
	}
	return s
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

// ActivityReliability is today's ReliabilitySource: sessions and reviews do not exist yet, so
// ratings, completions and response rates are unknown (neutral priors) and only recent activity
// is real, read from auth_sessions.last_used_at in one statement. When sessions and reviews
// land, a source filling the other fields replaces it (or wraps it) in the wiring.
type ActivityReliability struct{ st *store.Store }

// NewActivityReliability returns the activity-only source.
func NewActivityReliability(st *store.Store) *ActivityReliability {
	return &ActivityReliability{st: st}
}

// Reliability implements ReliabilitySource.
func (a *ActivityReliability) Reliability(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Reliability, error) {
	last, err := a.st.Q().LastActiveByUserIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]Reliability, len(last))
	for id, t := range last {
		out[id] = Reliability{LastActive: &t}
	}
	return out, nil
}
