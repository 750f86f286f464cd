package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/gqlws"
	"github.com/skillswap/skillswap/i18n"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/realtime"
)

// Authenticator checks bearer tokens.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (auth.Viewer, error)
}

// newWebsocket builds the WebSocket transport (see package gqlws for why it is not gqlgen's).
func newWebsocket(cfg Config, d Deps) *gqlws.Server {
	return gqlws.New(gqlws.Config{
		InitTimeout:          cfg.WSInitTimeout,
		PingInterval:         cfg.WSPingInterval,
		ReadLimit:            cfg.WSReadLimit,
		MaxSubscriptions:     cfg.WSMaxSubs,
		MaxMessagesPerMinute: cfg.WSMaxMsgsPerMin,
		OriginPatterns:       originHosts(cfg.AllowedOrigins),
		Context:              wsContext,
		Init:                 wsInit(d.Authn, d.Hub, connCaps{slots: d.Slots, perUser: cfg.WSMaxConnsUser, perIP: cfg.WSMaxConnsIP}, d.Log),
		Log:                  d.Log,
	})
}

// wsContext is a connection's base context: the request id and client details only. The
// upgrade request's own context ends with its handler and holds the request, which a
// connection living for hours must not keep. The handshake's traceparent (traceTraffic) is kept:
// the connection's operations are traced under it.
func wsContext(r *http.Request) context.Context {
	ctx := context.WithValue(context.Background(), requestIDKey{}, RequestIDFrom(r.Context()))
	if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	return auth.WithClient(ctx, auth.ClientFrom(r.Context()))
}

// connCaps caps open WebSocket connections per member and per client network (0: no cap).
type connCaps struct {
	slots          ratelimit.Slots
	perUser, perIP int
}

// acquire takes a connection slot for the member and their network, or refuses with 4008
// (gqlws.CloseTooManyConnections).
func (c connCaps) acquire(ctx context.Context, conn gqlws.Conn, userID string, log *slog.Logger) error {
	if c.slots == nil || (c.perUser <= 0 && c.perIP <= 0) {
		return nil
	}
	release, ok, err := c.slots.Acquire(ctx, []ratelimit.Claim{
		{Key: "ws:user:" + userID, Max: c.perUser},
		{Key: "ws:ip:" + ratelimit.IPKey(auth.ClientFrom(ctx).IP), Max: c.perIP},
	})
	if err != nil {
		// RedisSlots counts in memory while Redis is away; an error here is a cancelled
		// context, and the connection is ending anyway.
		log.WarnContext(ctx, "websocket: connection caps", "err", err)
		return nil
	}
	if !ok {
		return &gqlws.CloseError{Code: gqlws.CloseTooManyConnections, Reason: "Too many connections: close another one and retry"}
	}
	conn.OnClose(release)
	return nil
}

// wsInit authenticates connection_init: payload.authorization (or Authorization) holds
// "Bearer <token>". A missing or refused token closes the socket with 4403; a member or client
// network already holding its cap of connections, with 4008. Once authenticated, the socket
// closes with 4403 when the token expires, its session is revoked, or the account loses a role.
func wsInit(authn Authenticator, hub *realtime.Hub, caps connCaps, log *slog.Logger) func(context.Context, gqlws.Conn, map[string]any) (context.Context, error) {
	return func(ctx context.Context, conn gqlws.Conn, payload map[string]any) (context.Context, error) {
		raw, _ := payload["authorization"].(string)
		if raw == "" {
			raw, _ = payload["Authorization"].(string)
		}
		token := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(raw), "Bearer "))
		if token == "" {
			return nil, errors.New("connection_init payload.authorization must hold a Bearer access token")
		}
		v, err := authn.Authenticate(ctx, token)
		if err != nil {
			if de, ok := err.(*domain.Error); ok {
				return nil, errors.New(de.Message)
			}
			log.ErrorContext(ctx, "websocket authenticate", "err", err)
			return nil, errors.New("access token refused")
		}
		if err := caps.acquire(ctx, conn, v.User.ID.String(), log); err != nil {
			return nil, err
		}
		expiry := time.AfterFunc(time.Until(v.TokenExpiresAt), func() {
			conn.CloseWith(gqlws.CloseForbidden, "Forbidden: access token expired")
		})
		conn.OnClose(func() { expiry.Stop() })
		release, err := hub.SubscribeFunc(ctx, realtime.SessionTopic(v.AuthSessionID), func([]byte) {
			conn.CloseWith(gqlws.CloseForbidden, "Forbidden: session ended")
		})
		if err != nil {
			log.WarnContext(ctx, "websocket: watch session revocation", "err", err)
		} else {
			conn.OnClose(release)
		}
		// The viewer is fixed for the connection's life: when the account loses a role it held
		// (setUserRoles), the socket closes with 4403 like a revoked session, so staff-only
		// operations stop; the client reconnects and runs with the roles it has now.
		watch := &roleWatch{authn: authn, conn: conn, token: token, roles: v.User.Roles, log: log}
		releaseUser, err := hub.SubscribeFunc(ctx, realtime.UserTopic(v.User.ID), func([]byte) { watch.wake(ctx) })
		if err != nil {
			log.WarnContext(ctx, "websocket: watch role changes", "err", err)
		} else {
			conn.OnClose(releaseUser)
		}
		return i18n.WithLocale(auth.WithViewer(ctx, v), wsLocale(ctx, payload, v.User.Locale)), nil
	}
}

// roleWatch re-authenticates a socket's token when its account changed (the user topic says
// only "changed") and closes the socket when a role the connection runs with is gone or the
// token no longer authenticates. One check at a time: wake-ups during one make one more.
type roleWatch struct {
	authn Authenticator
	conn  gqlws.Conn
	token string
	roles []domain.Role
	log   *slog.Logger

	mu              sync.Mutex
	checking, again bool
}

// wake runs on the broker's delivery goroutine, so the check (a database read) runs on its own.
func (w *roleWatch) wake(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.checking {
		w.again = true
		return
	}
	w.checking = true
	go w.check(ctx)
}

func (w *roleWatch) check(ctx context.Context) {
	for {
		v, err := w.authn.Authenticate(ctx, w.token)
		switch {
		case isDomain(err):
			// Expired, revoked or suspended: the session's own close usually came first.
			w.conn.CloseWith(gqlws.CloseForbidden, "Forbidden: session ended")
		case err != nil:
			if ctx.Err() == nil {
				// Kept open: the next change, the session's revocation or the token's expiry
				// still close it.
				w.log.WarnContext(ctx, "websocket: recheck roles", "err", err)
			}
		default:
			for _, r := range w.roles {
				if !slices.Contains(v.User.Roles, r) {
					w.conn.CloseWith(gqlws.CloseForbidden, "Forbidden: roles changed; reconnect")
					break
				}
			}
		}
		w.mu.Lock()
		if !w.again {
			w.checking = false
			w.mu.Unlock()
			return
		}
		w.again = false
		w.mu.Unlock()
	}
}

// wsLocale is the language of a socket's messages: connection_init's payload.locale when the app
// names one (its explicit choice, as signUp's input.locale), else the member's profile locale,
// else the handshake's Accept-Language (which withLocale put on ctx), else English: the same
// order as over HTTP, profile before header.
func wsLocale(ctx context.Context, payload map[string]any, profile string) string {
	if l, _ := payload["locale"].(string); strings.TrimSpace(l) != "" {
		return i18n.Match(l)
	}
	if strings.TrimSpace(profile) != "" {
		return i18n.Match(profile)
	}
	return i18n.LocaleFrom(ctx)
}
