package httpapi

import (
	"context"
	"errors"
	"hash/maphash"
	"math"
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
//   - executing an operation that introspects the schema, or whose complexity reaches
//     heavyComplexity, unless its document's earlier answers show it is cheap (below).
//
// Complexity is a worst case: every list at its bound. An app's everyday page (20 members, their
// offered skills and their categories, complexity ~7,000) answers 15 kB, where the catalogue with
// related skills (complexity ~6,500) answers 90 kB and costs five times the CPU; by complexity
// alone both ran one at a time, and the page's throughput was that of one slot waiting on its
// SQL. So the lane remembers, per document, the most bytes of answer one point of complexity has
// produced (answers measures); an operation over heavyComplexity whose document has been
// answered before is expensive only when its complexity, at that rate, promises heavyBytes or
// more. A document never answered is expensive (every distinct document of a flood is); one
// whose answer was stopped for its size or time stays expensive.
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
	heavyBytes      int
	answers         *answerSizes
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
	// HeavyComplexity is the complexity from which an operation's execution is expensive, and
	// HeavyBytes the answer size from which one whose document was answered before is.
	HeavyComplexity int
	HeavyBytes      int
}

func newAdmission(cfg AdmissionConfig, maxQueryBytes int, docs graphql.Cache[*ast.QueryDocument]) *admission {
	return &admission{
		maxQueryBytes:   maxQueryBytes,
		slots:           make(chan struct{}, max(cfg.Slots, 1)),
		maxWaiting:      int64(max(cfg.MaxWaiting, 0)),
		maxWait:         cfg.MaxWait,
		heavyComplexity: cfg.HeavyComplexity,
		heavyBytes:      cfg.HeavyBytes,
		answers:         newAnswerSizes(maxMeasuredDocuments),
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
	if findIntrospection(rc.Doc, rc.Operation.SelectionSet, map[string]bool{}) != nil {
		return true
	}
	c := operationComplexity(rc)
	if c < a.heavyComplexity {
		return false
	}
	perPoint, answered := a.answers.perPoint(rc.RawQuery)
	return !answered || float64(c)*perPoint >= float64(a.heavyBytes)
}

// measured tells whether rc's answer teaches the lane something: an operation the complexity
// alone would call expensive.
func (a *admission) measured(rc *graphql.OperationContext) bool {
	return rc.Operation != nil && rc.Operation.Operation != ast.Subscription && operationComplexity(rc) >= a.heavyComplexity
}

// record learns from resp, the answer to rc for a request whose context is ctx: its bytes per
// point of complexity. An answer the server stopped for its size or its time makes the document
// expensive for good; one cut short because the client went away, or without data, teaches
// nothing (a load balancer's timeout must not make an everyday page expensive).
func (a *admission) record(ctx context.Context, rc *graphql.OperationContext, resp *graphql.Response) {
	if resp == nil {
		return
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return
	}
	stopped := errors.Is(ctx.Err(), context.DeadlineExceeded)
	for _, e := range resp.Errors {
		if code, _ := e.Extensions["code"].(string); code == CodeResponseTooLarge {
			stopped = true
		}
	}
	if stopped {
		a.answers.observe(rc.RawQuery, math.Inf(1))
		return
	}
	if len(resp.Data) == 0 || string(resp.Data) == "null" {
		return
	}
	a.answers.observe(rc.RawQuery, float64(len(resp.Data))/float64(operationComplexity(rc)))
}

// maxMeasuredDocuments bounds what the lane remembers: an app has tens of documents; past the
// bound an arbitrary one is forgotten (and is expensive again until answered).
const maxMeasuredDocuments = 4096

// answerSizes remembers, per document (a hash of its text), the most bytes of answer per point
// of complexity it has produced.
type answerSizes struct {
	mu    sync.Mutex
	seed  maphash.Seed
	max   int
	rates map[uint64]float64
}

func newAnswerSizes(max int) *answerSizes {
	return &answerSizes{seed: maphash.MakeSeed(), max: max, rates: make(map[uint64]float64)}
}

func (s *answerSizes) perPoint(doc string) (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rates[maphash.String(s.seed, doc)]
	return r, ok
}

func (s *answerSizes) observe(doc string, perPoint float64) {
	k := maphash.String(s.seed, doc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.rates[k]; ok {
		s.rates[k] = max(prev, perPoint)
		return
	}
	if len(s.rates) >= s.max {
		for old := range s.rates {
			delete(s.rates, old)
			break
		}
	}
	s.rates[k] = perPoint
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

// DispatchOperation gives a heavy operation's slot back with its (first) response, and learns
// from the answer of every operation the complexity alone calls expensive.
func (e *admittedExecutor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	responses, rctx := e.GraphExecutor.DispatchOperation(ctx, rc)
	release := func() {}
	held, isHeld := e.held.LoadAndDelete(rc)
	if isHeld {
		release = held.(func())
	}
	measured := e.lane.measured(rc)
	if !isHeld && !measured {
		return responses, rctx
	}
	var first atomic.Bool
	return func(ctx context.Context) *graphql.Response {
		if first.Swap(true) {
			return responses(ctx) // a later part of an incremental answer
		}
		defer release()
		resp := responses(ctx)
		if measured {
			e.lane.record(ctx, rc, resp)
		}
		return resp
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
