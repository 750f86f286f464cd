// Package tracing sets up OpenTelemetry tracing from the standard OTEL_* variables and holds the
// small pieces of instrumentation the server's edges share: a pgx tracer, a go-redis hook, an
// HTTP client transport and a slog handler that puts the trace id on log lines.
//
// Tracing is off by default: with no exporter configured, Setup returns a disabled Provider whose
// tracer provider is OpenTelemetry's no-op one, and callers install none of the instrumentation
// (Provider.Enabled), so a server without tracing pays nothing for it.
//
// Nothing here records values a member typed: SQL is recorded as its parameterised text (never
// its arguments), Redis commands by name (never their keys or arguments), HTTP calls by method,
// host and status (never their paths' queries or bodies).
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// InstrumentationName names the tracer of SkillSwap's own spans.
const InstrumentationName = "github.com/skillswap/skillswap"

// Config is the standard OpenTelemetry SDK configuration, read from the OTEL_* variables by
// package config. The OTLP exporter reads the rest of OTEL_EXPORTER_OTLP_* (headers, timeout,
// compression, certificates) and the batch processor OTEL_BSP_* itself.
type Config struct {
	// Disabled is OTEL_SDK_DISABLED: no tracing whatever else is set.
	Disabled bool
	// Exporter is OTEL_TRACES_EXPORTER: "otlp", "none", or "" (otlp when an endpoint is set,
	// none otherwise).
	Exporter string
	// Endpoint is OTEL_EXPORTER_OTLP_ENDPOINT, the collector's base URL (/v1/traces is added).
	Endpoint string
	// TracesEndpoint is OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, the full URL of the traces
	// endpoint; it wins over Endpoint.
	TracesEndpoint string
	// Protocol is OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or else OTEL_EXPORTER_OTLP_PROTOCOL; only
	// "http/protobuf" (the default) is supported.
	Protocol string
	// Sampler and SamplerArg are OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (default
	// parentbased_always_on; production runs parentbased_traceidratio with 0.1 or less).
	Sampler    string
	SamplerArg string
	// ServiceName is OTEL_SERVICE_NAME (default "skillswap").
	ServiceName string
}

// Enabled tells whether cfg asks for an exporter.
func (c Config) Enabled() bool {
	if c.Disabled {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(c.Exporter)) {
	case "none":
		return false
	case "":
		return c.Endpoint != "" || c.TracesEndpoint != ""
	default:
		return true
	}
}

// Provider is the process's tracer provider and propagator, passed explicitly to what
// instruments (no OpenTelemetry globals are set).
type Provider struct {
	tp      trace.TracerProvider
	sdk     *sdktrace.TracerProvider
	enabled bool
}

// Disabled returns a Provider that traces nothing (the default).
func Disabled() *Provider { return &Provider{tp: noop.NewTracerProvider()} }

// New wraps an SDK tracer provider built by the caller (tests give one with an in-memory
// exporter); Shutdown shuts it down.
func New(tp *sdktrace.TracerProvider) *Provider { return &Provider{tp: tp, sdk: tp, enabled: true} }

// Setup builds the Provider cfg describes: Disabled when no exporter is configured, otherwise an
// SDK provider batching spans to the OTLP/HTTP endpoint with cfg's sampler.
func Setup(ctx context.Context, cfg Config) (*Provider, error) {
	if !cfg.Enabled() {
		return Disabled(), nil
	}
	if e := strings.ToLower(strings.TrimSpace(cfg.Exporter)); e != "" && e != "otlp" {
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: only otlp and none are supported", cfg.Exporter)
	}
	if p := strings.TrimSpace(cfg.Protocol); p != "" && p != "http/protobuf" {
		return nil, fmt.Errorf("OTLP protocol %q: only http/protobuf is supported", cfg.Protocol)
	}
	sampler, err := ParseSampler(cfg.Sampler, cfg.SamplerArg)
	if err != nil {
		return nil, err
	}
	var opts []otlptracehttp.Option
	switch {
	case cfg.TracesEndpoint != "":
		opts = append(opts, otlptracehttp.WithEndpointURL(cfg.TracesEndpoint))
	case cfg.Endpoint != "":
		u, err := url.JoinPath(cfg.Endpoint, "v1/traces")
		if err != nil {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %w", err)
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(u))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // OTEL_RESOURCE_ATTRIBUTES
		resource.WithAttributes(
			attribute.String("service.name", serviceName(cfg.ServiceName)),
			attribute.String("service.version", version()),
		),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	return New(sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sampler),
		sdktrace.WithResource(res),
	)), nil
}

func serviceName(s string) string {
	if s = strings.TrimSpace(s); s != "" {
		return s
	}
	return "skillswap"
}

// version is the module's version, or the VCS revision the binary was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return s.Value[:12]
		}
	}
	return bi.Main.Version
}

// ParseSampler reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG as the specification names
// them; "" is parentbased_always_on.
func ParseSampler(name, arg string) (sdktrace.Sampler, error) {
	ratio := func() (float64, error) {
		if strings.TrimSpace(arg) == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(arg), 64)
		if err != nil || r < 0 || r > 1 {
			return 0, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG=%q: want a ratio between 0 and 1", arg)
		}
		return r, nil
	}
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		return sdktrace.TraceIDRatioBased(r), nil
	case "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), nil
	default:
		return nil, fmt.Errorf("OTEL_TRACES_SAMPLER=%q: not a supported sampler", name)
	}
}

// Enabled tells whether spans are recorded at all; when not, instrumentation is not installed.
func (p *Provider) Enabled() bool { return p != nil && p.enabled }

// TracerProvider returns the provider to start spans with (the no-op one when disabled).
func (p *Provider) TracerProvider() trace.TracerProvider {
	if p == nil {
		return noop.NewTracerProvider()
	}
	return p.tp
}

// Tracer returns SkillSwap's tracer.
func (p *Provider) Tracer() trace.Tracer { return p.TracerProvider().Tracer(InstrumentationName) }

// Propagator is W3C trace context plus baggage: what incoming requests' traceparent is read with.
func (p *Provider) Propagator() propagation.TextMapPropagator { return propagator }

var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Shutdown flushes the spans still buffered and stops exporting; the server calls it last on
// its way out, within its shutdown timeout.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil || p.sdk == nil {
		return nil
	}
	if err := p.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing shutdown: %w", err)
	}
	return nil
}

// recording tells whether ctx holds a span that is being recorded: the I/O instrumentation only
// starts child spans then, so unsampled requests and background loops (River's polling, the
// broker's receive loop) cost a context lookup and nothing more.
func recording(ctx context.Context) bool { return trace.SpanFromContext(ctx).IsRecording() }
