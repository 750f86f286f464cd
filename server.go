// Command skillswap is the SkillSwap GraphQL API server.
//
//	skillswap [serve]   migrate, then serve HTTP (GraphQL, playground, health, metrics) and run workers
//	skillswap migrate   apply database migrations and exit
//	skillswap rekey     re-encrypt sensitive columns under DATA_ENCRYPTION_PRIMARY and exit
//	skillswap seed      apply migrations, load the demo members and rebuild the search index
//	skillswap reindex   rebuild the search index from PostgreSQL (after a bulk load, a new Typesense cluster)
//	skillswap healthcheck [/healthz|/readyz]  exit 0 when the local server answers 200 (the container's HEALTHCHECK)
//	skillswap erasure export         print the erasure ledger (user id, time), to keep outside the database
//	skillswap erasure replay [FILE]  after a backup restore: add FILE's ledger lines (from export), then
//	                                 re-apply every recorded erasure; idempotent
//
// Configuration comes from environment variables; see the README.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/erasure"
	"github.com/skillswap/skillswap/rekey"
	"github.com/skillswap/skillswap/sealbox"
	"github.com/skillswap/skillswap/search"
	"github.com/skillswap/skillswap/seed"
	"github.com/skillswap/skillswap/store"
	"github.com/skillswap/skillswap/tracing"
)

func main() {
	cmd := "serve"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	if cmd == "healthcheck" {
		// Before config.Load: a probe needs only the listen address, not the secrets.
		addr := os.Getenv("HTTP_ADDR")
		if addr == "" {
			addr = config.Defaults().HTTPAddr
		}
		if err := healthcheck(context.Background(), addr, os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	cfg, err := config.Load()
	log := newLogger(cfg.LogLevel)
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log)
	case "migrate":
		err = migrate(ctx, cfg, log)
	case "seed":
		err = seedDemo(ctx, cfg, log)
	case "reindex":
		err = reindex(ctx, cfg, log)
	case "rekey":
		err = rekeyAll(ctx, cfg, log)
	case "erasure":
		err = erasureCmd(ctx, cfg, log, os.Args[2:], os.Stdout)
	default:
		err = fmt.Errorf("unknown command %q (want serve, migrate, seed, reindex, rekey or erasure)", cmd)
	}
	if err != nil {
		log.Error(cmd+" failed", "err", err)
		os.Exit(1)
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	// Lines logged inside a traced request or job carry its trace_id and span_id.
	h := tracing.LogHandler(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: l}))
	// Libraries that print with the standard logger (gqlgen's transports, net/http) end up as
	// JSON warnings too, so every log line can be parsed.
	stdlog.SetFlags(0)
	stdlog.SetOutput(slog.NewLogLogger(h, slog.LevelWarn).Writer())
	return slog.New(h)
}

