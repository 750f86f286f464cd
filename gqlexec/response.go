package gqlexec

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// response is what gqlexec keeps for one response (an operation, a subscription's event): the
// lists a resolver primed loaders for (Prime), the arguments of the fields it has parsed (Args),
// the fields it collected for selection sets (CollectFields). Fields resolve concurrently,
// hence the lock.
type response struct {
	mu        sync.Mutex
	lists     map[primedList]*primed
	args      map[*ast.Field]map[string]any
	collected map[collected][]graphql.CollectedField
}

type responseKey struct{}

// Middleware gives each response its record; without it Prime records nothing (every list is
// judged by its fields alone), and Args and CollectFields work every time.
func Middleware(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(context.WithValue(ctx, responseKey{}, &response{}))
}

func responseOf(ctx context.Context) *response {
	r, _ := ctx.Value(responseKey{}).(*response)
	return r
}
