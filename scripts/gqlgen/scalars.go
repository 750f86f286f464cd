package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strings"
)

// safeScalarMarshaler matches the body of a generated marshaler that cannot report an error for
// the value it is given, printed one statement per line: a non-null scalar or enum marshalled by
// a function that never returns null (so the null branch never runs), or a nullable one given by
// pointer (null for nil, without an error). Marshalers that report errors as they write (floats:
// WrapContextMarshaler) or that call a custom scalar's own method are not matched.
var safeScalarMarshaler = regexp.MustCompile(`^(?:` +
	`_ = sel\nres := ` + neverNull + `\((?:v|string\(v\))\)\nif res == graphql\.Null {\n\tgraphql\.AddInvalidNullFromMarshaler\(ctx, "[A-Za-z]+!"\)\n}\nreturn res` +
	`|` +
	`if v == nil {\n\treturn graphql\.Null\n}\n_ = sel\n_ = ctx\nres := ` + neverNull + `\((?:\*v|string\(\*v\))\)\nreturn res` +
	`)$`)

// neverNull are the scalar marshalers that return a value for any input.
const neverNull = `(?:gqlscalar\.MarshalString|gqlscalar\.MarshalInt|gqlscalar\.MarshalInt64|gqlscalar\.MarshalDateTime|` +
	`graphql\.MarshalString|graphql\.MarshalID|graphql\.MarshalInt|graphql\.MarshalInt64|graphql\.MarshalBoolean)`

// readScalars routes, in the generated executor, every field that reads a scalar from memory (a
// struct field or a method of the object without context, arguments or error; no directive; a
// marshaler matched by safeScalarMarshaler) to gqlexec.ReadScalar first, keeping gqlgen's
// ResolveField after it for what ReadScalar leaves to it. gqlgen generates each field as
//
//	func (ec *executionContext) _User_displayName(ctx context.Context, field graphql.CollectedField, obj *domain.User) (ret graphql.Marshaler) {
//		return graphql.ResolveField(ctx, ec.OperationContext, field,
//			func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
//				return ec.fieldContext_User_displayName(ctx, field)
//			},
//			func(ctx context.Context) (any, error) { return obj.DisplayName, nil },
//			nil,
//			func(ctx context.Context, selections ast.SelectionSet, v string) graphql.Marshaler {
//				return ec.marshalNString2string(ctx, selections, v)
//			},
//			true, true)
//	}
//
// with a field context made by graphql.NewScalarFieldContext (no arguments). It fails when no
// field has that shape: gqlgen's template has changed and must be looked at.
func readScalars(file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read generated code: %w", err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, 0)
	if err != nil {
		return fmt.Errorf("parse generated code: %w", err)
	}
	methods := map[string]*ast.FuncDecl{}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil {
			methods[fn.Name.Name] = fn
		}
	}
	text := func(n ast.Node) string {
		return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
	}
	type insert struct {
		at   int
		code string
	}
	var inserts []insert
	for _, fn := range methods {
		read, valueType, marshal, ok := scalarField(fn, methods, fset)
		if !ok {
			continue
		}
		inserts = append(inserts, insert{
			at: fset.Position(fn.Body.Lbrace).Offset + 1,
			code: fmt.Sprintf("\n\tif m, ok := gqlexec.ReadScalar(ctx, field, func() %s { return %s }, ec.%s); ok {\n\t\treturn m\n\t}",
				text(valueType), text(read), marshal),
		})
	}
	if len(inserts) == 0 {
		return fmt.Errorf("%s: no scalar field read from memory has the expected shape; has gqlgen's template changed?", file)
	}
	slices.SortFunc(inserts, func(a, b insert) int { return b.at - a.at })
	for _, in := range inserts {
		src = slices.Concat(src[:in.at], []byte(in.code), src[in.at:])
	}
	out, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("format rewritten %s: %w", file, err)
	}
	return os.WriteFile(file, out, 0o644)
}

