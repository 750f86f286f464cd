package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skillswap/skillswap/internal/apitest"
)

func post(t *testing.T, srv *apitest.Server, body, contentType, accept string) *apitest.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return srv.Client().Send(t, req)
}

func get(t *testing.T, srv *apitest.Server, params url.Values, accept string) *apitest.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/graphql?"+params.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return srv.Client().Send(t, req)
}

const (
	gqlResponse = "application/graphql-response+json"
	appJSON     = "application/json"
)

// TestGraphQLOverHTTP checks the GraphQL-over-HTTP specification's rules, SHOULDs included.
func TestGraphQLOverHTTP(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	typename := `{"query":"{ __typename }"}`
	tests := []struct {
		name        string
		do          func() *apitest.Response
		status      int
		contentType string
		hasData     bool
		code        string
	}{
		{"POST with graphql-response+json", func() *apitest.Response { return post(t, srv, typename, appJSON, gqlResponse) }, 200, gqlResponse, true, ""},
		{"POST without Accept is application/json", func() *apitest.Response { return post(t, srv, typename, appJSON, "") }, 200, appJSON, true, ""},
		{"Apollo's Accept prefers graphql-response+json", func() *apitest.Response {
			return post(t, srv, typename, appJSON, "application/graphql-response+json, application/json;q=0.9")
		}, 200, gqlResponse, true, ""},
		{"q-values are honoured", func() *apitest.Response {
			return post(t, srv, typename, appJSON, "application/graphql-response+json;q=0.5, application/json")
		}, 200, appJSON, true, ""},
		{"*/* gets application/json", func() *apitest.Response { return post(t, srv, typename, appJSON, "*/*") }, 200, appJSON, true, ""},
		{"unacceptable Accept is 406", func() *apitest.Response { return post(t, srv, typename, appJSON, "text/html") }, 406, appJSON, false, "BAD_REQUEST"},
		{"parse error is 400 without data (graphql-response+json)", func() *apitest.Response {
			return post(t, srv, `{"query":"{ viewer { "}`, appJSON, gqlResponse)
		}, 400, gqlResponse, false, "GRAPHQL_PARSE_FAILED"},
		{"validation error is 400 without data (graphql-response+json)", func() *apitest.Response {
			return post(t, srv, `{"query":"{ nope }"}`, appJSON, gqlResponse)
		}, 400, gqlResponse, false, "GRAPHQL_VALIDATION_FAILED"},
		{"validation error is 200 without data (application/json)", func() *apitest.Response {
			return post(t, srv, `{"query":"{ nope }"}`, appJSON, appJSON)
		}, 200, appJSON, false, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown variable type is a request error", func() *apitest.Response {
			return post(t, srv, `{"query":"query($r: Role!) { __typename }","variables":{"r":"KING"}}`, appJSON, gqlResponse)
		}, 400, gqlResponse, false, "GRAPHQL_VALIDATION_FAILED"},
		{"body that is not JSON is 400", func() *apitest.Response { return post(t, srv, `{"query":`, appJSON, gqlResponse) }, 400, gqlResponse, false, "BAD_REQUEST"},
		{"body without query is 400", func() *apitest.Response { return post(t, srv, `{"variables":{}}`, appJSON, gqlResponse) }, 400, gqlResponse, false, "BAD_REQUEST"},
		{"other content type is 415", func() *apitest.Response {
			return post(t, srv, typename, "application/xml", gqlResponse)
		}, 415, gqlResponse, false, "BAD_REQUEST"},
		{"text/plain (CSRF-able) is refused", func() *apitest.Response { return post(t, srv, typename, "text/plain", gqlResponse) }, 415, appJSON, false, "BAD_REQUEST"},
		{"GET query", func() *apitest.Response {
			return get(t, srv, url.Values{"query": {"{ __typename }"}}, gqlResponse)
		}, 200, gqlResponse, true, ""},
		{"GET with variables", func() *apitest.Response {
			return get(t, srv, url.Values{"query": {"query($inc: Boolean!) { __typename @include(if: $inc) }"}, "variables": {`{"inc":true}`}}, gqlResponse)
		}, 200, gqlResponse, true, ""},
		{"mutation over GET is 405", func() *apitest.Response {
			return get(t, srv, url.Values{"query": {`mutation { logOut { sessionId } }`}}, gqlResponse)
		}, 405, gqlResponse, false, "BAD_REQUEST"},
		{"GET without query is 400", func() *apitest.Response { return get(t, srv, url.Values{}, gqlResponse) }, 400, gqlResponse, false, "BAD_REQUEST"},
		{"subscription over plain POST is refused", func() *apitest.Response {
			return post(t, srv, `{"query":"subscription { viewerUpdated { id } }"}`, appJSON, gqlResponse)
		}, 400, gqlResponse, false, "BAD_REQUEST"},
		{"field error keeps data and status 200", func() *apitest.Response {
			return post(t, srv, `{"query":"{ viewer { id } }"}`, appJSON, gqlResponse)
		}, 200, gqlResponse, true, "UNAUTHENTICATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.do()
			if r.Status != tt.status {
				t.Errorf("status %d, want %d: %s", r.Status, tt.status, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type %q, want %q", ct, tt.contentType)
			}
			if r.HasData != tt.hasData {
				t.Errorf("has data = %v, want %v: %s", r.HasData, tt.hasData, r.Raw)
			}
			if r.Code() != tt.code {
				t.Errorf("code %q, want %q: %s", r.Code(), tt.code, r.Raw)
			}
		})
	}
}

