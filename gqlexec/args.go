package gqlexec

// Arguments: gqlgen parses a field's arguments every time it resolves the field: the AST's
// arguments with the variables into a map, then each argument unmarshalled into another map.
// Under a list that is once per element for the same answer (a skill's name(locale:) on every
// skill of a page: a twelfth of the nested page's CPU), since a field's arguments depend only on
// the document and the operation's variables.

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Args returns the arguments of field, as parse (the generated field_<Object>_<field>_args)
// makes them from the operation's variables, parsed once per response (Middleware) and then
// shared by every occurrence of the field in it. A parse that fails is not kept: each occurrence
// reports its error, as gqlgen does. The map and what it holds are shared, so nothing may write
// into them: scripts/gqlgen routes here only fields of object types below the root (the root's
// fields, mutations' inputs among them, resolve once anyway), and httpapi allows no field
// middleware that could rewrite a field's arguments.
func Args(
	ctx context.Context,
	field graphql.CollectedField,
	variables map[string]any,
	parse func(ctx context.Context, rawArgs map[string]any) (map[string]any, error),
) (map[string]any, error) {
	r := responseOf(ctx)
	if r == nil || field.Field == nil {
		return parse(ctx, field.ArgumentMap(variables))
	}
	r.mu.Lock()
	args, ok := r.args[field.Field]
	r.mu.Unlock()
	if ok {
		return args, nil
	}
	args, err := parse(ctx, field.ArgumentMap(variables))
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.args == nil {
		r.args = map[*ast.Field]map[string]any{}
	}
	r.args[field.Field] = args
	return args, nil
}
