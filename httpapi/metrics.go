package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the server's Prometheus collectors, on their own registry (no globals).
type Metrics struct {
	Registry     *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	gqlOps       *prometheus.CounterVec
	gqlDuration  *prometheus.HistogramVec
	gqlErrors    *prometheus.CounterVec
}

// NewMetrics registers the collectors, including the database pool's and the Go runtime's.
func NewMetrics(pool *pgxpool.Pool, openSockets func() int) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "skillswap_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "skillswap_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		gqlOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "skillswap_graphql_operations_total", Help: "GraphQL operations by type (query, mutation, subscription).",
		}, []string{"type"}),
		gqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "skillswap_graphql_response_duration_seconds", Help: "Time to produce one GraphQL response, by operation type.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"type"}),
		gqlErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "skillswap_graphql_errors_total", Help: "GraphQL errors by extensions.code.",
		}, []string{"code"}),
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.gqlOps, m.gqlDuration, m.gqlErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		reg.MustRegister(newPoolCollector(pool))
	}
	if openSockets != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "skillswap_websocket_connections", Help: "Open GraphQL WebSocket connections.",
		}, func() float64 { return float64(openSockets()) }))
	}
	return m
}

func routeOf(path string) string {
	switch path {
	case "/graphql", "/", "/healthz", "/readyz", "/metrics":
		return path
	default:
		return "other"
	}
}

func (m *Metrics) observeHTTP(r *http.Request, status int, d time.Duration) {
	route := routeOf(r.URL.Path)
	m.httpRequests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
}

// responseMiddleware counts operations, their errors by code and their latency, and tells the
// access log the operation's name.
func (m *Metrics) responseMiddleware(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	kind := "unknown"
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation != nil {
			kind = string(oc.Operation.Operation)
		}
		if info, ok := ctx.Value(opInfoKey{}).(*opInfo); ok {
			info.set(oc.OperationName, kind)
		}
	}
	m.gqlOps.WithLabelValues(kind).Inc()
	m.gqlDuration.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	if resp != nil {
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == "" {
				code = "UNKNOWN"
			}
			m.gqlErrors.WithLabelValues(code).Inc()
		}
	}
	return resp
}

// poolCollector exports pgxpool statistics.
type poolCollector struct {
	pool                                             *pgxpool.Pool
	total, idle, acquired, max, acquires, emptyWaits *prometheus.Desc
	acquireSeconds                                   *prometheus.Desc
}

func newPoolCollector(p *pgxpool.Pool) *poolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("skillswap_db_pool_"+name, help, nil, nil)
	}
	return &poolCollector{
		pool:           p,
		total:          d("connections", "Open connections."),
		idle:           d("idle_connections", "Idle connections."),
		acquired:       d("acquired_connections", "Connections in use."),
		max:            d("max_connections", "Pool size limit."),
		acquires:       d("acquires_total", "Connections acquired from the pool."),
		emptyWaits:     d("empty_acquires_total", "Acquires that had to wait for a connection."),
		acquireSeconds: d("acquire_seconds_total", "Total time spent waiting to acquire connections."),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.total, c.idle, c.acquired, c.max, c.acquires, c.emptyWaits, c.acquireSeconds} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.GaugeValue, float64(s.TotalConns()))
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(s.IdleConns()))
	ch <- prometheus.MustNewConstMetric(c.acquired, prometheus.GaugeValue, float64(s.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(c.acquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.emptyWaits, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.acquireSeconds, prometheus.CounterValue, s.AcquireDuration().Seconds())
}
