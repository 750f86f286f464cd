package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
)

// TestChartOnTheServer runs what the production-like release runs, with the binary the image
// holds, against the test PostgreSQL (and Redis when REDIS_URL is set): the migration Job's
// command with the Job's environment, then the Deployment's with the pod's, on free loopback
// ports in place of the chart's. The probes' paths must answer as Kubernetes expects, /metrics
// must serve on METRICS_ADDR, and on SIGTERM readiness must fail while liveness holds, then the
// server must stop cleanly inside the pod's grace period.
func TestChartOnTheServer(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the whole server")
	}
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		if os.Getenv("SKILLSWAP_REQUIRE_SERVICES") == "1" {
			t.Fatal("TEST_DATABASE_URL is not set")
		}
		t.Skip("TEST_DATABASE_URL is not set (make deploy-check sets it)")
	}
	dbURL := freshDatabase(t, admin)
	bin := buildServer(t)
	r := render(t, valueSets(t)["production"])

	secrets := fakeSecrets()
	secrets["DATABASE_URL"] = dbURL
	secrets["REDIS_URL"] = os.Getenv("REDIS_URL")
	delete(secrets, "STRIPE_SECRET_KEY") // no call to Stripe from here
	delete(secrets, "STRIPE_WEBHOOK_SECRET")
	podEnv := func(env []corev1.EnvVar, base map[string]string) []string {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		for _, e := range env {
			switch {
			case e.ValueFrom == nil:
				vars[e.Name] = e.Value
			case e.ValueFrom.SecretKeyRef != nil:
				if v, ok := secrets[e.ValueFrom.SecretKeyRef.Key]; ok {
					vars[e.Name] = v
				}
			}
		}
		var out []string
		for k, v := range vars {
			out = append(out, k+"="+v)
		}
		return out
	}

	// The migration Job.
	job := r.Job.Spec.Template.Spec.Containers[0]
	migrate := exec.Command(bin, job.Args...)
	migrate.Env = podEnv(job.Env, nil)
	if b, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("the migration Job's command failed: %v\n%s", err, b)
	}

	// The pod, on free ports.
	c := apiContainer(t, r.Deployment)
	cm := map[string]string{}
	for k, v := range r.ConfigMap.Data {
		cm[k] = v
	}
	httpAddr, metricsAddr := freeAddr(t), freeAddr(t)
	cm["HTTP_ADDR"], cm["METRICS_ADDR"] = httpAddr, metricsAddr
	cm["SMTP_ADDR"] = freeAddr(t) // nothing is mailed here; a closed port, not a real relay
	serve := exec.Command(bin, c.Args...)
	serve.Env = podEnv(c.Env, cm)
	logs, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	serve.Stdout, serve.Stderr = logs, logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	t.Cleanup(func() {
		_ = serve.Process.Kill()
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("server log:\n%s", b)
		}
	})

	get := func(addr, path string) int {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	// Startup: as generous as a loaded CI machine needs, much more than the startup probe allows.
	deadline := time.Now().Add(2 * time.Minute)
	for get(httpAddr, c.StartupProbe.HTTPGet.Path) != http.StatusOK {
		select {
		case err := <-exited:
			t.Fatalf("the server exited at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("startup probe %s never answered 200", c.StartupProbe.HTTPGet.Path)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe} {
		if code := get(httpAddr, p.HTTPGet.Path); code != http.StatusOK {
			t.Errorf("probe %s answered %d, want 200", p.HTTPGet.Path, code)
		}
	}
	if ep := r.ServiceMonitor.Spec.Endpoints[0]; get(metricsAddr, ep.Path) != http.StatusOK {
		t.Errorf("the ServiceMonitor's %s on METRICS_ADDR did not answer 200", ep.Path)
	}
	if code := get(httpAddr, "/metrics"); code == http.StatusOK {
		t.Error("/metrics is served on the API port too: the ingress would expose it")
	}

	// SIGTERM, as the kubelet sends it after preStop: readiness fails, liveness holds (a
	// liveness failure would restart the pod mid-drain), then a clean exit.
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sawNotReady := false
	for !sawNotReady {
		if code := get(httpAddr, c.ReadinessProbe.HTTPGet.Path); code == http.StatusServiceUnavailable {
			sawNotReady = true
			if live := get(httpAddr, c.LivenessProbe.HTTPGet.Path); live != http.StatusOK {
				t.Errorf("liveness answered %d while draining", live)
			}
		} else if code == 0 {
			break // already closed: the drain delay went by (a very loaded machine)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !sawNotReady {
		t.Error("readiness never answered 503 after SIGTERM")
	}
	// The pod's grace period, doubled for a loaded machine: past it the kubelet would SIGKILL.
	grace := time.Duration(*r.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the server's exit after SIGTERM: %v", err)
		}
	case <-time.After(2 * grace):
		t.Errorf("the server had not stopped %v after SIGTERM", 2*grace)
	}
}

// freshDatabase creates an empty database for the test on the server of admin and drops it at
// the end; it returns its URL.
func freshDatabase(t *testing.T, admin string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "deploycheck_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// freeAddr returns a loopback address with a port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
