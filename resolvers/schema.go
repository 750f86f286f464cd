package resolvers

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/skillswap/skillswap/graph"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/relay"
)

// NewSchema returns the executable schema with its directives and complexity rules.
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	cfg := graph.Config{Resolvers: r, Directives: Directives()}
	cfg.Complexity.Query.Users = func(child int, first *int, _ *string, _ *model.UserFilter) int {
		return listCost(child, first)
	}
	cfg.Complexity.User.Sessions = func(child int, first *int, _ *string, _ *bool) int {
		return listCost(child, first)
	}
	cfg.Complexity.Query.SearchSkills = func(child int, _ string, _ *string, _ *model.Locale, first *int, _ *string) int {
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
		return 1 + n*child
	}
	return graph.NewExecutableSchema(cfg)
}

// listCost charges a connection for every item it may return, so nested lists multiply: the
// complexity limit then bounds the work of a query, not just its length.
func listCost(child int, first *int) int {
	n := 20
	if first != nil && *first > 0 {
		n = min(*first, relay.MaxPageSize)
	}
	return 1 + n*child
}
