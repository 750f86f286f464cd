package resolvers

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/relay"
)

// NewSchema returns the executable schema with its directives and complexity rules.
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	r.nodes = r.nodeTypes()
	cfg := graph.Config{Resolvers: newRoot(r), Directives: Directives()}
	cfg.Complexity.Query.Users = func(child int, first *int, _ *string, _ *model.UserFilter) int {
		return listCost(child, first)
	}
	cfg.Complexity.User.Sessions = func(child int, first *int, _ *string, _ *bool) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.SearchSkills = func(child int, _ string, _ *string, _ *domain.NameLocale, first *int, _ *string) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.SearchMembers = func(child int, _ *string, _ *model.MemberSearchFilter, first *int, _ *string) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.Matches = func(child int, first *int, _ *string, _ *model.MatchFilter) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.Conversations = func(child int, first *int, _ *string) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.Messages = func(child int, _ string, first *int, _ *string, _ *string) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.Notifications = func(child int, first *int, _ *string, _ *bool) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.SwapCircles = func(child int, first *int) int {
		n := 10
		if first != nil && *first > 0 {
			n = min(*first, relay.MaxPageSize)
		}
		return itemsCost(n, child)
	}
	cfg.Complexity.Query.PendingSkills = func(child int, first *int, _ *string) int {
		return listCost(child, first)
	}
	cfg.Complexity.User.ModerationCases = func(child int, first *int, _ *string) int {
		return listCost(child, first)
	}
	cfg.Complexity.User.AuditEntries = func(child int, first *int, _ *string) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.AuditLog = func(child int, first *int, _ *string, _ *model.AuditLogFilter) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.NoShowDisputes = func(child int, _ *domain.NoShowDisputeStatus, first *int, _ *string) int {
		return listCost(child, first)
	}
	cfg.Complexity.User.Payments = func(child int, first *int, _ *string) int {
		return listCost(child, first)
	}
	sessionComplexity(&cfg)
	return pricedSchema{graph.NewExecutableSchema(cfg)}
}

// listCost charges a connection for every item it may return, so nested lists multiply: the
// complexity limit then bounds the work of a query, not just its length.
func listCost(child int, first *int) int {
	n := 20
	if first != nil && *first > 0 {
		n = min(*first, relay.MaxPageSize)
	}
	return itemsCost(n, child)
}

// sessionComplexity prices the skill-session, review and credit lists. A session's ICS is
// rendered with its own SQL statement, so it costs like a page of rows; proposal histories are
// short (a handful of counter-proposals) and batched.
func sessionComplexity(cfg *graph.Config) {
	page := func(child int, first *int, _ *string) int { return listCost(child, first) }
	cfg.Complexity.Query.UpcomingSessions = page
	cfg.Complexity.Query.PastSessions = page
	cfg.Complexity.Query.CreditTransactions = page
	cfg.Complexity.Query.ReviewReports = page
	// Moderation: a queue page, and the viewer's decisions.
	cfg.Complexity.Query.ModerationCases = func(child int, first *int, _ *string, _ *model.ModerationCaseFilter) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.MyModerationDecisions = page
	// Sanctions: the viewer's, and the queue of open appeals.
	cfg.Complexity.Query.MySanctions = page
	cfg.Complexity.Query.ModerationAppeals = page
	cfg.Complexity.User.Reviews = page
	cfg.Complexity.SkillSession.Ics = func(int) int { return 20 }
	cfg.Complexity.SkillSession.Proposals = func(child int) int { return itemsCost(5, child) }
}
