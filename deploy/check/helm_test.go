package check

import (
	"bytes"
	"encoding/base64"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/skillswap/skillswap/config"
)

var chartDir = filepath.Join(repoRoot, "deploy", "helm", "skillswap")

// kubeVersion is the cluster version the chart is rendered for (its kubeVersion asks >= 1.30).
const kubeVersion = "v1.33.0"

// TestChartLint is `helm lint --strict` with the default values and the production-like ones.
func TestChartLint(t *testing.T) {
	t.Parallel()
	for name, vals := range valueSets(t) {
		l := action.NewLint()
		l.Strict = true
		l.Namespace = "skillswap"
		kv, err := common.ParseKubeVersion(kubeVersion)
		if err != nil {
			t.Fatal(err)
		}
		l.KubeVersion = kv
		res := l.Run([]string{chartDir}, vals)
		for _, m := range res.Messages {
			t.Logf("%s: %s", name, m)
		}
		for _, err := range res.Errors {
			t.Errorf("%s: helm lint: %v", name, err)
		}
	}
}

// valueSets are the values the chart is checked with, beside its defaults.
func valueSets(t *testing.T) map[string]map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(chartDir, "ci", "production-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var prod map[string]any
	if err := yaml.UnmarshalStrict(raw, &prod); err != nil {
		t.Fatal(err)
	}
	return map[string]map[string]any{
		"defaults":   {},
		"production": prod,
		// A trial: the chart creates the Secret, no autoscaler, no migration Job.
		"trial": {
			"secret": map[string]any{"create": true, "values": map[string]any{
				"DATABASE_URL": "postgres://skillswap:x@db:5432/skillswap", "REDIS_URL": "redis://redis:6379/0",
				"JWT_KEYS": "trial-1:" + b64(32), "DATA_ENCRYPTION_KEYS": "trial-1:" + b64(32),
			}},
			"autoscaling":  map[string]any{"enabled": false},
			"replicaCount": 3,
		},
	}
}

// release is one rendered release, every document decoded strictly into its API type.
type rendered struct {
	Deployment     *appsv1.Deployment
	Service        *corev1.Service
	ConfigMap      *corev1.ConfigMap
	ServiceAccount *corev1.ServiceAccount
	Secret         *corev1.Secret
	PDB            *policyv1.PodDisruptionBudget
	HPA            *autoscalingv2.HorizontalPodAutoscaler
	Job            *batchv1.Job
	ServiceMonitor *monitoringv1.ServiceMonitor
	// Hooks: the hook documents' kinds/names to their hook annotations.
	hookWeight map[string]int
}

// render is `helm template skillswap deploy/helm/skillswap -n skillswap` (hooks included) with
// vals over the chart's values.
func render(t *testing.T, vals map[string]any) rendered {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName = "skillswap"
	install.Namespace = "skillswap"
	install.Replace = true
	kv, err := common.ParseKubeVersion(kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	install.KubeVersion = kv
	r, err := install.Run(ch, vals)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	rel, ok := r.(*release.Release)
	if !ok {
		t.Fatalf("release of type %T", r)
	}
	docs := slices.Collect(maps.Values(releaseutil.SplitManifests(rel.Manifest)))
	out := rendered{hookWeight: map[string]int{}}
	for _, h := range rel.Hooks {
		docs = append(docs, h.Manifest)
		out.hookWeight[h.Kind+"/"+h.Name] = h.Weight
	}
	for _, doc := range docs {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("%v in\n%s", err, doc)
		}
		var target any
		switch meta.APIVersion + " " + meta.Kind {
		case "apps/v1 Deployment":
			out.Deployment = new(appsv1.Deployment)
			target = out.Deployment
		case "v1 Service":
			out.Service = new(corev1.Service)
			target = out.Service
		case "v1 ConfigMap":
			out.ConfigMap = new(corev1.ConfigMap)
			target = out.ConfigMap
		case "v1 ServiceAccount":
			out.ServiceAccount = new(corev1.ServiceAccount)
			target = out.ServiceAccount
		case "v1 Secret":
			out.Secret = new(corev1.Secret)
			target = out.Secret
		case "policy/v1 PodDisruptionBudget":
			out.PDB = new(policyv1.PodDisruptionBudget)
			target = out.PDB
		case "autoscaling/v2 HorizontalPodAutoscaler":
			out.HPA = new(autoscalingv2.HorizontalPodAutoscaler)
			target = out.HPA
		case "batch/v1 Job":
			out.Job = new(batchv1.Job)
			target = out.Job
		case "monitoring.coreos.com/v1 ServiceMonitor":
			out.ServiceMonitor = new(monitoringv1.ServiceMonitor)
			target = out.ServiceMonitor
		default:
			t.Fatalf("unexpected document %s %s: add it to this check", meta.APIVersion, meta.Kind)
		}
		// Strict: an unknown or misspelt field (a wrong indentation) fails, as does a duplicate.
		if err := yaml.UnmarshalStrict([]byte(doc), target); err != nil {
			t.Fatalf("%s %s: %v\n%s", meta.APIVersion, meta.Kind, err, doc)
		}
	}
	return out
}

