package httpapi

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// admission runs expensive work in a lane of its own, so that it cannot take every core from
// the cheap operations that make up an app's traffic. The limits bound what one document may
// cost (a few tens of milliseconds of CPU at worst); nothing else bounds how many such documents
// run at once, and four clients sending them keep two cores busy. Expensive work is:
//
//   - parsing and validating a document that is not in the document cache (every document a
//     client has not sent before: an app's few documents are cached after their first use);
//   - executing an operation whose complexity reaches heavyComplexity, or that introspects the
//     schema.
//
// At most slots such steps run at once; others wait in line, at most maxWaiting of them and for
// at most maxWait, and are then refused with SERVICE_UNAVAILABLE and retryAfterSeconds (503 over
// HTTP). Subscriptions are validated in the lane but run outside it (they live for hours and cost
// per event).
type admission struct {
	slots           chan struct{}
	waiting         atomic.Int64
	maxWaiting      int64
	maxWait         time.Duration
	heavyComplexity int
	docs            graphql.Cache[*ast.QueryDocument]
	maxQueryBytes   int
	refused         atomic.Int64 // refusals, for tests and metrics
}

// AdmissionConfig sizes the lane of expensive work.
type AdmissionConfig struct {
	// Slots is how many expensive steps run at once (at least 1).
	Slots int
	// MaxWaiting is how many may wait for a slot; MaxWait how long each may wait.
	MaxWaiting int
	MaxWait    time.Duration
	// HeavyComplexity is the complexity from which an operation's execution is expensive.
	HeavyComplexity int
}

func newAdmission(cfg AdmissionConfig, maxQueryBytes int, docs graphql.Cache[*ast.QueryDocument]) *admission {
	return &admission{
		maxQueryBytes:   maxQueryBytes,
		slots:           make(chan struct{}, max(cfg.Slots, 1)),
		maxWaiting:      int64(max(cfg.MaxWaiting, 0)),
		maxWait:         cfg.MaxWait,
		heavyComplexity: cfg.HeavyComplexity,
		docs:            docs,
	}
}

// busyRetryAfter is the retryAfterSeconds of a refusal: the line moves in tens of milliseconds.
const busyRetryAfter = 1

// enter takes a slot, waiting in line when none is free, and returns the function that gives it
// back; or a SERVICE_UNAVAILABLE error when the line is full, the wait too long or ctx done.
func (a *admission) enter(ctx context.Context) (func(), *gqlerror.Error) {
	select {
	case a.slots <- struct{}{}:
		return a.leave, nil
	default:
	}
	if a.waiting.Add(1) > a.maxWaiting {
		a.waiting.Add(-1)
		return nil, a.busy()
	}
	defer a.waiting.Add(-1)
	timer := time.NewTimer(a.maxWait)
	defer timer.Stop()
	select {
	case a.slots <- struct{}{}:
		return a.leave, nil
	case <-timer.C:
		return nil, a.busy()
	case <-ctx.Done():
		return nil, a.busy()
	}
}

func (a *admission) leave() { <-a.slots }

func (a *admission) busy() *gqlerror.Error {
	a.refused.Add(1)
	return &gqlerror.Error{
		Message: "the server is busy with expensive operations: retry in a moment",
		Extensions: map[string]any{
			"code":              CodeUnavailable,
			"retryAfterSeconds": busyRetryAfter,
		},
	}
}

// heavy reports whether executing rc is expensive work.
func (a *admission) heavy(rc *graphql.OperationContext) bool {
	if rc.Operation == nil || rc.Operation.Operation == ast.Subscription {
		return false
	}
	if operationComplexity(rc) >= a.heavyComplexity {
		return true
	}
	return findIntrospection(rc.Doc, rc.Operation.SelectionSet, map[string]bool{}) != nil
}

// executor wraps exec so that its expensive steps go through the lane. Every transport gets its
// executor through it (admitted), so no transport is a way around the lane.
func (a *admission) executor(exec graphql.GraphExecutor) graphql.GraphExecutor {
	return &admittedExecutor{GraphExecutor: exec, lane: a}
}

// admittedExecutor decides in CreateOperationContext, where the document and its complexity are
// known and a refusal is still a request error (503 over HTTP, nothing executed), and hands a
// heavy operation's slot over to DispatchOperation through held.
type admittedExecutor struct {
	graphql.GraphExecutor
	lane *admission
	held sync.Map // *graphql.OperationContext → func() giving its slot back
}

// CreateOperationContext parses and validates in the lane unless the document is cached, and
// keeps (or takes) a slot for an operation whose execution is heavy.
func (e *admittedExecutor) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	var leave func()
	if params.Query != "" && (e.lane.maxQueryBytes == 0 || len(params.Query) <= e.lane.maxQueryBytes) {
		// (A longer document is refused by the preflight before it is read: no need to wait.)
		if _, cached := e.lane.docs.Get(ctx, params.Query); !cached {
			var err *gqlerror.Error
			if leave, err = e.lane.enter(ctx); err != nil {
				return &graphql.OperationContext{RawQuery: params.Query, OperationName: params.OperationName, Variables: params.Variables}, gqlerror.List{err}
			}
		}
	}
	rc, errs := e.GraphExecutor.CreateOperationContext(ctx, params)
	if errs != nil || !e.lane.heavy(rc) {
		if leave != nil {
			leave()
		}
		return rc, errs
	}
	if leave == nil {
		var err *gqlerror.Error
		if leave, err = e.lane.enter(ctx); err != nil {
			return rc, gqlerror.List{err}
		}
	}
	// The slot goes back after the operation's response, or when the request ends if it is never
	// dispatched (a transport refusing the operation after validation).
	var once sync.Once
	release := func() { once.Do(leave) }
	stop := context.AfterFunc(ctx, func() {
		e.held.Delete(rc)
		release()
	})
	e.held.Store(rc, func() {
		stop()
		release()
	})
	return rc, nil
}

// DispatchOperation gives a heavy operation's slot back with its (first) response.
func (e *admittedExecutor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	responses, rctx := e.GraphExecutor.DispatchOperation(ctx, rc)
	held, ok := e.held.LoadAndDelete(rc)
	if !ok {
		return responses, rctx
	}
	release := held.(func())
	return func(ctx context.Context) *graphql.Response {
		defer release()
		return responses(ctx)
	}, rctx
}

// admitted is a transport whose executor goes through the lane.
type admitted struct {
	graphql.Transport
	lane *admission
}

// Do implements graphql.Transport.
func (t admitted) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.Transport.Do(w, r, t.lane.executor(exec))
}
