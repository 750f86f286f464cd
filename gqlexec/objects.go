package gqlexec

// Objects: gqlgen writes an object's fields through an iterator, keeping a map of the keys it
// wrote to skip a repeated one: per object a map that grows on its first key, every key checked
// for characters to escape though a field's alias is a GraphQL name, which has none. On the
// members pages that was a tenth of the CPU, for objects whose keys never repeat.

import (
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// Object is what an object's generated marshaler returns once its fields are resolved (out,
// collected as fields): out itself when one of its fields is deferred (gqlgen's @defer
// bookkeeping writes those later), otherwise a marshaler that writes the same JSON as out's
// without gqlgen's per-object map.
func Object(out *graphql.FieldSet, fields []graphql.CollectedField) graphql.Marshaler {
	for i := range fields {
		if fields[i].IsDeferred() {
			return out
		}
	}
	return &object{fields: fields, values: out.Values}
}

type object struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

// MarshalGQL writes the fields in order, each alias as a key once: like gqlgen, a later field
// with the alias of an earlier one is skipped (collected fields merge by alias, so this is rare
// and a scan of the keys written costs less than a map).
func (o *object) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, "{")
	for i := range o.fields {
		alias := o.fields[i].Alias
		if repeats(o.fields[:i], alias) {
			continue
		}
		if i > 0 {
			_, _ = io.WriteString(w, ",")
		}
		// An alias is a GraphQL name, [_A-Za-z][_0-9A-Za-z]*: nothing in it to escape.
		_, _ = io.WriteString(w, `"`)
		_, _ = io.WriteString(w, alias)
		_, _ = io.WriteString(w, `":`)
		o.values[i].MarshalGQL(w)
	}
	_, _ = io.WriteString(w, "}")
}

func repeats(before []graphql.CollectedField, alias string) bool {
	for i := range before {
		if before[i].Alias == alias {
			return true
		}
	}
	return false
}
