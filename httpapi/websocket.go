package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/gqlws"
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
// closes with 4403 when the token expires or its session is revoked.
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
		return auth.WithViewer(ctx, v), nil
	}
}
