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

// routeExecution rewrites, in the generated executor, the fields below the root (objects not
// named in roots) and the objects, and fails when it finds nothing to rewrite in one of these
// ways (gqlgen's template has changed and must be looked at):
//
//   - a field with arguments parses them with gqlexec.Args, once per response;
//   - a field that reads a scalar from memory (a struct field, or a method of the object without
//     context or error, given the field's arguments or none; no directive; a marshaler matched
//     by safeScalarMarshaler) is answered by gqlexec.ReadScalar first, keeping gqlgen's
//     ResolveField after it for what ReadScalar leaves to it;
//   - an object's marshaler returns gqlexec.Object(out, fields) instead of its field set out.
//
// gqlgen generates each field as
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
// with a field context made by graphql.NewScalarFieldContext when the field has no arguments,
// and otherwise by a function that parses them into fc.Args, which the resolver reads (`fc :=
// graphql.GetFieldContext(ctx); return obj.Name(fc.Args["locale"].(*domain.NameLocale)), nil`).
func routeExecution(file string, roots []string) error {
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
	type edit struct {
		from, to int
		code     string
	}
	var edits []edit
	// Arguments parsed once per response: parsers[fieldContext] names the routed parse function.
	parsers := map[string]string{}
	for name, fn := range methods {
		call, parse, ok := argumentsParse(fn)
		if !ok || slices.Contains(roots, fieldContextObject(fn)) {
			continue
		}
		parsers[name] = parse
		edits = append(edits, edit{
			from: fset.Position(call.Pos()).Offset, to: fset.Position(call.End()).Offset,
			code: "gqlexec.Args(ctx, field, ec.Variables, ec." + parse + ")",
		})
	}
	if len(parsers) == 0 {
		return fmt.Errorf("%s: no field below the root parses arguments as expected; has gqlgen's template changed?", file)
	}
	scalars := 0
	for _, fn := range methods {
		sf, ok := scalarField(fn, methods, parsers, fset)
		if !ok {
			continue
		}
		scalars++
		at := fset.Position(fn.Body.Lbrace).Offset + 1
		read := text(sf.read)
		code := "\n\tif m, ok := gqlexec.ReadScalar(ctx, field, func() %s { return %s }, ec.%s); ok {\n\t\treturn m\n\t}"
		if sf.parse != "" {
			read = strings.ReplaceAll(read, "fc.Args", "args")
			code = "\n\tif args, err := gqlexec.Args(ctx, field, ec.Variables, ec." + sf.parse + "); err == nil {" +
				strings.ReplaceAll(code, "\n", "\n\t") + "\n\t}"
		}
		edits = append(edits, edit{from: at, to: at, code: fmt.Sprintf(code, text(sf.valueType), read, sf.marshal)})
	}
	if scalars == 0 {
		return fmt.Errorf("%s: no scalar field read from memory has the expected shape; has gqlgen's template changed?", file)
	}
	objects := 0
	for _, fn := range methods {
		ret, ok := objectReturn(fn)
		if !ok {
			continue
		}
		objects++
		edits = append(edits, edit{
			from: fset.Position(ret.Pos()).Offset, to: fset.Position(ret.End()).Offset,
			code: "gqlexec.Object(out, fields)",
		})
	}
	if objects == 0 {
		return fmt.Errorf("%s: no object marshaler has the expected shape; has gqlgen's template changed?", file)
	}
	slices.SortFunc(edits, func(a, b edit) int { return b.from - a.from })
	for _, e := range edits {
		src = slices.Concat(src[:e.from], []byte(e.code), src[e.to:])
	}
	out, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("format rewritten %s: %w", file, err)
	}
	return os.WriteFile(file, out, 0o644)
}

// argumentsParse finds, in a generated field context function, gqlgen's parse of the field's
// arguments, `if fc.Args, err = ec.field_<Object>_<field>_args(ctx, field.ArgumentMap(ec.Variables)); err != nil {`,
// and returns the call and the parse function's name.
func argumentsParse(fn *ast.FuncDecl) (call *ast.CallExpr, parse string, ok bool) {
	if !strings.HasPrefix(fn.Name.Name, "fieldContext_") || fn.Body == nil {
		return nil, "", false
	}
	for _, st := range fn.Body.List {
		ifSt, ok := st.(*ast.IfStmt)
		if !ok {
			continue
		}
		assign, ok := ifSt.Init.(*ast.AssignStmt)
		if !ok || len(assign.Lhs) != 2 || len(assign.Rhs) != 1 || !isSelector(assign.Lhs[0], "fc", "Args") {
			continue
		}
		call, ok := assign.Rhs[0].(*ast.CallExpr)
		if !ok || len(call.Args) != 2 || !isIdent(call.Args[0], "ctx") {
			continue
		}
		name, ok := calledMethod(call)
		if !ok || !strings.HasPrefix(name, "field_") {
			continue
		}
		argMap, ok := call.Args[1].(*ast.CallExpr)
		if !ok || !isSelector(argMap.Fun, "field", "ArgumentMap") || len(argMap.Args) != 1 || !isSelector(argMap.Args[0], "ec", "Variables") {
			continue
		}
		return call, name, true
	}
	return nil, "", false
}

// fieldContextObject returns the object type a generated field context function makes contexts
// for: the Object of its `fc = &graphql.FieldContext{Object: "…", …}`, or "" when it has none.
func fieldContextObject(fn *ast.FuncDecl) string {
	object := ""
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if ok && isIdent(kv.Key, "Object") {
			if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				object = strings.Trim(lit.Value, `"`)
			}
		}
		return object == ""
	})
	return object
}

// scalarRead is a field routeExecution answers with gqlexec.ReadScalar.
type scalarRead struct {
	read      ast.Expr // the value, read from obj (and args)
	valueType ast.Expr
	marshal   string // the marshaler's name, a method of ec
	parse     string // the arguments' parse function, when the field has arguments
}

