package check

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

// TestAlertRules checks the example PrometheusRule of docs/operations.md: decoded strictly,
// every expression valid PromQL naming only metrics (and labels) the server exports.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, b := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(raw), -1) {
		if strings.Contains(b[1], "kind: PrometheusRule") {
			blocks = append(blocks, b[1])
		}
	}
	if len(blocks) != 1 {
		t.Fatalf("%d PrometheusRule blocks in docs/operations.md, want 1", len(blocks))
	}
	var rule monitoringv1.PrometheusRule
	if err := yaml.UnmarshalStrict([]byte(blocks[0]), &rule); err != nil {
		t.Fatalf("PrometheusRule: %v", err)
	}
	if rule.APIVersion != "monitoring.coreos.com/v1" || rule.Kind != "PrometheusRule" {
		t.Fatalf("%s %s", rule.APIVersion, rule.Kind)
	}

	exported := serverMetrics(t)
	p := parser.NewParser(parser.Options{})
	alerts := 0
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			alerts++
			expr, err := p.ParseExpr(r.Expr.String())
			if err != nil {
				t.Errorf("%s: %v", r.Alert, err)
				continue
			}
			if r.Alert == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q: want an alert name, a severity label and a summary", r.Alert)
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				vs, ok := n.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				allowed, known := exported[vs.Name]
				if !known {
					t.Errorf("%s: metric %q is not exported by the server (httpapi/metrics.go) nor a standard one", r.Alert, vs.Name)
					return nil
				}
				for _, m := range vs.LabelMatchers {
					if m.Name != "__name__" && !slices.Contains(allowed, m.Name) && !slices.Contains(targetLabels, m.Name) {
						t.Errorf("%s: %s has no label %q (it has %v)", r.Alert, vs.Name, m.Name, allowed)
					}
				}
				return nil
			})
		}
	}
	if alerts < 5 {
		t.Errorf("%d alerts", alerts)
	}
}

// targetLabels are the labels Prometheus (and the Operator's ServiceMonitor) add to every series.
var targetLabels = []string{"job", "instance", "namespace", "pod", "service", "container", "endpoint"}

// serverMetrics returns the metrics the server exports with their labels, read from
// httpapi/metrics.go (so a renamed metric fails this check), plus the standard ones the rules
// may use (Prometheus' up, client_golang's process collector).
func serverMetrics(t *testing.T) map[string][]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, "httpapi", "metrics.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{
		"up":                            nil,
		"process_resident_memory_bytes": nil,
		"process_cpu_seconds_total":     nil,
		"go_goroutines":                 nil,
	}
	text := string(src)
	names := regexp.MustCompile(`Name:\s*"(skillswap_[a-z_]+)"`).FindAllStringSubmatchIndex(text, -1)
	for i, m := range names {
		name := text[m[2]:m[3]]
		end := len(text)
		if i+1 < len(names) {
			end = names[i+1][0]
		}
		decl := text[m[1]:end]
		var lbls []string
		if l := regexp.MustCompile(`\}\s*,\s*\[\]string\{([^}]*)\}`).FindStringSubmatch(decl); l != nil {
			for _, s := range strings.Split(l[1], ",") {
				lbls = append(lbls, strings.Trim(strings.TrimSpace(s), `"`))
			}
		}
		out[name] = lbls
		if strings.Contains(text[max(0, m[0]-200):m[0]], "NewHistogramVec") {
			out[name+"_bucket"] = append(slices.Clone(lbls), "le")
			out[name+"_sum"] = lbls
			out[name+"_count"] = lbls
		}
	}
	prefix := regexp.MustCompile(`NewDesc\("(skillswap_[a-z_]+)"\+name`).FindStringSubmatch(text)
	if prefix == nil {
		t.Fatal("httpapi/metrics.go: the pool collector's name prefix is not found")
	}
	for _, m := range regexp.MustCompile(`\bd\("([a-z_]+)",`).FindAllStringSubmatch(text, -1) {
		out[prefix[1]+m[1]] = nil
	}
	for _, want := range []string{"skillswap_http_requests_total", "skillswap_graphql_errors_total", "skillswap_db_pool_acquires_total", "skillswap_websocket_connections"} {
		if _, ok := out[want]; !ok {
			t.Fatalf("reading httpapi/metrics.go found no %s: update serverMetrics (found %v)", want, slices.Sorted(maps.Keys(out)))
		}
	}
	if !slices.Equal(out["skillswap_http_requests_total"], []string{"route", "method", "status"}) {
		t.Fatalf("labels of skillswap_http_requests_total read as %v", out["skillswap_http_requests_total"])
	}
	return out
}
