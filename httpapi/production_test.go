package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestClosedProfile: the production profile's switches, off: no playground, no introspection
// (a validation error), no suggestions; /metrics behind a token, or off the API's listener.
func TestClosedProfile(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.Playground, cfg.Introspection, cfg.FieldSuggestions = false, false, false
	cfg.MetricsToken = "scrape-secret"
	srv := apitest.Start(t, cfg)

	get := func(path, auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get("/", ""); status != http.StatusNotFound || strings.Contains(body, "graphiql") {
		t.Errorf("playground: %d %.100s", status, body)
	}
	if r := srv.Client().Do(t, `{ __schema { queryType { name } } }`, nil); r.Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("introspection: %s", r.Raw)
	}
	if r := srv.Client().Do(t, `{ viewr { id } }`, nil); r.Code() != "GRAPHQL_VALIDATION_FAILED" || strings.Contains(string(r.Raw), "Did you mean") {
		t.Errorf("suggestions: %s", r.Raw)
	}
	for _, auth := range []string{"", "Bearer wrong", "Basic scrape-secret", "Bearer scrape-secret-and-more"} {
		if status, _ := get("/metrics", auth); status != http.StatusUnauthorized {
			t.Errorf("/metrics with %q: %d", auth, status)
		}
	}
	if status, body := get("/metrics", "Bearer scrape-secret"); status != 200 || !strings.Contains(body, "skillswap_http_requests_total") {
		t.Errorf("/metrics with the token: %d %.100s", status, body)
	}

	// METRICS_ADDR: the API's listener has no /metrics; MetricsHandler serves it elsewhere.
	cfg2 := apitest.Config(t)
	cfg2.MetricsAddr = "127.0.0.1:0"
	srv2 := apitest.Start(t, cfg2)
	resp, err := http.Get(srv2.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the API's listener with METRICS_ADDR: %d", resp.StatusCode)
	}
	private := httptest.NewServer(srv2.App.HTTP.MetricsHandler())
	defer private.Close()
	resp, err = http.Get(private.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("MetricsHandler: %d", resp.StatusCode)
	}
}
