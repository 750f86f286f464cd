package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph"
	"github.com/skillswap/skillswap/graph/model"
)

// Directives implements the schema's authorization directives. Services check again for
// everything that writes.
func Directives() graph.DirectiveRoot {
	return graph.DirectiveRoot{
		Auth: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if _, err := auth.RequireActor(ctx); err != nil {
				return nil, err
			}
			return next(ctx)
		},
		HasRole: func(ctx context.Context, _ any, next graphql.Resolver, role model.Role) (any, error) {
			actor, err := auth.RequireActor(ctx)
			if err != nil {
				return nil, err
			}
			if err := actor.RequireRole(domain.Role(role)); err != nil {
				return nil, err
			}
			return next(ctx)
		},
	}
}
