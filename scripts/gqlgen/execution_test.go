package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// generatedField is a field function as gqlgen v0.17.98 generates it; the placeholders vary what
// routeExecution must tell apart.
const generatedField = `
func (ec *executionContext) _T_NAME(ctx context.Context, field graphql.CollectedField, obj *domain.T) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_T_NAME(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			RESOLVE
		},
		MIDDLEWARE,
		func(ctx context.Context, selections ast.SelectionSet, v TYPE) graphql.Marshaler {
			return ec.MARSHAL(ctx, selections, v)
		},
		true,
		true,
	)
}
func (ec *executionContext) fieldContext_T_NAME(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	FIELDCONTEXT
}
`

// anchorObject is an object marshaler as gqlgen generates it.
const anchorObject = `
func (ec *executionContext) _Anchor(ctx context.Context, sel ast.SelectionSet, obj *domain.Anchor) graphql.Marshaler {
	fields := gqlexec.CollectFields(ctx, ec.OperationContext, sel, anchorImplementors)

	out := graphql.NewFieldSet(fields)
	deferred := gqlexec.NewDeferredGroup(ctx, fields)
	for i, field := range fields {
		switch field.Name {
		case "anchor":
			out.Values[i] = ec._T_anchor(ctx, field, obj)
		}
	}
	out.Dispatch(ctx)
	if out.Invalids > 0 {
		return graphql.Null
	}
	return out
}
`

// marshalers are generated marshalers: two that cannot report an error, two that can.
const marshalers = `
func (ec *executionContext) marshalNString2string(ctx context.Context, sel ast.SelectionSet, v string) graphql.Marshaler {
	_ = sel
	res := gqlscalar.MarshalString(v)
	if res == graphql.Null {
		graphql.AddInvalidNullFromMarshaler(ctx, "String!")
	}
	return res
}

func (ec *executionContext) marshalOString2ᚖstring(ctx context.Context, sel ast.SelectionSet, v *string) graphql.Marshaler {
	if v == nil {
		return graphql.Null
	}
	_ = sel
	_ = ctx
	res := gqlscalar.MarshalString(*v)
	return res
}

func (ec *executionContext) marshalNFloat2float64(ctx context.Context, sel ast.SelectionSet, v float64) graphql.Marshaler {
	_ = sel
	res := gqlscalar.MarshalFloatContext(v)
	if res == graphql.Null {
		graphql.AddInvalidNullFromMarshaler(ctx, "Float!")
	}
	return graphql.WrapContextMarshaler(ctx, res)
}

func (ec *executionContext) marshalNString2ᚖstring(ctx context.Context, sel ast.SelectionSet, v *string) graphql.Marshaler {
	if v == nil {
		graphql.AddInvalidNullError(ctx, "String!")
		return graphql.Null
	}
	_ = sel
	res := gqlscalar.MarshalString(*v)
	if res == graphql.Null {
		graphql.AddInvalidNullFromMarshaler(ctx, "String!")
	}
	return res
}
`

const scalarFieldContext = `return graphql.NewScalarFieldContext("T", field, false, false, "String")`

// argsFieldContext is a field context function of a field with arguments, on object OBJECT.
const argsFieldContext = `
	fc = &graphql.FieldContext{
		Object:     "OBJECT",
		Field:      field,
		IsMethod:   true,
		IsResolver: false,
	}
	defer func() {
		if r := recover(); r != nil {
			err = ec.Recover(ctx, r)
			ec.Error(ctx, err)
		}
	}()
	ctx = graphql.WithFieldContext(ctx, fc)
	if fc.Args, err = ec.field_OBJECT_NAME_args(ctx, field.ArgumentMap(ec.Variables)); err != nil {
		ec.Error(ctx, err)
		return fc, err
	}
	return fc, nil`

// argsContext is argsFieldContext for the field name of object.
func argsContext(object string) string {
	return strings.NewReplacer("OBJECT", object, "NAME", "name").Replace(argsFieldContext)
}

const readsLocale = `fc := graphql.GetFieldContext(ctx)
			return obj.Name(fc.Args["locale"].(*domain.NameLocale)), nil`

