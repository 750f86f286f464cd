// Package dataloaders batches and caches per-request loads of related entities, so a query's SQL
// statement count does not grow with the number of rows it returns.
package dataloaders

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/skillswap/skillswap/domain"
)

// Source is what the loaders read from; *store.Queries implements it.
type Source interface {
	UsersByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.User, error)
}

// Loaders are the request-scoped loaders.
type Loaders struct {
	// Users loads accounts by id; a missing id fails with NOT_FOUND.
	Users *dataloadgen.Loader[uuid.UUID, domain.User]
}

// batchWait is how long a loader waits to collect keys into one query.
const batchWait = time.Millisecond

// New returns fresh loaders over src. Missing keys become domain not-found errors.
func New(src Source) *Loaders {
	return &Loaders{
		Users: dataloadgen.NewMappedLoader(src.UsersByIDs, dataloadgen.WithWait(batchWait)),
	}
}

type ctxKey struct{}

// Middleware gives every GraphQL response its own loaders: one set per query or mutation, and a
// fresh set per subscription event, so a long-lived WebSocket never serves stale cached rows.
// Install it with handler.Server.AroundResponses.
func Middleware(src Source) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(WithLoaders(ctx, New(src)))
	}
}

// WithLoaders returns ctx carrying l.
func WithLoaders(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's loaders. It panics when the middleware is missing: that is a wiring
// bug, never a runtime condition.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("dataloaders: no loaders in context; is dataloaders.Middleware installed?")
	}
	return l
}

// User loads one account, mapping the loader's not-found to the domain's.
func User(ctx context.Context, id uuid.UUID) (domain.User, error) {
	u, err := For(ctx).Users.Load(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return domain.User{}, domain.NotFound("user")
		}
		return domain.User{}, err
	}
	return u, nil
}

func isNotFound(err error) bool {
	return err == dataloadgen.ErrNotFound //nolint:errorlint // the loader returns the sentinel itself
}