// TestChartRender renders the chart as `helm template` does and checks what the server and the
// cluster need of it.
func TestChartRender(t *testing.T) {
	t.Parallel()
	for name, vals := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			r := render(t, vals)
			for what, missing := range map[string]bool{
				"Deployment": r.Deployment == nil, "Service": r.Service == nil, "ConfigMap": r.ConfigMap == nil,
				"PodDisruptionBudget": r.PDB == nil, "ServiceAccount": r.ServiceAccount == nil,
			} {
				if missing {
					t.Fatalf("no %s rendered", what)
				}
			}
			checkDeployment(t, r)
			checkServerAcceptsConfig(t, r)
			checkMigrationJob(t, r)
			checkScaling(t, r, name)
			switch name {
			case "defaults", "trial":
				if r.ServiceMonitor != nil {
					t.Error("a ServiceMonitor by default: it needs the Prometheus Operator's CRDs, so it must be opted into")
				}
			case "production":
				checkServiceMonitor(t, r)
			}
			if (r.Secret != nil) != (name == "trial") {
				t.Errorf("Secret rendered: %v; want one only when secret.create", r.Secret != nil)
			}
		})
	}
}

func apiContainer(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("%d containers, want 1", len(cs))
	}
	return cs[0]
}

func checkDeployment(t *testing.T, r rendered) {
	t.Helper()
	d := r.Deployment
	pod := d.Spec.Template.Spec
	c := apiContainer(t, d)
	if !slices.Equal(c.Args, []string{"serve"}) || len(c.Command) != 0 {
		t.Errorf("container runs %v %v: want the image's entry point with [serve]", c.Command, c.Args)
	}

	// Probes: the server's own paths (/healthz never looks at dependencies, /readyz fails
	// while draining and when PostgreSQL or Redis is unreachable) on the port HTTP_ADDR opens.
	cfgPort := portOf(t, r.ConfigMap.Data["HTTP_ADDR"])
	probe := func(kind string, p *corev1.Probe, path string) {
		t.Helper()
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe: want an httpGet probe of %s", kind, path)
			return
		}
		if p.HTTPGet.Path != path {
			t.Errorf("%s probe path %s, want %s", kind, p.HTTPGet.Path, path)
		}
		if port := containerPort(t, c, p.HTTPGet.Port.String()); port != cfgPort {
			t.Errorf("%s probe on port %d, but HTTP_ADDR listens on %d", kind, port, cfgPort)
		}
	}
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("startup", c.StartupProbe, "/healthz")
	probe("readiness", c.ReadinessProbe, "/readyz")
	if mp := portOf(t, r.ConfigMap.Data["METRICS_ADDR"]); containerPort(t, c, "metrics") != mp {
		t.Errorf("container port metrics is not METRICS_ADDR's %d", mp)
	}
	// Every Service port targets a named container port.
	for _, sp := range r.Service.Spec.Ports {
		containerPort(t, c, sp.TargetPort.String())
	}
	if !labels.SelectorFromSet(r.Service.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Error("the Service does not select the Deployment's pods")
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("the Deployment's selector does not match its pods (%v)", err)
	}

	// Rollouts never go below the wanted count.
	if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
		t.Errorf("rolling update %+v: want maxUnavailable 0", d.Spec.Strategy.RollingUpdate)
	}

	// Security: non-root, read-only root, no privilege escalation, no capabilities, no token.
	psc, csc := pod.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and a non-zero runAsUser", psc)
	}
	if csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
		csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container securityContext %+v: want readOnlyRootFilesystem, no privilege escalation, capabilities dropped", csc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod mounts a service account token it never uses")
	}

	// Resources: requests for the scheduler and the autoscaler, a memory limit, GOMEMLIMIT under it.
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want CPU and memory requests and a memory limit", c.Resources)
	}
	if gml, ok := r.ConfigMap.Data["GOMEMLIMIT"]; ok {
		q, err := resource.ParseQuantity(strings.TrimSuffix(gml, "B"))
		if err != nil {
			t.Errorf("GOMEMLIMIT %q: %v", gml, err)
		} else if q.Cmp(*c.Resources.Limits.Memory()) >= 0 {
			t.Errorf("GOMEMLIMIT %s is not below the memory limit %s", gml, c.Resources.Limits.Memory())
		}
	}

	// Secrets come from a Secret, never from the ConfigMap or a literal.
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	for _, name := range []string{"DATABASE_URL", "REDIS_URL", "JWT_KEYS", "DATA_ENCRYPTION_KEYS", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SMTP_PASSWORD"} {
		e, ok := env[name]
		if !ok || e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: want it from a secretKeyRef, have %+v", name, e)
		}
		if _, inConfig := r.ConfigMap.Data[name]; inConfig {
			t.Errorf("%s is in the ConfigMap", name)
		}
	}
	if ref := c.EnvFrom; len(ref) != 1 || ref[0].ConfigMapRef == nil || ref[0].ConfigMapRef.Name != r.ConfigMap.Name {
		t.Errorf("envFrom %+v: want the chart's ConfigMap %s", ref, r.ConfigMap.Name)
	}
	if d.Spec.Template.Annotations["checksum/config"] == "" {
		t.Error("no checksum/config annotation: a settings change would not roll the pods")
	}
}

