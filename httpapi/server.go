// Package httpapi is the HTTP edge: the GraphQL handler with its transports and limits, the
// middleware chain (request id, logs, metrics, CORS, security headers, authentication), health
// endpoints and the playground. It translates; services decide.
package httpapi

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"

	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/gqlexec"
	"github.com/skillswap/skillswap/gqlws"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/tracing"
)

// Config bounds what a request may cost.
type Config struct {
	MaxBodyBytes     int64
	OperationTimeout time.Duration
	MaxDepth         int
	MaxAliases       int
	MaxTokens        int
	// MaxQueryBytes bounds a document's text (0: no bound but MaxBodyBytes).
	MaxQueryBytes int
	MaxComplexity int
	// MaxResponseBytes bounds one response (one event of a subscription); a bigger one is
	// replaced by a RESPONSE_TOO_LARGE error.
	MaxResponseBytes int64
	// Admission sizes the lane in which expensive documents and operations run.
	Admission     AdmissionConfig
	Introspection bool
	// FieldSuggestions keeps gqlparser's "Did you mean ...?" hints in validation messages.
	FieldSuggestions bool
	// Playground serves GraphiQL at /.
	Playground bool
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsElsewhere leaves /metrics off the API's mux: the caller serves MetricsHandler on
	// its own (private) listener.
	MetricsElsewhere bool
	AllowedOrigins   []string
	TrustProxy       bool
	WSInitTimeout    time.Duration
	WSPingInterval   time.Duration
	WSReadLimit      int64
	WSMaxSubs        int
	WSMaxMsgsPerMin  int
	// WSMaxConnsUser and WSMaxConnsIP cap open WebSocket connections per member and per
	// client network (0: no cap), through Deps.Slots.
	WSMaxConnsUser int
	WSMaxConnsIP   int
	// ComplexityUser and ComplexityIP are the complexity points a member, or a signed-out
	// client network, may spend per period (see complexityBudget).
	ComplexityUser ratelimit.Rate
	ComplexityIP   ratelimit.Rate
	LoaderWait     time.Duration
}

// Deps are the server's collaborators.
type Deps struct {
	Schema  graphql.ExecutableSchema
	Authn   Authenticator
	Loaders dataloaders.Source
	// Taxonomy is the process's copy of the skill taxonomy, for the loaders.
	Taxonomy dataloaders.Taxonomy
	Hub      *realtime.Hub
	Broker   realtime.Broker
	Pool     *pgxpool.Pool
	Log      *slog.Logger
	// Limiter holds the complexity budgets and Slots the WebSocket connection caps (in Redis
	// when configured); nil disables them.
	Limiter ratelimit.Limiter
	Slots   ratelimit.Slots
	// Extra mounts other handlers on the mux by ServeMux pattern (for example "GET /calendar/"),
	// so capabilities serving plain HTTP stay out of this package's imports. They get the
	// request id, access log, metrics and security headers, not GraphQL's CORS or authentication.
	Extra map[string]http.Handler
	// Tracing adds HTTP, GraphQL operation and root resolver spans (tracing.go); nil or
	// disabled: none.
	Tracing *tracing.Provider
}

// Server is the HTTP handler of the API.
type Server struct {
	handler  http.Handler
	sockets  *gqlws.Server
	lane     *admission
	metrics  http.Handler
	draining atomic.Bool
	Metrics  *Metrics
}

// usable refuses a field middleware other than responseLimit's: gqlexec.ReadScalar answers the
// scalars read from memory, most of a page's fields, without field middleware, standing in for
// responseLimit's (the operation's gqlexec.Budget), so another would silently miss them. (New
// adds none through AroundFields either.)
func usable(ext graphql.HandlerExtension) error {
	if _, ok := ext.(graphql.FieldInterceptor); ok {
		if _, ok := ext.(responseLimit); !ok {
			return fmt.Errorf("httpapi: %T is a field interceptor, which gqlexec.ReadScalar would bypass for scalars", ext)
		}
	}
	return nil
}

