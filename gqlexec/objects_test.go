package gqlexec_test

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/skillswap/skillswap/gqlexec"
)

// TestObjectWritesWhatGqlgenWrites: gqlexec.Object writes an object's fields as gqlgen's field set
// does, a repeated key once, and leaves an object with a deferred field to gqlgen.
func TestObjectWritesWhatGqlgenWrites(t *testing.T) {
	t.Parallel()
	field := func(alias string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: alias}}
	}
	deferred := field("later")
	deferred.Deferrables = []*graphql.Deferrable{{Label: "later"}}
	cases := []struct {
		name   string
		fields []graphql.CollectedField
		want   string
	}{
		{"no field", nil, `{}`},
		{"fields in order", []graphql.CollectedField{field("id"), field("name"), field("_under_score9")}, `{"id":"v0","name":"v1","_under_score9":"v2"}`},
		{"a repeated alias, written once", []graphql.CollectedField{field("id"), field("name"), field("id")}, `{"id":"v0","name":"v1"}`},
	}
	for _, tc := range cases {
		out := graphql.NewFieldSet(tc.fields)
		for i := range tc.fields {
			out.Values[i] = graphql.MarshalString("v" + string(rune('0'+i)))
		}
		var gqlgen, ours bytes.Buffer
		out.MarshalGQL(&gqlgen)
		m := gqlexec.Object(out, tc.fields)
		m.MarshalGQL(&ours)
		if ours.String() != tc.want || gqlgen.String() != tc.want {
			t.Errorf("%s: wrote %s, gqlgen %s, want %s", tc.name, ours.String(), gqlgen.String(), tc.want)
		}
		if m == graphql.Marshaler(out) {
			t.Errorf("%s: left to gqlgen's field set", tc.name)
		}
	}

	fields := []graphql.CollectedField{field("id"), deferred}
	out := graphql.NewFieldSet(fields)
	if m := gqlexec.Object(out, fields); m != graphql.Marshaler(out) {
		t.Errorf("an object with a deferred field was not left to gqlgen: %T", m)
	}
}