// checkServerAcceptsConfig loads the pod's environment (ConfigMap plus made-up secrets) with
// the server's own config.LoadFrom, production checks included, and compares its shutdown
// timings with the pod's: the grace period must cover preStop, the drain and the shutdown.
func checkServerAcceptsConfig(t *testing.T, r rendered) {
	t.Helper()
	environ := maps.Clone(r.ConfigMap.Data)
	for k, v := range fakeSecrets() {
		environ[k] = v
	}
	cfg, err := config.LoadFrom(environ)
	if err != nil {
		t.Fatalf("the server refuses the chart's settings: %v", err)
	}
	if environ["APP_ENV"] == "production" && !cfg.Production() {
		t.Error("APP_ENV=production not taken")
	}
	if cfg.MigrateOnStart == (r.Job != nil) {
		t.Errorf("MIGRATE_ON_START=%v with a migration Job: %v (exactly one of them must migrate)", cfg.MigrateOnStart, r.Job != nil)
	}
	pod := r.Deployment.Spec.Template.Spec
	c := apiContainer(t, r.Deployment)
	var preStop time.Duration
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Error("no preStop sleep: SIGTERM would come while endpoints still route here")
	} else {
		preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	if pod.TerminationGracePeriodSeconds == nil {
		t.Fatal("no terminationGracePeriodSeconds (Kubernetes' 30 s default is shorter than the shutdown)")
	}
	grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	if need := preStop + cfg.ShutdownDrainDelay + cfg.ShutdownTimeout; grace <= need {
		t.Errorf("terminationGracePeriodSeconds %v <= preStop %v + SHUTDOWN_DRAIN_DELAY %v + SHUTDOWN_TIMEOUT %v: the kill would cut the graceful shutdown",
			grace, preStop, cfg.ShutdownDrainDelay, cfg.ShutdownTimeout)
	}
	if cfg.ShutdownDrainDelay > 0 {
		rp := c.ReadinessProbe
		if period := time.Duration(rp.PeriodSeconds*rp.FailureThreshold) * time.Second; period > cfg.ShutdownDrainDelay {
			t.Errorf("readiness notices a drain after %v, longer than SHUTDOWN_DRAIN_DELAY %v", period, cfg.ShutdownDrainDelay)
		}
	}
}