// New builds the handler.
func New(cfg Config, d Deps) *Server {
	s := &Server{sockets: newWebsocket(cfg, d)}
	s.Metrics = NewMetrics(d.Pool, s.sockets.Count)

	gql := handler.New(d.Schema)
	use := func(ext graphql.HandlerExtension) {
		if err := usable(ext); err != nil {
			panic(err)
		}
		gql.Use(ext)
	}
	docs := newDocumentCache()
	gql.SetQueryCache(docs)
	s.lane = newAdmission(cfg.Admission, cfg.MaxQueryBytes, docs)
	for _, t := range []graphql.Transport{
		s.sockets,
		transport.SSE{KeepAlivePingInterval: cfg.WSPingInterval},
		overHTTP{maxBodyBytes: cfg.MaxBodyBytes},
		transport.MultipartForm{MaxUploadSize: 10 << 20, MaxMemory: 1 << 20},
	} {
		gql.AddTransport(admitted{Transport: t, lane: s.lane})
	}
	gql.SetParserTokenLimit(cfg.MaxTokens)
	if cfg.Introspection {
		use(extension.Introspection{})
	} else {
		use(noIntrospection{})
	}
	gql.SetDisableSuggestion(!cfg.FieldSuggestions)
	// Order matters: persisted queries resolve the text, the preflight checks its shape before
	// gqlgen parses and validates it, the complexity limit runs after validation, and the budget
	// after every refusal (a document refused anyway spends nothing) charging the limit's count.
	use(extension.AutomaticPersistedQuery{Cache: newPersistedQueryCache()})
	budget := complexityBudget{limiter: d.Limiter, perUser: cfg.ComplexityUser, perIP: cfg.ComplexityIP, log: d.Log}
	pre := newPreflight(defaultShapeLimits(cfg.MaxDepth, cfg.MaxAliases), cfg.MaxTokens, cfg.MaxQueryBytes, docs)
	pre.charge = budget.charge
	use(pre)
	use(&complexityLimit{limit: cfg.MaxComplexity})
	use(budget)
	use(responseLimit{maxBytes: cfg.MaxResponseBytes})
	if d.Tracing.Enabled() {
		// Operation interceptors run after every operation-context mutator: the complexity
		// limit has priced the operation by then, and the span records it.
		use(operationSpans{tracer: d.Tracing.Tracer()})
	}
	presenter := errorPresenter(d.Log, d.Schema.Schema())
	if !cfg.FieldSuggestions {
		presenter = stripSuggestions(presenter)
	}
	gql.SetErrorPresenter(presenter)
	gql.SetRecoverFunc(recoverFunc(d.Log))
	gql.AroundResponses(dataloaders.Middleware(d.Loaders, d.Taxonomy, cfg.LoaderWait))
	gql.AroundResponses(gqlexec.Middleware)
	gql.AroundResponses(s.Metrics.responseMiddleware)

	var api http.Handler = allowMethods(gql)
	api = limitBody(cfg.MaxBodyBytes, api)
	api = csrfGuard(api)
	api = withDeadline(cfg.OperationTimeout, api)
	api = withLocale(api)
	api = authenticate(d.Authn, d.Log, api)
	api = clientInfo(cfg.TrustProxy, api)
	api = cors.New(cors.Options{
		AllowedOrigins:   cfg.AllowedOrigins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "Accept", "X-Request-ID", "Apollo-Require-Preflight", "X-Apollo-Operation-Name", "Apollographql-Client-Name", "Apollographql-Client-Version"},
		ExposedHeaders:   []string{"X-Request-ID"},
		AllowCredentials: false,
		MaxAge:           600,
	}).Handler(api)

	mux := http.NewServeMux()
	mux.Handle("/graphql", api)
	if cfg.Playground {
		mux.Handle("GET /{$}", playground.Handler("SkillSwap API", "/graphql"))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.ready(d.Pool, d.Broker, d.Log))
	s.metrics = requireToken(cfg.MetricsToken, promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))
	if !cfg.MetricsElsewhere {
		mux.Handle("GET /metrics", s.metrics)
	}
	for pattern, h := range d.Extra {
		// Extra handlers throttle and log per client like the API does (auth.ClientFrom), and
		// write in the request's language (i18n.FromRequest).
		mux.Handle(pattern, clientInfo(cfg.TrustProxy, withLocale(h)))
	}

	var root http.Handler = mux
	root = securityHeaders(root)
	root = accessLog(d.Log, s.Metrics, root)
	root = withRequestID(root)
	root = traceTraffic(d.Tracing, root) // outermost: the access log line carries the trace id
	s.handler = root
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// MetricsHandler serves the Prometheus metrics (behind MetricsToken when set), for a listener of
// its own when MetricsElsewhere.
func (s *Server) MetricsHandler() http.Handler { return s.metrics }

// StopReadiness makes /readyz answer 503 while everything else keeps serving: the first step of
// a drain, so load balancers (a Kubernetes Service's endpoints) stop sending new traffic before
// the listener closes. Requests and WebSockets keep working meanwhile.
func (s *Server) StopReadiness() { s.draining.Store(true) }

// StartDraining makes /readyz fail (if StopReadiness has not already) and closes every WebSocket
// with 1001 Going Away so clients reconnect to another instance.
func (s *Server) StartDraining() {
	s.draining.Store(true)
	s.sockets.CloseAll(gqlws.CloseGoingAway, "server shutting down")
}

// OpenSockets returns the number of open WebSocket connections.
func (s *Server) OpenSockets() int { return s.sockets.Count() }

func (s *Server) ready(pool *pgxpool.Pool, broker realtime.Broker, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if s.draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("draining\n"))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := pool.Ping(ctx); err != nil {
			log.WarnContext(ctx, "readiness: database", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unreachable\n"))
			return
		}
		if err := broker.Ping(ctx); err != nil {
			log.WarnContext(ctx, "readiness: broker", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("broker unreachable\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	}
}

// originHosts turns CORS origins (https://app.example.com) into the host patterns the WebSocket
// library matches (app.example.com).
func originHosts(origins []string) []string {
	var out []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Host)
		} else if o != "" {
			out = append(out, o)
		}
	}
	return out
}

// requireToken guards h with a static bearer token (none: h as is), compared in constant time.
func requireToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
