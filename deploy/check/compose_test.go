package check

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// TestCompose loads compose.yaml as `docker compose config` does (schema validation: an unknown
// key fails) and checks the stack: PostgreSQL and Redis with health checks, migrations once
// before two API instances, the proxy after them, every image pinned.
func TestCompose(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "compose.yaml")},
		cli.WithWorkingDirectory(root),
		// The file's ${VAR:-default}s must be enough: nothing from this machine's environment.
		cli.WithEnv(nil),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}

	for _, name := range []string{"postgres", "redis", "migrate", "api1", "api2", "proxy"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %s is missing", name)
		}
	}
	for name, s := range p.Services {
		if s.Build == nil && !pinned(s.Image) {
			t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
		}
		if name != "migrate" && (s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0) {
			t.Errorf("%s has no health check", name)
		}
	}
	dependsOn := func(svc, on, condition string) {
		t.Helper()
		d, ok := p.Services[svc].DependsOn[on]
		if !ok || d.Condition != condition {
			t.Errorf("%s: want depends_on %s with condition %s, have %+v", svc, on, condition, p.Services[svc].DependsOn)
		}
	}
	dependsOn("migrate", "postgres", types.ServiceConditionHealthy)
	for _, api := range []string{"api1", "api2"} {
		s := p.Services[api]
		dependsOn(api, "migrate", types.ServiceConditionCompletedSuccessfully)
		dependsOn(api, "postgres", types.ServiceConditionHealthy)
		dependsOn(api, "redis", types.ServiceConditionHealthy)
		dependsOn("proxy", api, types.ServiceConditionHealthy)
		if !slices.Equal([]string(s.Command), []string{"serve"}) {
			t.Errorf("%s: command %v, want [serve]", api, s.Command)
		}
		if !slices.Equal([]string(s.HealthCheck.Test), []string{"CMD", "/skillswap", "healthcheck", "/readyz"}) {
			t.Errorf("%s: health check %v, want the binary's readiness probe", api, s.HealthCheck.Test)
		}
		env := s.Environment
		for _, k := range []string{"DATABASE_URL", "REDIS_URL", "JWT_KEYS", "DATA_ENCRYPTION_KEYS"} {
			if v := env[k]; v == nil || *v == "" {
				t.Errorf("%s: %s is not set", api, k)
			}
		}
		// Both instances must sign and open tokens and sealed values with the same keys.
		for _, k := range []string{"JWT_KEYS", "DATA_ENCRYPTION_KEYS"} {
			if a, b := p.Services["api1"].Environment[k], p.Services["api2"].Environment[k]; a == nil || b == nil || *a != *b {
				t.Errorf("%s differs between api1 and api2", k)
			}
		}
		if s.StopGracePeriod == nil {
			t.Errorf("%s: no stop_grace_period (docker's default of 10 s cuts the drain short)", api)
		}
	}
	if cmd := p.Services["migrate"].Command; !slices.Equal([]string(cmd), []string{"migrate"}) {
		t.Errorf("migrate: command %v", cmd)
	}
	if ports := p.Services["proxy"].Ports; len(ports) != 1 || ports[0].Target != 8080 {
		t.Errorf("proxy ports %+v: want 8080 published", ports)
	}
}