func checkMigrationJob(t *testing.T, r rendered) {
	t.Helper()
	j := r.Job
	if j == nil {
		t.Fatal("no migration Job")
	}
	events := strings.Split(j.Annotations["helm.sh/hook"], ",")
	if !slices.Contains(events, "pre-install") || !slices.Contains(events, "pre-upgrade") {
		t.Errorf("migration Job hook %q: want pre-install and pre-upgrade (migrate before the rollout)", j.Annotations["helm.sh/hook"])
	}
	pod := j.Spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %s", pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 || !slices.Equal(pod.Containers[0].Args, []string{"migrate"}) {
		t.Fatalf("Job containers %+v: want one running migrate", pod.Containers)
	}
	c := pod.Containers[0]
	if c.Image != apiContainer(t, r.Deployment).Image {
		t.Errorf("Job image %s differs from the Deployment's", c.Image)
	}
	// The Job runs before the release's ordinary resources exist: it may use a Secret only if
	// that Secret is an earlier hook or not the chart's, and neither the chart's ConfigMap nor
	// its ServiceAccount.
	if pod.ServiceAccountName != "" && pod.ServiceAccountName == r.ServiceAccount.Name {
		t.Errorf("the Job uses ServiceAccount %s, which is created after the pre-install hooks", pod.ServiceAccountName)
	}
	if len(c.EnvFrom) != 0 {
		t.Errorf("the Job reads envFrom %+v, created after the pre-install hooks", c.EnvFrom)
	}
	jobWeight := r.hookWeight["Job/"+j.Name]
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			if r.Secret != nil && ref.Name == r.Secret.Name {
				w, hook := r.hookWeight["Secret/"+r.Secret.Name]
				if !hook || w >= jobWeight {
					t.Errorf("the Job reads Secret %s, which is not a hook before it (hook %v, weight %d vs %d)", ref.Name, hook, w, jobWeight)
				}
			}
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		default:
			t.Errorf("Job env %s from %+v", e.Name, e.ValueFrom)
		}
	}
	// The same settings as the servers: migrate validates the whole configuration too.
	if !maps.Equal(env, r.ConfigMap.Data) {
		t.Errorf("the Job's settings differ from the ConfigMap's:\njob %v\ncm  %v", env, r.ConfigMap.Data)
	}
	if !reflect.DeepEqual(secretRefs(c.Env), secretRefs(apiContainer(t, r.Deployment).Env)) {
		t.Error("the Job's secrets differ from the Deployment's")
	}
	if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem ||
		pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("the Job runs without the Deployment's security context")
	}
	if c.Resources.Limits.Memory().IsZero() {
		t.Error("the Job has no memory limit")
	}
	if sel := labels.SelectorFromSet(r.Service.Spec.Selector); sel.Matches(labels.Set(j.Spec.Template.Labels)) {
		t.Error("the Service selects the migration pod")
	}
}

func secretRefs(env []corev1.EnvVar) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, e := range env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			out = append(out, e)
		}
	}
	return out
}

