package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestVariableCoercionErrors: a variable whose value does not fit the type the operation
// declares is a request error (GRAPHQL_VALIDATION_FAILED, HTTP 400 under the spec's media type,
// no data, no response path) whose message says what the value must be and whose
// extensions.field names it as `$variable.field.index`.
func TestVariableCoercionErrors(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	const (
		first    = `query($n: Int) { conversations(first: $n) { edges { cursor } } }`
		node     = `query($id: ID!) { node(id: $id) { id } }`
		signUp   = `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`
		locale   = `query($l: Locale) { skillCategories { name(locale: $l) } }`
		markRead = `mutation($in: MarkNotificationsReadInput!) { markNotificationsRead(input: $in) { __typename } }`
		near     = `query($f: MemberSearchFilter) { searchMembers(filter: $f) { totalCount } }`
		profile  = `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { __typename } }`
	)
	okSignUp := func(extra map[string]any) map[string]any {
		in := map[string]any{"email": "v@example.com", "password": "a long enough password", "displayName": "V"}
		for k, v := range extra {
			if v == nil {
				delete(in, k)
			} else {
				in[k] = v
			}
		}
		return in
	}
	for _, c := range []struct {
		name, query string
		vars        map[string]any
		field, msg  string
	}{
		{"Int given 1e400", first, map[string]any{"n": json.Number("1e400")}, "$n", "must be a 32-bit integer"},
		{"Int given 2^64", first, map[string]any{"n": json.Number("18446744073709551616")}, "$n", "must be a 32-bit integer"},
		{"Int given 1.5", first, map[string]any{"n": 1.5}, "$n", "must be a 32-bit integer"},
		{"Int given true", first, map[string]any{"n": true}, "$n", "must be a 32-bit integer"},
		{"Int given a word", first, map[string]any{"n": "x"}, "$n", "must be a 32-bit integer"},
		{"ID! given null", node, map[string]any{"id": nil}, "$id", "must not be null"},
		{"ID! not given", node, map[string]any{}, "$id", "must be provided"},
		{"ID given a boolean", node, map[string]any{"id": false}, "$id", "must be an ID"},
		{"input object missing a required field", signUp, map[string]any{"in": okSignUp(map[string]any{"displayName": nil})}, "$in.displayName", "must be provided"},
		{"input object with an unknown field", signUp, map[string]any{"in": okSignUp(map[string]any{"emial": "x"})}, "$in.emial", "is not a field of input SignUpInput"},
		{"input field given null", signUp, map[string]any{"in": okSignUp(map[string]any{"password": json.RawMessage("null")})}, "$in.password", "must not be null"},
		{"input field of the wrong type", signUp, map[string]any{"in": okSignUp(map[string]any{"email": true})}, "$in.email", "must be a string"},
		{"input object given a string", signUp, map[string]any{"in": "x"}, "$in", "must be an object (input SignUpInput)"},
		{"unknown enum value", locale, map[string]any{"l": "FRR"}, "$l", "must be a value of the enum Locale"},
		{"null in a list of non-null", markRead, map[string]any{"in": map[string]any{"ids": []any{"a", nil}}}, "$in.ids.1", "must not be null"},
		{"nested Float", near, map[string]any{"f": map[string]any{"near": map[string]any{"latitude": "north", "longitude": 2, "radiusKm": 1}}}, "$f.near.latitude", "must be a finite number"},
		{"field of a list element", profile, map[string]any{"in": map[string]any{"availability": []any{
			map[string]any{"weekday": 1, "start": "09:00", "end": "10:00"},
			map[string]any{"weekday": 1.25, "start": "11:00", "end": "12:00"},
		}}}, "$in.availability.1.weekday", "must be a 32-bit integer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := srv.Client().Do(t, c.query, c.vars)
			if r.Status != http.StatusBadRequest || r.HasData || r.Code() != "GRAPHQL_VALIDATION_FAILED" || len(r.Errors) != 1 {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			e := r.Errors[0]
			if r.Field() != c.field || e.Path != nil {
				t.Errorf("field %q, path %v, want field %q and no path: %s", r.Field(), e.Path, c.field, r.Raw)
			}
			if want := "variable " + c.field + " " + c.msg; !strings.HasPrefix(e.Message, want) {
				t.Errorf("message %q, want it to start with %q", e.Message, want)
			}
			if e.Extensions["requestId"] == "" {
				t.Errorf("no requestId: %s", r.Raw)
			}
		})
	}

	// An Int variable that is an integer but not a 32-bit one passes coercion into Go's int and is
	// refused by the Int scalar when the field runs: BAD_USER_INPUT naming the argument.
	r := srv.Client().Do(t, first, map[string]any{"n": json.Number("9007199254740992")})
	if r.Code() != "BAD_USER_INPUT" || r.Field() != "first" || !strings.Contains(r.Errors[0].Message, "integer between") {
		t.Errorf("2^53: %s", r.Raw)
	}
}