func TestRequestLimits(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.MaxBodyBytes = 4096
	cfg.MaxAliases = 5
	srv := apitest.Start(t, cfg)

	t.Run("oversized body is 413", func(t *testing.T) {
		body := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 5000) + `"}}`
		r := post(t, srv, body, appJSON, gqlResponse)
		if r.Status != http.StatusRequestEntityTooLarge || r.HasData {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
	})
	t.Run("depth bomb is refused before execution", func(t *testing.T) {
		q := "{ __schema { types { fields { type " + strings.Repeat("{ ofType ", 20) + "{ name }" + strings.Repeat(" }", 20) + " } } } }"
		b, _ := json.Marshal(map[string]string{"query": q})
		r := post(t, srv, string(b), appJSON, gqlResponse)
		if r.Status != 400 || r.Code() != "QUERY_TOO_COMPLEX" || r.HasData {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
	})
	t.Run("GraphiQL's introspection query fits the depth limit", func(t *testing.T) {
		// graphql-js's TypeRef nests ofType 8 times under __schema types fields args type.
		q := "{ __schema { types { fields { args { type { kind name " + strings.Repeat("ofType { kind name ", 8) +
			strings.Repeat("} ", 8) + "} } } } } }"
		b, _ := json.Marshal(map[string]string{"query": q})
		apitest.Must(t, post(t, srv, string(b), appJSON, gqlResponse))
	})
	t.Run("too many aliases", func(t *testing.T) {
		var sb strings.Builder
		sb.WriteString("{")
		for i := range 6 {
			sb.WriteString(" a" + string(rune('a'+i)) + ": __typename")
		}
		sb.WriteString(" }")
		b, _ := json.Marshal(map[string]string{"query": sb.String()})
		r := post(t, srv, string(b), appJSON, gqlResponse)
		if r.Status != 400 || r.Code() != "QUERY_TOO_COMPLEX" {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
	})
}

func TestComplexityLimit(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.MaxComplexity = 100
	srv := apitest.Start(t, cfg)
	_, member := srv.SignUp(t)
	// 100 sessions x 3 fields: over the limit although the query is short.
	r := member.Do(t, `{ viewer { sessions(first: 100) { edges { node { id createdAt userAgent } } } } }`, nil)
	if r.Status != 400 || r.Code() != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	apitest.Must(t, member.Do(t, `{ viewer { sessions(first: 10) { edges { node { id createdAt userAgent } } } } }`, nil))
}

func TestTokenLimit(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.MaxTokens = 50
	srv := apitest.Start(t, cfg)
	q := "{" + strings.Repeat(" __typename", 60) + " }"
	b, _ := json.Marshal(map[string]string{"query": q})
	r := post(t, srv, string(b), appJSON, gqlResponse)
	if r.Status != 400 || r.Code() != "GRAPHQL_PARSE_FAILED" {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
}

func TestHeadersCORSAndRequestID(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))

	r := post(t, srv, `{"query":"{ __typename }"}`, appJSON, gqlResponse)
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if r.Header.Get("X-Request-ID") == "" {
		t.Error("no X-Request-ID")
	}

	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp
	}
	if got := preflight("http://localhost:8080").Header.Get("Access-Control-Allow-Origin"); got != "http://localhost:8080" {
		t.Errorf("allowed origin: Access-Control-Allow-Origin = %q", got)
	}
	if got := preflight("https://evil.example").Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("foreign origin allowed: %q", got)
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, member := srv.SignUp(t)
	// Break the database under the server: the client must get a generic error with a request id.
	if _, err := srv.App.Pool.Exec(t.Context(), `ALTER TABLE auth_sessions RENAME TO auth_sessions_gone`); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_, _ = srv.App.Pool.Exec(t.Context(), `ALTER TABLE auth_sessions_gone RENAME TO auth_sessions`)
	}()
	_ = tok
	r := member.Do(t, `{ viewer { id } }`, nil)
	// A broken database is an internal error, never a credential problem: UNAUTHENTICATED would
	// make clients drop valid tokens and sign the member out.
	if r.Code() != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("code %q: %s", r.Code(), r.Raw)
	}
	if bytes.Contains(r.Raw, []byte("auth_sessions")) || bytes.Contains(r.Raw, []byte("SQLSTATE")) {
		t.Fatalf("internal details leaked: %s", r.Raw)
	}
	id, _ := r.Errors[0].Extensions["requestId"].(string)
	if id == "" || id != r.Header.Get("X-Request-ID") {
		t.Fatalf("requestId %q vs header %q", id, r.Header.Get("X-Request-ID"))
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.DatabaseMaxConns = 13
	srv := apitest.Start(t, cfg)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s = %d", path, resp.StatusCode)
		}
	}
	srv.Client().Do(t, `{ viewer { id } }`, nil) // an UNAUTHENTICATED error to count
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	for _, want := range []string{
		`skillswap_http_requests_total{method="POST",route="/graphql",status="200"}`,
		`skillswap_graphql_errors_total{code="UNAUTHENTICATED"} 1`,
		`skillswap_http_request_duration_seconds_bucket`,
		`skillswap_db_pool_max_connections 13`,
		`skillswap_graphql_operations_total{type="query"}`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Draining: readiness fails so the balancer stops sending traffic.
	srv.App.HTTP.StartDraining()
	resp, err = http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while draining = %d", resp.StatusCode)
	}
}

func TestPlayground(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("graphiql")) || !bytes.Contains(body, []byte("/graphql")) {
		t.Fatalf("playground: %d %.200s", resp.StatusCode, body)
	}
}