func checkScaling(t *testing.T, r rendered, name string) {
	t.Helper()
	d := r.Deployment
	podLabels := labels.Set(d.Spec.Template.Labels)
	sel, err := metav1.LabelSelectorAsSelector(r.PDB.Spec.Selector)
	if err != nil || !sel.Matches(podLabels) {
		t.Errorf("the PodDisruptionBudget does not select the pods (%v)", err)
	}
	if r.PDB.Spec.MaxUnavailable == nil && r.PDB.Spec.MinAvailable == nil {
		t.Error("the PodDisruptionBudget sets neither maxUnavailable nor minAvailable")
	}
	minPods := int32(0)
	if name == "trial" {
		if r.HPA != nil || d.Spec.Replicas == nil {
			t.Fatal("autoscaling off: want a fixed replica count and no HorizontalPodAutoscaler")
		}
		minPods = *d.Spec.Replicas
	} else {
		h := r.HPA
		if h == nil {
			t.Fatal("no HorizontalPodAutoscaler")
		}
		if d.Spec.Replicas != nil {
			t.Error("replicas set beside the HorizontalPodAutoscaler: every upgrade would reset its count")
		}
		if ref := h.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
			t.Errorf("the autoscaler targets %+v", ref)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			t.Errorf("autoscaler bounds %v..%d: want at least 2 instances", h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		minPods = *h.Spec.MinReplicas
		// A CPU utilisation target needs a CPU request to measure against.
		requests := apiContainer(t, d).Resources.Requests
		for _, m := range h.Spec.Metrics {
			if m.Resource != nil && m.Resource.Name == corev1.ResourceCPU && requests.Cpu().IsZero() {
				t.Error("CPU utilisation target without a CPU request")
			}
		}
	}
	// The budget must let a drain proceed and keep at least one pod serving.
	if mu := r.PDB.Spec.MaxUnavailable; mu != nil && (mu.IntValue() < 1 || int32(mu.IntValue()) >= minPods) {
		t.Errorf("PodDisruptionBudget maxUnavailable %s with %d pods: want 1 .. pods-1", mu, minPods)
	}
}

func checkServiceMonitor(t *testing.T, r rendered) {
	t.Helper()
	sm := r.ServiceMonitor
	if sm == nil {
		t.Fatal("serviceMonitor.enabled: no ServiceMonitor")
	}
	sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(r.Service.Labels)) {
		t.Errorf("the ServiceMonitor does not select the Service (%v)", err)
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("%d endpoints", len(sm.Spec.Endpoints))
	}
	ep := sm.Spec.Endpoints[0]
	found := false
	for _, p := range r.Service.Spec.Ports {
		found = found || p.Name == ep.Port
		if p.Name == ep.Port && p.TargetPort.String() != "metrics" {
			t.Errorf("ServiceMonitor port %s targets %s, not METRICS_ADDR's port", ep.Port, p.TargetPort.String())
		}
	}
	if !found || ep.Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoint %s%s: want the Service's metrics port and /metrics", ep.Port, ep.Path)
	}
}

// portOf returns the port of a listen address such as ":8080".
func portOf(t *testing.T, addr string) int {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	p, err := strconv.Atoi(addr[i+1:])
	if i < 0 || err != nil {
		t.Fatalf("listen address %q has no port", addr)
	}
	return p
}

// containerPort resolves a probe's or Service's port (a name or a number) on the container.
func containerPort(t *testing.T, c corev1.Container, port string) int {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == port || strconv.Itoa(int(p.ContainerPort)) == port {
			return int(p.ContainerPort)
		}
	}
	t.Errorf("port %q is not a port of container %s", port, c.Name)
	return -1
}

// fakeSecrets are made-up values of the Secret's required keys (production-shaped).
func fakeSecrets() map[string]string {
	return map[string]string{
		"DATABASE_URL":          "postgres://skillswap:x@db.internal:5432/skillswap?sslmode=verify-full",
		"REDIS_URL":             "rediss://redis.internal:6379/0",
		"JWT_KEYS":              "prod-1:" + b64(32),
		"DATA_ENCRYPTION_KEYS":  "prod-1:" + b64(32),
		"STRIPE_SECRET_KEY":     "sk_live_x",
		"STRIPE_WEBHOOK_SECRET": "whsec_x",
	}
}

// b64 is the base64 of n (made-up) bytes.
func b64(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, n)) }
