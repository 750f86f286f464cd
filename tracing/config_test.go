package tracing

import (
	"context"
	"testing"
)

func TestConfigEnabled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want bool
	}{
		{"nothing set (the default)", Config{}, false},
		{"endpoint", Config{Endpoint: "http://127.0.0.1:4318"}, true},
		{"traces endpoint", Config{TracesEndpoint: "http://127.0.0.1:4318/v1/traces"}, true},
		{"exporter otlp without endpoint (localhost:4318)", Config{Exporter: "otlp"}, true},
		{"exporter none wins over an endpoint", Config{Exporter: "none", Endpoint: "http://x:4318"}, false},
		{"SDK disabled wins", Config{Disabled: true, Exporter: "otlp", Endpoint: "http://x:4318"}, false},
	} {
		if got := tc.cfg.Enabled(); got != tc.want {
			t.Errorf("%s: Enabled() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSetupDisabledIsNoop(t *testing.T) {
	t.Parallel()
	p, err := Setup(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Enabled() {
		t.Fatal("tracing enabled without an exporter")
	}
	_, span := p.Tracer().Start(context.Background(), "x")
	if span.IsRecording() || span.SpanContext().IsValid() {
		t.Error("the disabled provider's span records")
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestSetupRefusesWhatItCannotDo(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Exporter: "zipkin"},
		{Endpoint: "http://127.0.0.1:4317", Protocol: "grpc"},
		{Endpoint: "http://127.0.0.1:4318", Sampler: "sometimes"},
		{Endpoint: "http://127.0.0.1:4318", Sampler: "traceidratio", SamplerArg: "1.5"},
	} {
		if _, err := Setup(context.Background(), cfg); err == nil {
			t.Errorf("Setup(%+v) succeeded, want an error", cfg)
		}
	}
}

func TestParseSampler(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, arg, want string }{
		{"", "", "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
		{"always_on", "", "AlwaysOnSampler"},
		{"always_off", "", "AlwaysOffSampler"},
		{"traceidratio", "0.25", "TraceIDRatioBased{0.25}"},
		{"traceidratio", "", "TraceIDRatioBased{1}"},
		{"parentbased_traceidratio", "0.1", "ParentBased{root:TraceIDRatioBased{0.1},remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
	} {
		s, err := ParseSampler(tc.name, tc.arg)
		if err != nil {
			t.Errorf("ParseSampler(%q, %q): %v", tc.name, tc.arg, err)
			continue
		}
		if got := s.Description(); got != tc.want {
			t.Errorf("ParseSampler(%q, %q) = %s, want %s", tc.name, tc.arg, got, tc.want)
		}
	}
}

func TestOperationName(t *testing.T) {
	t.Parallel()
	for sql, want := range map[string]string{
		"SELECT 1":                             "SELECT",
		"\n\t  insert into t values ($1)":      "INSERT",
		"-- why\nWITH x AS (SELECT 1) TABLE x": "WITH",
		"(SELECT 1) UNION (SELECT 2)":          "SELECT",
		"":                                     "SQL",
	} {
		if got := operation(sql); got != want {
			t.Errorf("operation(%q) = %q, want %q", sql, got, want)
		}
	}
}