// scalarField reports whether fn is a generated field function of routeExecution's shape, parsers
// naming the parse function of each field context function whose arguments are routed.
func scalarField(fn *ast.FuncDecl, methods map[string]*ast.FuncDecl, parsers map[string]string, fset *token.FileSet) (scalarRead, bool) {
	var sf scalarRead
	call, ok := onlyReturn(fn.Body).(*ast.CallExpr)
	if !ok || !isSelector(call.Fun, "graphql", "ResolveField") || len(call.Args) != 9 {
		return sf, false
	}
	args := call.Args
	// The field context: gqlgen's for a scalar without arguments, or one whose arguments are
	// parsed once per response.
	fieldContext, ok := calledMethod(funcLitReturn(args[3]))
	if !ok || methods[fieldContext] == nil {
		return sf, false
	}
	sf.parse = parsers[fieldContext]
	if c, ok := onlyReturn(methods[fieldContext].Body).(*ast.CallExpr); sf.parse == "" && (!ok || !isSelector(c.Fun, "graphql", "NewScalarFieldContext")) {
		return sf, false
	}
	// The resolver: return <read from obj>, nil; with arguments, read from fc.Args after
	// fc := graphql.GetFieldContext(ctx).
	resolver, ok := args[4].(*ast.FuncLit)
	if !ok {
		return sf, false
	}
	body := resolver.Body.List
	if sf.parse != "" {
		if len(body) != 2 || !getsFieldContext(body[0]) {
			return sf, false
		}
		body = body[1:]
	}
	if len(body) != 1 {
		return sf, false
	}
	ret, ok := body[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 2 || !isIdent(ret.Results[1], "nil") || !readsObject(ret.Results[0], sf.parse != "") {
		return sf, false
	}
	// No middleware (directives), panics recovered.
	if !isIdent(args[5], "nil") || !isIdent(args[7], "true") {
		return sf, false
	}
	// The marshaler: one that cannot report an error.
	m, ok := args[6].(*ast.FuncLit)
	if !ok || len(m.Type.Params.List) != 3 {
		return sf, false
	}
	sf.marshal, ok = calledMethod(funcLitReturn(m))
	if !ok || methods[sf.marshal] == nil || !safeScalarMarshaler.MatchString(statements(methods[sf.marshal].Body, fset)) {
		return sf, false
	}
	sf.read, sf.valueType = ret.Results[0], m.Type.Params.List[2].Type
	return sf, true
}

// objectReturn finds, in a generated object marshaler (`fields := gqlexec.CollectFields(…)`, as
// route leaves it, then `out := graphql.NewFieldSet(fields)`, …), its final `return out`, and
// returns out.
func objectReturn(fn *ast.FuncDecl) (ast.Expr, bool) {
	if fn.Body == nil || len(fn.Body.List) < 3 {
		return nil, false
	}
	list := fn.Body.List
	collects, ok := list[0].(*ast.AssignStmt)
	if !ok || len(collects.Lhs) != 1 || !isIdent(collects.Lhs[0], "fields") || len(collects.Rhs) != 1 {
		return nil, false
	}
	if c, ok := collects.Rhs[0].(*ast.CallExpr); !ok || !isSelector(c.Fun, "gqlexec", "CollectFields") {
		return nil, false
	}
	makes, ok := list[1].(*ast.AssignStmt)
	if !ok || len(makes.Lhs) != 1 || !isIdent(makes.Lhs[0], "out") || len(makes.Rhs) != 1 {
		return nil, false
	}
	if c, ok := makes.Rhs[0].(*ast.CallExpr); !ok || !isSelector(c.Fun, "graphql", "NewFieldSet") || len(c.Args) != 1 || !isIdent(c.Args[0], "fields") {
		return nil, false
	}
	ret, ok := list[len(list)-1].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 || !isIdent(ret.Results[0], "out") {
		return nil, false
	}
	return ret.Results[0], true
}

// getsFieldContext reports whether st is `fc := graphql.GetFieldContext(ctx)`.
func getsFieldContext(st ast.Stmt) bool {
	a, ok := st.(*ast.AssignStmt)
	if !ok || a.Tok != token.DEFINE || len(a.Lhs) != 1 || len(a.Rhs) != 1 || !isIdent(a.Lhs[0], "fc") {
		return false
	}
	c, ok := a.Rhs[0].(*ast.CallExpr)
	return ok && isSelector(c.Fun, "graphql", "GetFieldContext") && len(c.Args) == 1 && isIdent(c.Args[0], "ctx")
}

// readsObject reports whether e reads a field of obj, or calls one of its methods: obj.A, obj.A.B,
// obj.M(), and with withArgs, obj.M(<expressions of fc.Args[…] and constants>).
func readsObject(e ast.Expr, withArgs bool) bool {
	if c, ok := e.(*ast.CallExpr); ok {
		if len(c.Args) != 0 && !withArgs {
			return false
		}
		for _, a := range c.Args {
			if !readsArgs(a) {
				return false
			}
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

// readsArgs reports whether e uses no variable but fc, and fc only as fc.Args (the resolver's
// arguments as gqlgen passes them: fc.Args["locale"].(*domain.NameLocale)).
func readsArgs(e ast.Expr) bool {
	ok := true
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if isIdent(n.X, "fc") {
				ok = ok && n.Sel.Name == "Args"
				return false
			}
		case *ast.FuncLit, *ast.CallExpr:
			ok = false
		case *ast.Ident:
			// Type names and package names in type assertions are fine; values are not.
			ok = ok && n.Name != "ctx" && n.Name != "obj" && n.Name != "ec"
		}
		return ok
	})
	return ok
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
