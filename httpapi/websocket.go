package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/realtime"
)

// Close codes of the graphql-transport-ws protocol.
const (
	CloseBadRequest         = 4400
	CloseUnauthorized       = 4401
	CloseForbidden          = 4403
	CloseInitTimeout        = 4408
	CloseSubscriberExists   = 4409
	CloseTooManyInitRequest = 4429
	closePolicyViolation    = 1008
	closeGoingAway          = 1001
	subprotocolTransportWS  = "graphql-transport-ws"
)

// wsConfig bounds WebSocket connections.
type wsConfig struct {
	InitTimeout       time.Duration
	MaxSubscriptions  int
	MaxMessagesPerMin int
}

// guardedImpl wraps gqlgen's WebSocket implementation with a protocol guard: gqlgen answers
// most graphql-transport-ws violations with a generic 1002, while clients such as graphql-ws rely
// on the protocol's own close codes to decide whether to retry.
type guardedImpl struct {
	inner   transport.WebsocketImplementation
	cfg     wsConfig
	tracker *connTracker
}

func (i guardedImpl) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := i.inner.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	g := &guardedConn{
		WebsocketConn: conn,
		cfg:           i.cfg,
		strict:        conn.Subprotocol() == subprotocolTransportWS,
		active:        map[string]bool{},
		windowStart:   time.Now(),
		tracker:       i.tracker,
	}
	if h, ok := r.Context().Value(connHolderKey{}).(*connHolder); ok {
		h.conn = g
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.initTimer = time.AfterFunc(i.cfg.InitTimeout, func() {
		g.mu.Lock()
		seen := g.initSeen
		g.mu.Unlock()
		if !seen {
			g.closeWith(CloseInitTimeout, "Connection initialisation timeout")
		}
	})
	i.tracker.add(g)
	return g, nil
}

// guardedConn enforces the graphql-transport-ws state machine before gqlgen sees a message.
type guardedConn struct {
	transport.WebsocketConn
	cfg     wsConfig
	strict  bool
	tracker *connTracker

	mu          sync.Mutex
	initSeen    bool
	acked       bool
	closed      bool
	active      map[string]bool
	windowStart time.Time
	windowCount int
	initTimer   *time.Timer
	cleanups    []func()
}

// errClosedByGuard ends gqlgen's read loop after the guard closed the socket itself.
var errClosedByGuard = transport.ErrWebsocketClosed

func (g *guardedConn) NextReader() (int, io.Reader, error) {
	for {
		mt, r, err := g.WebsocketConn.NextReader()
		if err != nil {
			return mt, r, err
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return mt, nil, err
		}
		if !g.allowMessage() {
			g.closeWith(closePolicyViolation, "Too many messages")
			return mt, nil, errClosedByGuard
		}
		if !g.strict {
			return mt, bytes.NewReader(b), nil
		}
		forward, code, reason := g.check(b)
		if code != 0 {
			g.closeWith(code, reason)
			return mt, nil, errClosedByGuard
		}
		if forward {
			return mt, bytes.NewReader(b), nil
		}
	}
}

// check applies the protocol rules to one client message. It returns whether to pass the message
// on to gqlgen, or a close code.
func (g *guardedConn) check(b []byte) (forward bool, code int, reason string) {
	var m struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Type == "" {
		return false, CloseBadRequest, "Invalid message received"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch m.Type {
	case "connection_init":
		if g.initSeen {
			return false, CloseTooManyInitRequest, "Too many initialisation requests"
		}
		g.initSeen = true
		g.initTimer.Stop()
	case "subscribe":
		if !g.acked {
			return false, CloseUnauthorized, "Unauthorized"
		}
		if m.ID == "" {
			return false, CloseBadRequest, "Invalid message received: subscribe needs an id"
		}
		if g.active[m.ID] {
			return false, CloseSubscriberExists, "Subscriber for " + truncate(m.ID, 64) + " already exists"
		}
		if len(g.active) >= g.cfg.MaxSubscriptions {
			go g.sendError(m.ID, fmt.Sprintf("too many subscriptions on this connection (at most %d)", g.cfg.MaxSubscriptions))
			return false, 0, ""
		}
		g.active[m.ID] = true
	case "complete":
		delete(g.active, m.ID)
	case "ping", "pong":
	default:
		return false, CloseBadRequest, "Invalid message received: unexpected type " + truncate(m.Type, 32)
	}
	return true, 0, ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (g *guardedConn) allowMessage() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if now.Sub(g.windowStart) >= time.Minute {
		g.windowStart, g.windowCount = now, 0
	}
	g.windowCount++
	return g.windowCount <= g.cfg.MaxMessagesPerMin
}

func (g *guardedConn) sendError(id, msg string) {
	payload, _ := json.Marshal([]map[string]any{{"message": msg, "extensions": map[string]any{"code": CodeRateLimited}}})
	_ = g.WebsocketConn.WriteJSON(map[string]any{"id": id, "type": "error", "payload": json.RawMessage(payload)})
}

// WriteJSON watches what the server sends: the ack opens the connection, and a complete or error
// frees a subscription id.
func (g *guardedConn) WriteJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("marshal websocket message: %w", err)
	}
	if g.strict {
		var m struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if json.Unmarshal(b, &m) == nil {
			switch m.Type {
			case "connection_ack":
				g.mu.Lock()
				g.acked = true
				g.mu.Unlock()
			case "complete", "error":
				g.mu.Lock()
				delete(g.active, m.ID)
				g.mu.Unlock()
			}
		}
	}
	return g.WebsocketConn.WriteJSON(json.RawMessage(b))
}

