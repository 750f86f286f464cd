package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestEncodeResponseMatchesJSONMarshal: the response writer's hand-built envelope is byte for
// byte what json.Marshal wrote before (for data without <, > or &, which json.Marshal escaped).
func TestEncodeResponseMatchesJSONMarshal(t *testing.T) {
	t.Parallel()
	errs := gqlerror.List{{Message: "not allowed", Path: ast.Path{ast.PathName("users"), ast.PathIndex(2)},
		Extensions: map[string]any{"code": "FORBIDDEN"}}}
	ext := map[string]any{"cost": 12}
	for name, resp := range map[string]*response{
		"data":                     {Data: json.RawMessage(`{"viewer":{"id":"usr_1","name":"Zoë \"Z\""}}`)},
		"null data":                {Data: json.RawMessage(`null`)},
		"data and errors":          {Data: json.RawMessage(`{"users":null}`), Errors: errs},
		"data, errors, extensions": {Data: json.RawMessage(`{"a":[1,2]}`), Errors: errs, Extensions: ext},
		"data and extensions":      {Data: json.RawMessage(`{"a":true}`), Extensions: ext},
		"errors only (no data)":    {Errors: errs},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeResponse(resp)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