// TestStatementTimeoutIsOperationTimeout: a SQL statement cancelled by DB_STATEMENT_TIMEOUT
// (SQLSTATE 57014) answers OPERATION_TIMEOUT with a message that says so (no SQL text), logged
// as a warning with the request id, never as an error.
func TestStatementTimeoutIsOperationTimeout(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	logs := &logBuffer{}
	srv := apitest.StartLogged(t, cfg, logs.logger())
	// A second server on the same database whose statements may run 300 ms: the first one
	// creates the schema, this one does not wait on anything but the test's lock.
	cfg.StatementTimeout = 300 * time.Millisecond
	slow := apitest.StartLogged(t, cfg, logs.logger())
	apitest.Must(t, srv.Client().Do(t, `{ searchSkills(text: "guitar") { edges { cursor } } }`, nil))

	// Hold a lock the request's statement waits for: statement_timeout counts the wait.
	release, _ := lockTable(t, cfg.DatabaseURL, "skills")
	defer release()

	r := slow.Client().Do(t, `{ searchSkills(text: "guitar") { edges { cursor } } }`, nil)
	reqID := r.Header.Get("X-Request-ID")
	if r.Status != http.StatusOK || r.Code() != "OPERATION_TIMEOUT" || len(r.Errors) != 1 {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	e := r.Errors[0]
	if !strings.Contains(e.Message, "took too long") || e.Extensions["requestId"] != reqID || len(e.Extensions) != 2 {
		t.Errorf("error %+v", e)
	}
	if raw := strings.ToLower(string(r.Raw)); strings.Contains(raw, "statement") || strings.Contains(raw, "cancel") || strings.Contains(raw, "57014") {
		t.Errorf("raw error text leaked: %s", r.Raw)
	}
	warned := false
	for _, l := range logs.lines(t) {
		if l["request_id"] != reqID {
			continue
		}
		switch l["level"] {
		case "ERROR":
			t.Errorf("logged as an error: %v", l)
		case "WARN":
			warned = warned || l["msg"] == "operation timed out"
		}
	}
	if !warned {
		t.Error("no warning logged with the request id")
	}
}

// TestPersistedQueryRequestErrors: a malformed automatic-persisted-query extension is the
// client's mistake: BAD_REQUEST (HTTP 400 under the spec's media type), not an internal error.
func TestPersistedQueryRequestErrors(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	for name, ext := range map[string]any{
		"unsupported version": map[string]any{"version": 2, "sha256Hash": "00"},
		"invalid data":        map[string]any{"version": "one", "sha256Hash": []int{1}},
		"hash mismatch":       map[string]any{"version": 1, "sha256Hash": "00"},
	} {
		t.Run(name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"query": "{ __typename }", "extensions": map[string]any{"persistedQuery": ext}})
			r := post(t, srv, string(b), appJSON, gqlResponse)
			if r.Status != http.StatusBadRequest || r.Code() != "BAD_REQUEST" || r.HasData {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
		})
	}
}