// closeWith closes the socket with code unless it is already closing.
func (g *guardedConn) closeWith(code int, reason string) {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	g.mu.Unlock()
	_ = g.WebsocketConn.WriteClose(code, reason)
	_ = g.Close()
}

func (g *guardedConn) WriteClose(code int, reason string) error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	return g.WebsocketConn.WriteClose(code, reason)
}

// onClose registers cleanup to run when the connection closes.
func (g *guardedConn) onClose(fn func()) {
	g.mu.Lock()
	g.cleanups = append(g.cleanups, fn)
	g.mu.Unlock()
}

func (g *guardedConn) Close() error {
	g.mu.Lock()
	g.closed = true
	cleanups := g.cleanups
	g.cleanups = nil
	g.initTimer.Stop()
	g.mu.Unlock()
	for _, fn := range cleanups {
		fn()
	}
	g.tracker.remove(g)
	return g.WebsocketConn.Close()
}

// SetReadLimit and SetReadDeadline pass through to the wrapped connection.
func (g *guardedConn) SetReadLimit(limit int64) {
	if l, ok := g.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (g *guardedConn) SetReadDeadline(t time.Time) error {
	if d, ok := g.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// connTracker knows every open socket so shutdown can close them with 1001 Going Away.
type connTracker struct {
	mu    sync.Mutex
	conns map[*guardedConn]struct{}
}

func newConnTracker() *connTracker { return &connTracker{conns: map[*guardedConn]struct{}{}} }

func (t *connTracker) add(g *guardedConn) {
	t.mu.Lock()
	t.conns[g] = struct{}{}
	t.mu.Unlock()
}

func (t *connTracker) remove(g *guardedConn) {
	t.mu.Lock()
	delete(t.conns, g)
	t.mu.Unlock()
}

// count returns the number of open sockets.
func (t *connTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// closeAll closes every open socket with 1001 Going Away (server shutting down: reconnect).
func (t *connTracker) closeAll() {
	t.mu.Lock()
	conns := make([]*guardedConn, 0, len(t.conns))
	for g := range t.conns {
		conns = append(conns, g)
	}
	t.mu.Unlock()
	for _, g := range conns {
		g.closeWith(closeGoingAway, "server shutting down")
	}
}

type connHolderKey struct{}

// connHolder lets the init function reach the socket accepted for its request.
type connHolder struct{ conn *guardedConn }

// Authenticator checks bearer tokens.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (auth.Viewer, error)
}

// wsInit authenticates connection_init: payload.authorization (or Authorization) holds
// "Bearer <token>". A missing or refused token closes the socket with 4403. Once authenticated,
// the socket closes with 4403 when the token expires or its session is revoked.
func wsInit(authn Authenticator, hub *realtime.Hub, log *slog.Logger) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		reject := func(msg string) (context.Context, *transport.InitPayload, error) {
			ctx = transport.WithWebsocketCloseCode(ctx, CloseForbidden)
			ctx = transport.AppendCloseReason(ctx, "Forbidden: "+msg)
			return ctx, nil, domain.Unauthenticated(msg)
		}
		raw, _ := payload["authorization"].(string)
		if raw == "" {
			raw, _ = payload["Authorization"].(string)
		}
		token := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(raw), "Bearer "))
		if token == "" {
			return reject("connection_init payload.authorization must hold a Bearer access token")
		}
		v, err := authn.Authenticate(ctx, token)
		if err != nil {
			msg := "access token refused"
			if de, ok := err.(*domain.Error); ok {
				msg = de.Message
			} else {
				log.ErrorContext(ctx, "websocket authenticate", "err", err)
			}
			return reject(msg)
		}
		if h, ok := ctx.Value(connHolderKey{}).(*connHolder); ok && h.conn != nil {
			g := h.conn
			expiry := time.AfterFunc(time.Until(v.TokenExpiresAt), func() {
				g.closeWith(CloseForbidden, "Forbidden: access token expired")
			})
			g.onClose(func() { expiry.Stop() })
			revoked, release, err := hub.Subscribe(ctx, realtime.SessionTopic(v.SessionID))
			if err != nil {
				log.WarnContext(ctx, "websocket: watch session revocation", "err", err)
			} else {
				done := make(chan struct{})
				g.onClose(func() { close(done); release() })
				go func() {
					select {
					case _, ok := <-revoked:
						if ok {
							g.closeWith(CloseForbidden, "Forbidden: session ended")
						}
					case <-done:
					}
				}()
			}
		}
		return auth.WithViewer(ctx, v), nil, nil
	}
}

// defaultWSImplementation is gqlgen's coder/websocket adapter with an origin allow-list.
func defaultWSImplementation(originPatterns []string) transport.WebsocketImplementation {
	return transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
		OriginPatterns: originPatterns,
	}}
}