// serveGCPercent is the garbage collector's target for serve when GOGC is not set. The server's
// live heap is small (tens of MiB, mostly connections), so Go's default of 100 collects several
// times a second under load, and each cycle's mark assists stall requests and deliveries: in the
// real-time benchmark, 900 messages/s had a p99 of 115 ms at 100 and 65 ms at 400. The heap
// grows accordingly, which the idle-connection benchmark still measures (bench/README.md).
const serveGCPercent = 400

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
	traces, err := tracing.Setup(ctx, tracingConfig(cfg))
	if err != nil {
		return err
	}
	if traces.Enabled() {
		log.Info("tracing on", "sampler", cfg.OTelTracesSampler, "sampler_arg", cfg.OTelTracesSamplerArg)
	}
	// Spans still buffered are flushed last, after the workers' final jobs.
	defer shutdownTracing(traces, cfg.ShutdownTimeout, log)
	a, err := app.New(ctx, cfg, log, app.Options{Tracing: traces})
	if err != nil {
		return err
	}
	if err := a.StartWorkers(context.WithoutCancel(ctx)); err != nil {
		a.Close(context.Background())
		return err
	}
	srv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           a.HTTP,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if cfg.PprofAddr != "" {
		servePprof(cfg.PprofAddr, log)
	}
	errc := make(chan error, 2)
	var metricsSrv *http.Server
	if cfg.MetricsAddr != "" {
		// Listen before serving the API, so a taken port fails the start instead of a scrape.
		ml, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			a.Close(context.Background())
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.HTTP.MetricsHandler())
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			log.Info("metrics listening", "addr", ml.Addr().String())
			if err := metricsSrv.Serve(ml); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics server: %w", err)
			}
		}()
	}
	go func() {
		log.Info("listening", "addr", cfg.HTTPAddr, "graphql", cfg.PublicURL+"/graphql", "playground", cfg.Playground, "introspection", cfg.Introspection)
		errc <- srv.ListenAndServe()
	}()
	select {
	case err := <-errc:
		a.Close(context.Background())
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}

	// Drain, the way a load balancer needs it: first only fail readiness, for
	// SHUTDOWN_DRAIN_DELAY, while the listener still serves everything (WebSockets included) so
	// that requests routed here before the balancer noticed still succeed. Then close sockets
	// with 1001 so clients reconnect elsewhere, stop accepting and let in-flight requests finish,
	// stop workers and close connections.
	a.HTTP.StopReadiness()
	if cfg.ShutdownDrainDelay > 0 {
		log.Info("draining: /readyz now answers 503", "delay", cfg.ShutdownDrainDelay)
		time.Sleep(cfg.ShutdownDrainDelay)
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	a.HTTP.StartDraining()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	if metricsSrv != nil {
		// After the API: the last scrapes still see the drain.
		if err := metricsSrv.Shutdown(shutdownCtx); err != nil {
			log.Warn("metrics shutdown", "err", err)
		}
	}
	a.Close(shutdownCtx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("stopped")
	return nil
}

// tracingConfig is the OTEL_* part of the configuration.
func tracingConfig(cfg config.Config) tracing.Config {
	return tracing.Config{
		Disabled: cfg.OTelSDKDisabled, Exporter: cfg.OTelTracesExporter,
		Endpoint: cfg.OTelEndpoint, TracesEndpoint: cfg.OTelTracesEndpoint,
		Protocol: cmp.Or(cfg.OTelTracesProtocol, cfg.OTelProtocol),
		Sampler:  cfg.OTelTracesSampler, SamplerArg: cfg.OTelTracesSamplerArg, ServiceName: cfg.OTelServiceName,
	}
}

// shutdownTracing exports the spans still buffered, within the shutdown timeout.
func shutdownTracing(p *tracing.Provider, timeout time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		log.Warn("tracing shutdown", "err", err)
	}
}

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	pool, err := store.OpenPool(ctx, cfg.DatabaseURL, store.PoolConfig{MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	applied, err := store.Migrate(ctx, pool, log)
	if err != nil {
		return err
	}
	log.Info("migrations up to date", "applied_now", len(applied))
	return nil
}

// rekeyAll re-encrypts every sealed value not under the primary data key (what the daily rekey
// job does), for an operator rotating a key who wants it done now; it is safe beside running
// servers and resumable.
func rekeyAll(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	primary, keys, err := cfg.DataKeyring()
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return errors.New("set DATA_ENCRYPTION_KEYS (or MFA_ENCRYPTION_KEY): there is no key to rotate to")
	}
	ring, err := sealbox.NewKeyring(primary, keys)
	if err != nil {
		return err
	}
	pool, err := store.OpenPool(ctx, cfg.DatabaseURL, store.PoolConfig{MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	// Run logs, per column, how many values it re-encrypted and how many it could not open.
	_, err = rekey.New(store.New(pool, nil, log), ring, 0, log).Run(ctx)
	return err
}

func seedDemo(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	cfg.RunWorkers = false
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	hasher, err := auth.NewHasher(auth.Argon2Params{MemoryKiB: cfg.PasswordMemKiB, Iterations: cfg.PasswordIters, Parallelism: 1})
	if err != nil {
		return err
	}
	if _, err = seed.Run(ctx, a.Store, hasher, a.Auth.LegalVersions(), log); err != nil {
		return err
	}
	if err := seed.Chat(ctx, a.Store, a.Chat); err != nil {
		return err
	}
	if err := seed.Reports(ctx, a.Store, a.Moderation); err != nil {
		return err
	}
	if err := seed.NPS(ctx, a.Store, a.KPIs); err != nil {
		return err
	}
	if err := seed.Sanctions(ctx, a.Store, a.Moderation); err != nil {
		return err
	}
	return search.ReindexAll(ctx, a.Store, a.Search)
}

func reindex(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	cfg.RunWorkers = false
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	return search.ReindexAll(ctx, a.Store, a.Search)
}

// servePprof exposes Go's profiler on its own listener (meant for loopback), never on the API
// port: profiles reveal internals and cost CPU.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		log.Info("pprof listening", "addr", addr)
		if err := srv.ListenAndServe(); err != nil {
			log.Warn("pprof server", "err", err)
		}
	}()
}

// erasureCmd runs `skillswap erasure export|replay [FILE]`.
func erasureCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 || (args[0] != "export" && args[0] != "replay") || len(args) > 2 || (args[0] == "export" && len(args) > 1) {
		return errors.New("usage: skillswap erasure export | skillswap erasure replay [LEDGER_FILE]")
	}
	var saved []store.ErasureEntry
	if len(args) == 2 {
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		saved, err = erasure.ParseLedger(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", args[1], err)
		}
	}
	cfg.RunWorkers = false
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	if args[0] == "export" {
		ledger, err := a.Erasure.Ledger(ctx)
		if err != nil {
			return err
		}
		return erasure.WriteLedger(out, ledger)
	}
	rep, err := a.Erasure.Replay(ctx, saved)
	if err != nil {
		return err
	}
	log.Info("erasures replayed", "imported", rep.Imported, "erased", rep.Erased, "missing", rep.Missing)
	return nil
}