// scalarField reports whether fn is a generated field function of readScalars' shape, and returns
// the expression that reads the value, the value's type and the marshaler's name.
func scalarField(fn *ast.FuncDecl, methods map[string]*ast.FuncDecl, fset *token.FileSet) (read, valueType ast.Expr, marshal string, ok bool) {
	call, ok := onlyReturn(fn.Body).(*ast.CallExpr)
	if !ok || !isSelector(call.Fun, "graphql", "ResolveField") || len(call.Args) != 9 {
		return nil, nil, "", false
	}
	args := call.Args
	// The field context: gqlgen's for a scalar without arguments.
	fieldContext, ok := calledMethod(funcLitReturn(args[3]))
	if !ok {
		return nil, nil, "", false
	}
	if fc := methods[fieldContext]; fc == nil {
		return nil, nil, "", false
	} else if c, ok := onlyReturn(fc.Body).(*ast.CallExpr); !ok || !isSelector(c.Fun, "graphql", "NewScalarFieldContext") {
		return nil, nil, "", false
	}
	// The resolver: return <read from obj>, nil.
	resolver, ok := args[4].(*ast.FuncLit)
	if !ok || len(resolver.Body.List) != 1 {
		return nil, nil, "", false
	}
	ret, ok := resolver.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 2 || !isIdent(ret.Results[1], "nil") || !readsObject(ret.Results[0]) {
		return nil, nil, "", false
	}
	// No middleware (directives), panics recovered.
	if !isIdent(args[5], "nil") || !isIdent(args[7], "true") {
		return nil, nil, "", false
	}
	// The marshaler: one that cannot report an error.
	m, ok := args[6].(*ast.FuncLit)
	if !ok || len(m.Type.Params.List) != 3 {
		return nil, nil, "", false
	}
	marshal, ok = calledMethod(funcLitReturn(m))
	if !ok || methods[marshal] == nil || !safeScalarMarshaler.MatchString(statements(methods[marshal].Body, fset)) {
		return nil, nil, "", false
	}
	return ret.Results[0], m.Type.Params.List[2].Type, marshal, true
}

// readsObject reports whether e reads a field of obj, or calls one of its methods without
// arguments: obj.A, obj.A.B, obj.M().
func readsObject(e ast.Expr) bool {
	if c, ok := e.(*ast.CallExpr); ok {
		if len(c.Args) != 0 {
			return false
		}
		e = c.Fun
	}
	for {
		s, ok := e.(*ast.SelectorExpr)
		if !ok {
			return isIdent(e, "obj")
		}
		e = s.X
	}
}

func onlyReturn(body *ast.BlockStmt) ast.Expr {
	if body == nil || len(body.List) != 1 {
		return nil
	}
	r, ok := body.List[0].(*ast.ReturnStmt)
	if !ok || len(r.Results) != 1 {
		return nil
	}
	return r.Results[0]
}

func funcLitReturn(e ast.Expr) ast.Expr {
	lit, ok := e.(*ast.FuncLit)
	if !ok {
		return nil
	}
	return onlyReturn(lit.Body)
}

// calledMethod returns the name of the method of ec that e calls as ec.M(ctx, …).
func calledMethod(e ast.Expr) (string, bool) {
	c, ok := e.(*ast.CallExpr)
	if !ok {
		return "", false
	}
	s, ok := c.Fun.(*ast.SelectorExpr)
	if !ok || !isIdent(s.X, "ec") {
		return "", false
	}
	return s.Sel.Name, true
}

func isSelector(e ast.Expr, pkg, name string) bool {
	s, ok := e.(*ast.SelectorExpr)
	return ok && isIdent(s.X, pkg) && s.Sel.Name == name
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// statements prints body's statements one per line, without the braces and their indentation.
func statements(body *ast.BlockStmt, fset *token.FileSet) string {
	var b bytes.Buffer
	for i, st := range body.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		if err := printer.Fprint(&b, fset, st); err != nil {
			return ""
		}
	}
	return strings.TrimSpace(b.String())
}
