package httpapi

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
)

type requestIDKey struct{}

// RequestIDFrom returns the request's id ("" outside a request).
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// withRequestID takes a sane X-Request-ID from the caller (a gateway) or makes one, and echoes it.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if len(id) == 0 || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool {
			return !(c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		}) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// securityHeaders sets headers that make browsers handle API responses safely.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if r.URL.Path != "/" {
			// The playground page sets its own policy (it loads its scripts from a CDN).
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// csrfGuard refuses "simple" cross-site requests that a browser would send without a CORS
// preflight (form posts, text/plain), unless they carry a header only scripts can set; JSON posts
// and GET queries are unaffected. This is Apollo Server's CSRF prevention rule.
func csrfGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			ct := strings.ToLower(r.Header.Get("Content-Type"))
			simple := ct == "" || strings.HasPrefix(ct, "text/plain") ||
				strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data")
			if simple && r.Header.Get("Apollo-Require-Preflight") == "" && r.Header.Get("X-Apollo-Operation-Name") == "" {
				w.Header().Set("Content-Type", mediaJSON)
				writeRequestError(w, http.StatusUnsupportedMediaType,
					"Content-Type must be application/json (multipart uploads need an Apollo-Require-Preflight header)", CodeBadRequest)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// withLocale puts the request's language on its context (i18n.WithLocale), for the messages
// written for it (errors, account pages): the signed-in member's profile locale, else the
// Accept-Language header, else English. It runs after authenticate, which finds the member; a
// request that signs in (signUp, logIn) is answered in the header's language.
func withLocale(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := i18n.Resolve(auth.ActorFrom(r.Context()).User.Locale, r.Header.Get("Accept-Language"))
		next.ServeHTTP(w, r.WithContext(i18n.WithLocale(r.Context(), lang)))
	})
}

// clientInfo records the caller's IP and user agent for rate limits and session lists. The
// X-Forwarded-For header is trusted only when the server runs behind a proxy that sets it.
func clientInfo(trustProxy bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := remoteIP(r.RemoteAddr)
		if trustProxy {
			if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
				parts := strings.Split(xff, ",")
				if a, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
					ip = a
				}
			}
		}
		ctx := auth.WithClient(r.Context(), auth.Client{IP: ip, UserAgent: r.UserAgent()})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func remoteIP(addr string) netip.Addr {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// authenticate reads `Authorization: Bearer`. A refused token does not fail the request: public
// fields still work (logIn, refreshSession with a stale token attached), and fields that need a
// viewer fail with UNAUTHENTICATED saying why.
func authenticate(authn Authenticator, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r.WithContext(auth.WithAnonymous(r.Context())))
			return
		}
		ctx := r.Context()
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			ctx = auth.WithAuthError(ctx, authError("Authorization must be `Bearer <access token>`"))
		} else if v, err := authn.Authenticate(ctx, strings.TrimSpace(token)); err != nil {
			switch {
			case isDomain(err):
			case errors.Is(err, context.Canceled) && ctx.Err() != nil:
				log.DebugContext(ctx, "authenticate: canceled by the client", "request_id", RequestIDFrom(ctx))
			case dependencyDown(err):
				log.WarnContext(ctx, "authenticate: dependency unavailable", "request_id", RequestIDFrom(ctx), "err", err)
			default:
				log.ErrorContext(ctx, "authenticate", "request_id", RequestIDFrom(ctx), "err", err)
			}
			ctx = auth.WithAuthError(ctx, err)
		} else {
			ctx = auth.WithViewer(ctx, v)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withDeadline bounds every HTTP operation; WebSocket connections live longer and are bounded
// per operation by their own contexts.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusRecorder remembers the status code for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader passes the first status on; later calls (gqlgen writes an error after a refused
// WebSocket upgrade already answered 403) are dropped instead of logging "superfluous" lines.
func (s *statusRecorder) WriteHeader(code int) {
	if s.status != 0 {
		return
	}
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController and the WebSocket upgrade reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// accessLog logs one JSON line per request: id, method, path, status, duration and the GraphQL
// operation name (never variables, tokens or bodies).
func accessLog(log *slog.Logger, m *Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		info := &opInfo{}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), opInfoKey{}, info)))
		d := time.Since(start)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		m.observeHTTP(r, rec.status, d)
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
			return
		}
		opName, opKind := info.get()
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", RequestIDFrom(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("operation", opName),
			slog.String("operation_type", opKind),
		)
	})
}

// opInfo is filled by the GraphQL layer so the access log can name the operation. A WebSocket
// carries many operations on other goroutines, hence the lock; the log keeps the first.
type opInfo struct {
	mu         sync.Mutex
	name, kind string
}

func (o *opInfo) set(name, kind string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.kind == "" {
		o.name, o.kind = name, kind
	}
}

func (o *opInfo) get() (name, kind string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.name, o.kind
}

type opInfoKey struct{}

func authError(msg string) error { return domain.Unauthenticated(msg) }

func isDomain(err error) bool {
	var de *domain.Error
	return errors.As(err, &de)
}

// Flush supports Server-Sent Events through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack supports the WebSocket upgrade through the recorder.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if s.status == 0 {
		s.status = http.StatusSwitchingProtocols
	}
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

// limitBody caps request bodies for every transport (the GraphQL-over-HTTP transport also checks
// and answers 413 itself; SSE and multipart rely on this).
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}
