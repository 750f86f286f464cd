package gqlws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/skillswap/skillswap/realtime"
)

// operation is one running subscribe (or legacy start). It is the realtime.Delivery of its
// subscription: when the resolver's outbox attaches, values are pulled only when Ready says one
// is waiting, on a pooled goroutine that serves it as long as there is something to send.
type operation struct {
	c      *conn
	id     string
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	attached  bool
	consumed  func()
	responses graphql.ResponseHandler // set once the operation is dispatched
	rctx      context.Context
	waiting   int  // Ready calls not yet served
	running   bool // a goroutine is serving them
	ended     bool // completed by either side: nothing more is sent
	byClient  bool // the client completed it: no complete is sent back
}

var _ realtime.Delivery = (*operation)(nil)

// Attach implements realtime.Delivery.
func (o *operation) Attach(consumed func()) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.attached {
		return false
	}
	o.attached, o.consumed = true, consumed
	return true
}

// Ready implements realtime.Delivery.
func (o *operation) Ready() {
	o.mu.Lock()
	o.waiting++
	start := o.responses != nil && !o.running
	if start {
		o.running = true
	}
	o.mu.Unlock()
	if start {
		o.c.s.deliveries.run(o.serve)
	}
}

// serve sends one response per Ready until none is waiting.
func (o *operation) serve() {
	for {
		o.mu.Lock()
		if o.waiting == 0 || o.ended {
			o.running = false
			o.mu.Unlock()
			return
		}
		o.waiting--
		o.mu.Unlock()
		resp := o.next()
		if resp == nil {
			o.c.end(o)
			return
		}
		o.c.sendResponse(o, resp)
		o.consumed()
	}
}

// next calls gqlgen's response handler, turning a panic into an error response.
func (o *operation) next() (resp *graphql.Response) {
	defer func() {
		if r := recover(); r != nil {
			err := graphql.GetOperationContext(o.rctx).Recover(o.rctx, r)
			resp = &graphql.Response{Errors: gqlerror.List{asGQLError(err)}}
		}
	}()
	return o.responses(o.rctx)
}

func asGQLError(err error) *gqlerror.Error {
	var g *gqlerror.Error
	if errors.As(err, &g) {
		return g
	}
	return &gqlerror.Error{Message: "internal system error"}
}

// subscribe registers an operation and starts it.
func (c *conn) subscribe(id string, payload json.RawMessage) {
	c.mu.Lock()
	switch {
	case !c.acked && c.strict:
		c.mu.Unlock()
		c.closeNow(CloseUnauthorized, "Unauthorized")
		return
	case !c.acked:
		c.mu.Unlock()
		c.refuse("start before connection_ack")
		return
	case id == "":
		c.mu.Unlock()
		c.refuse("Invalid message received: subscribe needs an id")
		return
	case c.ops[id] != nil:
		c.mu.Unlock()
		if c.strict {
			c.closeNow(CloseSubscriberExists, "Subscriber for "+truncate(id, 64)+" already exists")
		} else {
			c.sendErrors(id, gqlerror.List{{Message: "an operation with this id is already running"}})
		}
		return
	case c.s.cfg.MaxSubscriptions > 0 && len(c.ops) >= c.s.cfg.MaxSubscriptions:
		c.mu.Unlock()
		c.sendErrors(id, gqlerror.List{{
			Message:    fmt.Sprintf("too many subscriptions on this connection (at most %d)", c.s.cfg.MaxSubscriptions),
			Extensions: map[string]any{"code": codeRateLimited},
		}})
		return
	}
	ctx, cancel := context.WithCancel(c.ctx)
	o := &operation{c: c, id: id, ctx: ctx, cancel: cancel}
	if c.ops == nil {
		c.ops = map[string]*operation{}
	}
	c.ops[id] = o
	c.mu.Unlock()
	start := graphql.Now()
	go c.run(o, payload, start)
}

