package httpapi

import (
	"context"
	"log/slog"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/ratelimit"
)

// complexityBudget charges every operation's complexity (the points MAX_COMPLEXITY bounds per
// operation) against a budget per period: the member's when signed in, the client network's
// otherwise. MAX_COMPLEXITY stops one expensive document; this stops many cheap-enough ones
// sent in a loop. It runs after the complexity limit and reads the complexity that limit
// computed (extension.ComplexityStats), so there is one way of counting.
//
// Budgets live in the limiter: in Redis, across instances, when REDIS_URL is set. The refusal
// is RATE_LIMITED with retryAfterSeconds (HTTP 429 with Retry-After over POST and GET).
type complexityBudget struct {
	limiter ratelimit.Limiter
	perUser ratelimit.Rate
	perIP   ratelimit.Rate
	log     *slog.Logger
}

var (
	_ graphql.HandlerExtension        = complexityBudget{}
	_ graphql.OperationContextMutator = complexityBudget{}
)

func (complexityBudget) ExtensionName() string                   { return "ComplexityBudget" }
func (complexityBudget) Validate(graphql.ExecutableSchema) error { return nil }

func (b complexityBudget) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	return b.charge(ctx, operationComplexity(oc))
}

// charge spends cost points of the budget of whoever is asking, or answers RATE_LIMITED.
func (b complexityBudget) charge(ctx context.Context, cost int) *gqlerror.Error {
	if b.limiter == nil {
		return nil
	}
	key, rate := "", b.perIP
	if actor := auth.ActorFrom(ctx); actor.SignedIn() {
		key, rate = "complexity:user:"+actor.ID().String(), b.perUser
	} else {
		key = "complexity:ip:" + ratelimit.IPKey(auth.ClientFrom(ctx).IP)
	}
	if !rate.Valid() || cost <= 0 {
		return nil
	}
	// An operation costing more than a whole budget would wait forever; config.Load refuses
	// such settings, this keeps the arithmetic safe regardless.
	cost = min(cost, rate.Events)
	ok, wait, err := b.limiter.Allow(ctx, key, rate, cost)
	if err != nil {
		// The Redis limiter already falls back to memory when Redis is away: what is left is a
		// cancelled request, which has nobody to answer.
		b.log.DebugContext(ctx, "complexity budget", "request_id", RequestIDFrom(ctx), "err", err)
		return nil
	}
	if ok {
		return nil
	}
	return &gqlerror.Error{
		Message: "too many operations: the complexity budget for this period is spent, try again later",
		Extensions: map[string]any{
			"code":              CodeRateLimited,
			"retryAfterSeconds": int(math.Ceil(max(wait.Seconds(), 1))),
			"complexity":        cost,
		},
	}
}

// operationComplexity is the complexity the complexity limit computed for the operation; an
// operation it did not measure costs 1.
func operationComplexity(oc *graphql.OperationContext) int {
	if s, ok := oc.Stats.GetExtension(complexityExtensionName).(*extension.ComplexityStats); ok && s != nil {
		return max(s.Complexity, 1)
	}
	return 1
}

// complexityExtensionName is the name under which gqlgen's complexity limit records its stats
// (the one extension.GetComplexityStats reads).
const complexityExtensionName = "ComplexityLimit"