// TestRouteExecutionRewritesOnlyTheShapesItKnows: scalars read from memory go to
// gqlexec.ReadScalar (with their arguments through gqlexec.Args), anything that could fail,
// wait or need its field context stays with gqlgen; arguments below the root are parsed once per
// response, the root's as before; objects are written by gqlexec.Object.
func TestRouteExecutionRewritesOnlyTheShapesItKnows(t *testing.T) {
	t.Parallel()
	field := func(name, resolve, middleware, typ, marshal, fieldContext string) string {
		return strings.NewReplacer("NAME", name, "RESOLVE", resolve, "MIDDLEWARE", middleware, "TYPE", typ,
			"MARSHAL", marshal, "FIELDCONTEXT", fieldContext).Replace(generatedField)
	}
	cases := []struct {
		name   string
		source string
		routed string // the ReadScalar call expected at the top of the field function, "" for none
	}{
		{"a struct field", field("name", "return obj.Name, nil", "nil", "string", "marshalNString2string", scalarFieldContext),
			"gqlexec.ReadScalar(ctx, field, func() string { return obj.Name }, ec.marshalNString2string)"},
		{"a nested struct field", field("city", "return obj.Profile.City, nil", "nil", "*string", "marshalOString2ᚖstring", scalarFieldContext),
			"gqlexec.ReadScalar(ctx, field, func() *string { return obj.Profile.City }, ec.marshalOString2ᚖstring)"},
		{"a method", field("id", "return obj.GlobalID(), nil", "nil", "string", "marshalNString2string", scalarFieldContext),
			"gqlexec.ReadScalar(ctx, field, func() string { return obj.GlobalID() }, ec.marshalNString2string)"},
		{"a method that can fail", field("id", "return obj.GlobalID()", "nil", "string", "marshalNString2string", scalarFieldContext), ""},
		{"a method with arguments", field("name", "return obj.Name(fc.Args[\"locale\"].(*string)), nil", "nil", "string", "marshalNString2string", scalarFieldContext), ""},
		{"a resolver", field("name", "return ec.resolvers.T().Name(ctx, obj)", "nil", "string", "marshalNString2string", scalarFieldContext), ""},
		{"a field with arguments", field("name", "return obj.Name, nil", "nil", "string", "marshalNString2string", "return ec.fieldContextWithArgs(field)"), ""},
		{"a directive", field("name", "return obj.Name, nil", "func(ctx context.Context, next graphql.Resolver) graphql.Resolver { return next }", "string", "marshalNString2string", scalarFieldContext), ""},
		{"a float, which can fail as it is written", field("rate", "return obj.Rate, nil", "nil", "float64", "marshalNFloat2float64", scalarFieldContext), ""},
		{"a non-null pointer, which reports nil", field("name", "return obj.Name, nil", "nil", "*string", "marshalNString2ᚖstring", scalarFieldContext), ""},
		{"a method given the field's arguments", field("name", readsLocale, "nil", "string", "marshalNString2string", argsContext("Skill")),
			"gqlexec.ReadScalar(ctx, field, func() string { return obj.Name(args[\"locale\"].(*domain.NameLocale)) }, ec.marshalNString2string)"},
		{"a method given the context", field("name", "fc := graphql.GetFieldContext(ctx)\n\t\t\treturn obj.Name(ctx), nil", "nil", "string", "marshalNString2string", argsContext("Skill")), ""},
		{"a field of the root", field("name", readsLocale, "nil", "string", "marshalNString2string", argsContext("Query")), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "generated.go")
			// A routed scalar and arguments always, so that the file as a whole has the expected shape.
			anchor := field("anchor", "return obj.Anchor, nil", "nil", "string", "marshalNString2string", scalarFieldContext) +
				"func (ec *executionContext) fieldContext_Anchor_list(ctx context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {" +
				strings.NewReplacer("OBJECT", "Anchor", "NAME", "list").Replace(argsFieldContext) + "\n}\n" + anchorObject
			src := "package graph\n" + anchor + tc.source + marshalers
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := routeExecution(file, []string{"Query", "Mutation"}); err != nil {
				t.Fatal(err)
			}
			out, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(string(out), "gqlexec.ReadScalar("); got != 1+min(len(tc.routed), 1) {
				t.Fatalf("%d fields routed:\n%s", got, out)
			}
			want := "if m, ok := " + tc.routed + "; ok {\n\t\treturn m\n\t}\n\treturn graphql.ResolveField("
			if strings.Contains(tc.source, "field_Skill_name_args") {
				want = "if args, err := gqlexec.Args(ctx, field, ec.Variables, ec.field_Skill_name_args); err == nil {\n\t\tif m, ok := " +
					tc.routed + "; ok {\n\t\t\treturn m\n\t\t}\n\t}\n\treturn graphql.ResolveField("
			}
			if tc.routed != "" && !strings.Contains(string(out), want) {
				t.Fatalf("not routed as %s:\n%s", tc.routed, out)
			}
			if !strings.Contains(string(out), "return gqlexec.Object(out, fields)\n}") {
				t.Fatalf("the object's field set is not routed:\n%s", out)
			}
			// Arguments below the root are parsed once per response, the root's as before.
			routedArgs := strings.Contains(string(out), "if fc.Args, err = gqlexec.Args(ctx, field, ec.Variables, ec.field_Skill_name_args); err != nil {")
			if want := strings.Contains(tc.source, "field_Skill_name_args"); routedArgs != want {
				t.Fatalf("arguments parsed by gqlexec.Args: %v, want %v:\n%s", routedArgs, want, out)
			}
		})
	}
}

func TestRouteExecutionFailsWhenNoFieldHasTheShape(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "generated.go")
	if err := os.WriteFile(file, []byte("package graph\n"+marshalers), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := routeExecution(file, []string{"Query"}); err == nil || !strings.Contains(err.Error(), "template") {
		t.Fatalf("got %v, want an error about gqlgen's template", err)
	}
}
