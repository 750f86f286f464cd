package httpapi

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/skillswap/skillswap/gqlexec"
	"github.com/skillswap/skillswap/i18n"
)

// responseLimit bounds what one operation may produce and how long it may run, while it runs:
//
//   - every resolved field adds a lower bound of its share of the JSON (its key and, for
//     scalars, its value) to the operation's byte count; past maxBytes the operation's context is
//     cancelled (running SQL stops) and every field not yet resolved fails at once, so an
//     oversized response is not even built. A response whose exact encoding still exceeds
//     maxBytes is dropped too. Either way the client gets data null and RESPONSE_TOO_LARGE, and
//     the partial result is garbage;
//   - once the operation's deadline (withDeadline's OPERATION_TIMEOUT) has passed, fields not
//     yet resolved fail at once instead of starting work nobody will read, and the response is
//     replaced by OPERATION_TIMEOUT.
//
// Scalars read from memory skip this middleware (gqlexec.ReadScalar): they charge the same
// budget, and answer even past the deadline (they start no work; the response is replaced).
// Each event of a subscription is bounded on its own.
type responseLimit struct {
	maxBytes int64
}

var (
	_ graphql.HandlerExtension    = responseLimit{}
	_ graphql.ResponseInterceptor = responseLimit{}
	_ graphql.FieldInterceptor    = responseLimit{}
)

// ExtensionName implements graphql.HandlerExtension.
func (responseLimit) ExtensionName() string { return "ResponseLimit" }

// Validate implements graphql.HandlerExtension.
func (responseLimit) Validate(graphql.ExecutableSchema) error { return nil }

var errResponseTooLarge = errors.New("response too large")

// responseBudget is an operation's gqlexec.Budget: what its response may still add.
type responseBudget struct {
	left   atomic.Int64
	cancel context.CancelCauseFunc
}

// Spend implements gqlexec.Budget: past the budget, it cancels the operation's context.
func (b *responseBudget) Spend(n int64) bool {
	if b.left.Add(-n) < 0 {
		b.cancel(errResponseTooLarge)
		return false
	}
	return true
}

// InterceptResponse implements graphql.ResponseInterceptor.
func (l responseLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if l.maxBytes <= 0 {
		return next(ctx)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	b := &responseBudget{cancel: cancel}
	b.left.Store(l.maxBytes)
	// The budget also lets gqlexec.ReadScalar answer scalars read from memory without this
	// middleware (InterceptField): it charges them to the budget, and fails them once ctx is
	// done, as InterceptField would. httpapi.New checks that no other field middleware exists.
	resp := next(gqlexec.WithBudget(ctx, b))
	if resp == nil {
		return nil
	}
	switch {
	case errors.Is(context.Cause(ctx), errResponseTooLarge) || encodedSize(resp) > l.maxBytes:
		return l.tooLarge(ctx)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return stoppedResponse(ctx)
	}
	return resp
}

// stoppedResponse answers an operation whose context ended before it did: OPERATION_TIMEOUT
// past the deadline (the same answer as a field stopped by a deadline, see errorPresenter),
// CLIENT_CLOSED_REQUEST otherwise (the client went away: nobody reads it).
func stoppedResponse(ctx context.Context) *graphql.Response {
	l := i18n.For(i18n.LocaleFrom(ctx))
	msg, code := l.T(msgOperationTimeout, nil), CodeOperationTimeout
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		msg, code = l.T(msgCanceled, nil), CodeClientClosed
	}
	return &graphql.Response{Errors: gqlerror.List{{
		Message:    msg,
		Extensions: map[string]any{"code": code, "requestId": RequestIDFrom(ctx)},
	}}}
}

func (l responseLimit) tooLarge(ctx context.Context) *graphql.Response {
	return &graphql.Response{Errors: gqlerror.List{{
		Message: "the response would exceed " + strconv.FormatInt(l.maxBytes, 10) +
			" bytes: select fewer fields or ask for smaller pages",
		Extensions: map[string]any{"code": CodeResponseTooLarge, "maxBytes": l.maxBytes, "requestId": RequestIDFrom(ctx)},
	}}}
}

// encodedSize is the response's JSON size: data exactly, errors approximately (message, path,
// and room for the extensions).
func encodedSize(r *graphql.Response) int64 {
	n := int64(len(r.Data))
	for _, e := range r.Errors {
		n += int64(len(e.Message) + 16*len(e.Path) + 128)
	}
	return n
}

// InterceptField implements graphql.FieldInterceptor.
func (l responseLimit) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	b := gqlexec.BudgetFrom(ctx)
	if b == nil {
		return next(ctx)
	}
	if ctx.Err() != nil {
		// Fail fast, with an error already coded (the presenter neither logs nor rewrites it):
		// InterceptResponse replaces the response anyway.
		return nil, stoppedError(ctx)
	}
	res, err := next(ctx)
	cost := int64(4) // quotes, colon, comma
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		cost += int64(len(fc.Field.Alias))
	}
	cost += valueSize(res)
	if !b.Spend(cost) {
		return nil, stoppedError(ctx)
	}
	return res, err
}

func stoppedError(ctx context.Context) *gqlerror.Error {
	code := CodeOperationTimeout
	switch {
	case errors.Is(context.Cause(ctx), errResponseTooLarge):
		code = CodeResponseTooLarge
	case !errors.Is(ctx.Err(), context.DeadlineExceeded):
		code = CodeClientClosed // the client went away; nobody reads it, but the code says why
	}
	return &gqlerror.Error{Message: "the operation was stopped", Extensions: map[string]any{"code": code}}
}

// valueSize is a lower bound of v's JSON encoding, not counting what its own fields will add:
// a string's length, a list's commas, 1 byte otherwise.
func valueSize(v any) int64 {
	switch v := v.(type) {
	case nil:
		return 4
	case string:
		return int64(len(v)) + 2
	case *string:
		if v == nil {
			return 4
		}
		return int64(len(*v)) + 2
	case int, int64, int32, bool, float64, time.Time, *time.Time:
		return 1
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return 4
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.String:
		return int64(rv.Len()) + 2
	case reflect.Slice, reflect.Array:
		n := int64(rv.Len()) + 1
		if rv.Type().Elem().Kind() == reflect.String {
			for i := range rv.Len() {
				n += int64(rv.Index(i).Len()) + 2
			}
		}
		return n
	}
	return 1
}
