package httpapi

import (
	"context"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// variablePathRoot is the first element of the path gqlparser's validator.VariableValues gives
// the errors of variable coercion ("variable", then the variable's name, then input fields and
// list indexes).
const variablePathRoot = ast.PathName("variable")

// isVariableError reports whether gqlErr is a variable-coercion error: gqlgen's executor gets
// it from validator.VariableValues before the operation runs (no field is being resolved) and
// codes it GRAPHQL_VALIDATION_FAILED.
func isVariableError(ctx context.Context, gqlErr *gqlerror.Error) bool {
	return graphql.GetFieldContext(ctx) == nil && gqlErr.Rule == "" &&
		len(gqlErr.Path) >= 2 && gqlErr.Path[0] == variablePathRoot &&
		gqlErr.Extensions["code"] == CodeValidation
}

// presentVariableError rewrites a variable-coercion error so that it says what is wrong in
// words a client can act on (gqlparser writes "cannot use value 0 as Int" for 1.5 and "cannot
// use bool as Int" for true) and names the value in extensions.field as `$name.field.index`
// (e.g. `$input.startsAt`, `$ids.2`). The response path, which gqlparser sets to
// ["variable", name, ...], goes: a request error has no response path. The code stays
// GRAPHQL_VALIDATION_FAILED, a request error (HTTP 400 under application/graphql-response+json).
func presentVariableError(ctx context.Context, schema *ast.Schema, gqlErr *gqlerror.Error) {
	field, problem := describeVariableError(ctx, schema, gqlErr.Path[1:], gqlErr.Message)
	gqlErr.Message = "variable " + field + " " + problem
	gqlErr.Extensions["field"] = field
	gqlErr.Path = nil
}

// describeVariableError returns the field name of the value at path (below "variable") and what
// is wrong with it, reading gqlparser's message (one of a handful, see validator/vars.go) and the
// type the operation declares there.
func describeVariableError(ctx context.Context, schema *ast.Schema, path ast.Path, msg string) (field, problem string) {
	var b strings.Builder
	b.WriteByte('$')
	for i, el := range path {
		switch el := el.(type) {
		case ast.PathName:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(el))
		case ast.PathIndex:
			b.WriteByte('.')
			b.WriteString(strconv.Itoa(int(el)))
		}
	}
	field = b.String()

	switch msg {
	case "cannot be null":
		return field, "must not be null"
	case "must be defined":
		if len(path) == 1 {
			return field, "must be provided: it is non-null and has no default value"
		}
		return field, "must be provided: the input field is non-null"
	}
	typ, parent := variableType(ctx, schema, path)
	if msg == "unknown field" {
		if parent != nil {
			return field, "is not a field of input " + parent.Name
		}
		return field, "is not a known input field"
	}
	if typ == nil {
		return field, "has a value that does not fit its type"
	}
	return field, mustBe(schema, typ)
}

// variableType is the type the operation declares for the value at path (nil if unknown), and
// the input object holding it when the path ends at an input field.
func variableType(ctx context.Context, schema *ast.Schema, path ast.Path) (typ *ast.Type, parent *ast.Definition) {
	if schema == nil || !graphql.HasOperationContext(ctx) {
		return nil, nil
	}
	op := graphql.GetOperationContext(ctx).Operation
	name, ok := path[0].(ast.PathName)
	if op == nil || !ok {
		return nil, nil
	}
	if def := op.VariableDefinitions.ForName(string(name)); def != nil {
		typ = def.Type
	}
	for _, el := range path[1:] {
		if typ == nil {
			return nil, nil
		}
		switch el := el.(type) {
		case ast.PathIndex:
			if typ.Elem != nil {
				typ = typ.Elem
			}
			parent = nil
		case ast.PathName:
			parent = schema.Types[typ.Name()]
			if parent == nil || parent.Kind != ast.InputObject {
				return nil, nil
			}
			f := parent.Fields.ForName(string(el))
			if f == nil {
				return nil, parent
			}
			typ = f.Type
		}
	}
	return typ, parent
}

// mustBe says what a value of typ must be, for a value of another kind.
func mustBe(schema *ast.Schema, typ *ast.Type) string {
	if typ.Elem != nil {
		return "must be a list"
	}
	switch typ.NamedType {
	case "Int":
		return "must be a 32-bit integer"
	case "Float":
		return "must be a finite number"
	case "String":
		return "must be a string"
	case "Boolean":
		return "must be true or false"
	case "ID":
		return "must be an ID (a string or an integer)"
	}
	def := schema.Types[typ.NamedType]
	switch {
	case def == nil:
		return "has a value that does not fit its type"
	case def.Kind == ast.Enum:
		return "must be a value of the enum " + def.Name
	case def.Kind == ast.InputObject:
		return "must be an object (input " + def.Name + ")"
	}
	return "must be a valid " + def.Name
}