// run parses, validates and dispatches an operation. A subscription whose resolver attached an
// outbox returns at once (Ready drives it from then on); anything else is pumped here, as gqlgen
// does.
func (c *conn) run(o *operation, payload json.RawMessage, start time.Time) {
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		c.fail(o, gqlerror.List{{Message: "invalid json", Extensions: map[string]any{"code": codeBadRequest}}})
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	ctx := graphql.StartOperationTrace(o.ctx)
	rc, errs := c.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			c.fail(o, resp.Errors)
			return
		}
		c.sendResponse(o, resp)
		c.end(o)
		return
	}
	if rc.Operation.Operation == ast.Mutation {
		c.fail(o, gqlerror.List{{Message: "mutations are only accepted over POST", Extensions: map[string]any{"code": codeBadRequest}}})
		return
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	ctx = realtime.WithDelivery(ctx, o)

	responses, rctx, ok := c.dispatch(o, ctx, rc)
	if !ok {
		return
	}
	o.mu.Lock()
	o.responses, o.rctx = responses, rctx
	if o.attached {
		start := o.waiting > 0 && !o.running
		if start {
			o.running = true
		}
		o.mu.Unlock()
		if start {
			o.serve()
		}
		return
	}
	o.mu.Unlock()
	// A plain channel (or a query): block on it like gqlgen.
	for {
		resp := o.next()
		if resp == nil {
			break
		}
		if !c.sendResponse(o, resp) {
			return
		}
	}
	c.end(o)
}

// dispatch runs the resolver, turning a panic into an error message.
func (c *conn) dispatch(o *operation, ctx context.Context, rc *graphql.OperationContext) (responses graphql.ResponseHandler, rctx context.Context, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.fail(o, gqlerror.List{asGQLError(rc.Recover(ctx, r))})
			ok = false
		}
	}()
	responses, rctx = c.exec.DispatchOperation(ctx, rc)
	return responses, rctx, true
}

// stop ends an operation at the client's request.
func (c *conn) stop(id string) {
	c.mu.Lock()
	o := c.ops[id]
	delete(c.ops, id)
	c.mu.Unlock()
	if o == nil {
		return
	}
	o.mu.Lock()
	o.ended, o.byClient = true, true
	o.mu.Unlock()
	o.cancel()
}

// end completes an operation from the server's side.
func (c *conn) end(o *operation) {
	if c.forget(o) {
		c.sendMessage("complete", o.id, nil)
	}
}

// fail sends an error message for an operation that could not run; no complete follows.
func (c *conn) fail(o *operation, errs gqlerror.List) {
	if c.forget(o) {
		c.sendErrors(o.id, errs)
	}
}

// forget removes o and reports whether the client still expects to hear about it.
func (c *conn) forget(o *operation) bool {
	c.mu.Lock()
	if c.ops[o.id] == o {
		delete(c.ops, o.id)
	}
	c.mu.Unlock()
	o.mu.Lock()
	tell := !o.byClient && !o.ended
	o.ended = true
	o.mu.Unlock()
	o.cancel()
	return tell
}

// sendResponse sends one result as next (data under the legacy protocol); it reports false once
// the operation has ended.
func (c *conn) sendResponse(o *operation, resp *graphql.Response) bool {
	o.mu.Lock()
	ended := o.ended
	o.mu.Unlock()
	if ended {
		return false
	}
	typ := "next"
	if !c.strict {
		typ = "data"
	}
	if resp.Errors == nil && resp.Label == "" && resp.Path == nil && resp.HasNext == nil && resp.Extensions == nil && len(resp.Data) > 0 {
		// The usual event: data alone, which gqlgen wrote as JSON. json.Marshal would only
		// validate and compact it again.
		c.sendParts(typ, o.id, dataPrefix, resp.Data, dataSuffix)
		return true
	}
	b, err := json.Marshal(resp)
	if err != nil {
		c.s.cfg.Log.Error("gqlws: encode response", "err", err)
		return false
	}
	c.sendMessage(typ, o.id, b)
	return true
}

var dataPrefix, dataSuffix = []byte(`{"data":`), []byte(`}`)

func (c *conn) sendErrors(id string, errs gqlerror.List) {
	b, err := json.Marshal(errs)
	if err != nil {
		c.s.cfg.Log.Error("gqlws: encode errors", "err", err)
		return
	}
	c.sendMessage("error", id, b)
}
