// Package gqlws serves GraphQL over WebSocket as a gqlgen transport: the graphql-transport-ws
// protocol (the graphql-ws library, Apollo Client) and the legacy graphql-ws protocol
// (subscriptions-transport-ws), with the close codes, limits and authentication the API needs.
//
// It replaces gqlgen's transport.Websocket because of what an idle connection costs. gqlgen's
// keeps six goroutines per connection with one subscription (reader, pinger, closer, one per
// subscription, plus the resolver's) and two 4 KiB buffers: about 97 KiB of server memory each.
// Here a connection is one goroutine blocked in read with no buffer, timers instead of ticking
// goroutines, and subscriptions whose resolvers use realtime.Outbox hold no goroutine at all
// between events: the transport is told when a value is waiting (realtime.Delivery) and only
// then runs gqlgen's response handler on a pooled goroutine (see workers). Resolvers that return a plain
// channel still work: they get a goroutine that blocks on it, as in gqlgen.
package gqlws

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gobwas/ws"
)

// Subprotocols, in order of preference.
const (
	// ProtocolTransportWS is graphql-transport-ws, spoken by the graphql-ws library.
	ProtocolTransportWS = "graphql-transport-ws"
	// ProtocolLegacy is subscriptions-transport-ws's graphql-ws; a client that names no
	// subprotocol gets it, as with gqlgen.
	ProtocolLegacy = "graphql-ws"
)

// Close codes of the graphql-transport-ws protocol, and the RFC 6455 ones the server uses.
const (
	CloseNormal             = 1000
	CloseGoingAway          = 1001
	CloseProtocolError      = 1002
	ClosePolicyViolation    = 1008
	CloseTooBig             = 1009
	CloseBadRequest         = 4400
	CloseUnauthorized       = 4401
	CloseForbidden          = 4403
	CloseInitTimeout        = 4408
	CloseSubscriberExists   = 4409
	CloseTooManyInitRequest = 4429
	// CloseTooManyConnections refuses a connection_init when its member or client network
	// already holds as many connections as allowed. The protocol defines no code for it: 4008
	// mirrors 1008 (policy violation) in the private range, and, unlike 4429 (a second
	// connection_init, which graphql-ws clients treat as fatal), it is one graphql-ws clients
	// retry with their back-off, which is right: a slot frees when another connection ends.
	CloseTooManyConnections = 4008
)

// CloseError is an error Init may return to refuse a connection with a close code other than
// 4403; Reason (fit for clients) is sent with it.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string { return e.Reason }

// Error codes sent in extensions.code of the errors the transport itself produces.
const (
	codeRateLimited = "RATE_LIMITED"
	codeBadRequest  = "BAD_REQUEST"
)

// Config sets a server's limits and hooks.
type Config struct {
	// InitTimeout closes a connection with 4408 when no connection_init arrives in time.
	InitTimeout time.Duration
	// PingInterval is how often the server pings (graphql-transport-ws) or sends "ka" (legacy);
	// a graphql-transport-ws client silent for two intervals is disconnected. Zero disables it.
	PingInterval time.Duration
	// WriteTimeout bounds one write to a slow client; past it the connection is dropped.
	WriteTimeout time.Duration
	// ReadLimit bounds a client message, in bytes (1009 beyond it).
	ReadLimit int64
	// MaxSubscriptions bounds the operations running at once on a connection; one more gets an
	// error with RATE_LIMITED.
	MaxSubscriptions int
	// MaxMessagesPerMinute closes a connection sending more with 1008.
	MaxMessagesPerMinute int
	// OriginPatterns are the host patterns (path.Match syntax) of the browser origins allowed
	// besides the request's own host; other origins get 403 before the upgrade.
	OriginPatterns []string
	// Context returns the connection's base context from the upgrade request. It must not be
	// cancelled when the HTTP handler returns. Nil: the request's context without its cancel.
	Context func(r *http.Request) context.Context
	// Init authenticates connection_init's payload and returns the context every operation of
	// the connection runs with. An error refuses the connection with 4403 and its text (which
	// therefore must be fit for clients) as reason; a *CloseError with its own code and reason.
	Init func(ctx context.Context, conn Conn, payload map[string]any) (context.Context, error)
	// Log receives what cannot be told to the client.
	Log *slog.Logger
}

// Conn is what Init may keep of a connection: a way to close it and to clean up after it.
type Conn interface {
	// CloseWith closes the connection with a WebSocket close code and reason.
	CloseWith(code int, reason string)
	// OnClose registers fn to run once when the connection closes (at once if it has).
	OnClose(fn func())
}

// workerIdleTimeout is how long a delivery goroutine waits for more work before it exits: long
// enough to be reused under steady traffic, short enough that a quiet server holds none.
const workerIdleTimeout = time.Second

// Server is the transport. Add it to a gqlgen handler with AddTransport.
type Server struct {
	cfg      Config
	upgrader ws.HTTPUpgrader

	// deliveries runs operations' responses (see operation.Ready).
	deliveries *workers

	mu    sync.Mutex
	conns map[*conn]struct{}
}

var _ graphql.Transport = (*Server)(nil)

// New returns a transport with cfg.
func New(cfg Config) *Server {
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Context == nil {
		cfg.Context = func(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) }
	}
	s := &Server{cfg: cfg, conns: map[*conn]struct{}{}, deliveries: newWorkers(workerIdleTimeout)}
	s.upgrader = ws.HTTPUpgrader{
		Timeout: cfg.WriteTimeout,
		Protocol: func(p string) bool {
			return p == ProtocolTransportWS || p == ProtocolLegacy
		},
	}
	return s
}

// Supports claims upgrade requests, like gqlgen's WebSocket transport.
func (s *Server) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") != ""
}

// Do upgrades the request and returns: the connection lives on its own goroutine.
func (s *Server) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if err := s.checkOrigin(r); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	base := s.cfg.Context(r)
	nc, rw, hs, err := s.upgrader.Upgrade(r, w)
	if err != nil {
		// The upgrader has answered with an HTTP error.
		if nc != nil {
			_ = nc.Close()
		}
		return
	}
	c := newConn(s, nc, rw.Reader, hs.Protocol, exec, base)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	go c.readLoop()
}

func (s *Server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Count returns the number of open connections.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// CloseAll closes every open connection with code and reason (1001 when shutting down, so
// clients reconnect elsewhere).
func (s *Server) CloseAll(code int, reason string) {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { c.closeNow(code, reason) })
	}
	// Each write is bounded by WriteTimeout: shutdown waits for the close frames, not forever.
	wg.Wait()
}

// checkOrigin refuses browsers on other origins (cross-site WebSocket hijacking): an Origin
// header must name the request's host or match a pattern. Clients that send none (mobile apps,
// servers) are not browsers and pass.
func (s *Server) checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("request Origin %q is not a valid URL with a host", origin)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	host := strings.ToLower(u.Host)
	for _, p := range s.cfg.OriginPatterns {
		if ok, err := path.Match(strings.ToLower(p), host); err == nil && ok {
			return nil
		}
	}
	return fmt.Errorf("request Origin %q is not allowed", origin)
}
