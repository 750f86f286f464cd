package fuzzapi_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// gen turns the fuzzer's bytes into a document and its variables, choosing operations, fields
// and arguments from the schema, so mutations of the bytes explore the API rather than the parser.
type gen struct {
	schema *ast.Schema
	data   []byte
	pos    int
	ids    []string // global ids of seeded objects, so some arguments hit real rows
	// signedIn leaves out the mutations that would end the fuzzer's own session.
	signedIn bool

	vars    map[string]any
	varDefs []string
}

// enumLit is an enum value: printed bare in a document, as a string in variables.
type enumLit string

func (g *gen) next() byte {
	if g.pos >= len(g.data) {
		g.pos++
		return byte(g.pos * 31) // keep going deterministically after the bytes run out
	}
	b := g.data[g.pos]
	g.pos++
	return b
}

func (g *gen) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(uint16(g.next())<<8|uint16(g.next())) % n
}

func (g *gen) chance(outOf int) bool { return g.intn(outOf) == 0 }

// Values chosen to break range checks, arithmetic and text handling.
var (
	interestingInts = []any{0, 1, -1, 2, 20, 100, 101, 240, 241, 1000000, 1000001, math.MaxInt32, math.MinInt32,
		json.Number("2147483648"), json.Number("-2147483649"), json.Number("9223372036854775807"),
		json.Number("99999999999999999999"), 1.5, "12", true, nil}
	interestingFloats = []any{0.0, 1.0, -1.0, 48.85, 2.35, 90.0, -90.0, 90.0001, 180.0, -180.0001, 500.0, 500.01, 20040.0,
		json.Number("1e-320"), json.Number("-1e-320"), json.Number("1e308"), json.Number("1e400"), "NaN", "Infinity", "-Inf", 1e-13, "1.5", nil}
	interestingDates = []any{"2030-01-01T10:00:00Z", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
		"1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59",
		"2026-02-30T10:00:00Z", "2026-01-01T00:00:00.999999999999Z", "tomorrow", "", 1700000000, nil}
	interestingStrings = []string{"", " ", "a", "x\x00y", "\x1b[31m", "\ufffe", "\U0010ffff", "caf\xe9", "\xed\xa0\x80",
		"'; DROP TABLE users; --", "%s%n%x", "${jndi:ldap://x}", "<script>alert(1)</script>", "../../etc/passwd",
		"fr", "EN", "EUR", "eur", "XXX", "09:00", "24:00", "23:59", "25:61", "Europe/Paris", "Mars/Olympus",
		"https://meet.example.com/x", "javascript:alert(1)", "http://127.0.0.1:55432/", "a@b.c", "admin@example.com",
		"correct-horse-battery-staple-42", "0190a0a0-0000-7000-8000-000000000000", "not-a-uuid", "usr_", "skl_x",
		"eyJhbGciOiJub25lIn0.e30.", "Bearer x", strings.Repeat("é", 300), strings.Repeat("a", 2100),
		"\u202e\u200b", "🎸🎸", "null", "{}", "[]", "\\", "\"", "pot", "guitare"}
)

func (g *gen) pick(vals []any) any { return vals[g.intn(len(vals))] }

// text is a hostile string: a known one, bytes straight from the input, or both joined.
func (g *gen) text() string {
	switch g.intn(6) {
	case 0:
		n := g.intn(24)
		b := make([]byte, n)
		for i := range b {
			b[i] = g.next()
		}
		return string(b)
	case 1:
		return interestingStrings[g.intn(len(interestingStrings))] + interestingStrings[g.intn(len(interestingStrings))]
	default:
		return interestingStrings[g.intn(len(interestingStrings))]
	}
}

// value returns a value for typ, usually of that type, sometimes not (nulls, wrong kinds).
func (g *gen) value(typ *ast.Type, depth int) any {
	if g.chance(40) {
		return nil
	}
	if typ.Elem != nil {
		n := g.intn(4)
		if g.chance(40) {
			n = 30
		}
		list := make([]any, n)
		for i := range list {
			list[i] = g.value(typ.Elem, depth+1)
		}
		return list
	}
	def := g.schema.Types[typ.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		if g.chance(30) {
			return enumLit("NOT_A_VALUE")
		}
		return enumLit(def.EnumValues[g.intn(len(def.EnumValues))].Name)
	case ast.InputObject:
		obj := map[string]any{}
		if depth > 4 {
			return obj
		}
		for _, f := range def.Fields {
			if f.Type.NonNull || g.chance(3) {
				obj[f.Name] = g.value(f.Type, depth+1)
			}
		}
		if g.chance(40) {
			obj["notAField"] = 1
		}
		return obj
	}
	if !g.chance(6) {
		return g.plausible(def.Name)
	}
	switch def.Name {
	case "Int":
		if g.chance(3) {
			return int(int32(uint32(g.next())<<24 | uint32(g.next())<<16 | uint32(g.next())<<8 | uint32(g.next())))
		}
		return g.pick(interestingInts)
	case "Float":
		return g.pick(interestingFloats)
	case "Boolean":
		return g.pick([]any{"true", 1, nil})
	case "DateTime":
		if g.chance(3) {
			return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:00Z", g.intn(10000), g.intn(14), g.intn(33), g.intn(25), g.intn(61))
		}
		return g.pick(interestingDates)
	case "ID":
		return g.text()
	default:
		return g.text()
	}
}

// plausibleStrings are values a real client sends to the schema's String fields, so most
// operations get past validation and the hostile value among them reaches the service.
var plausibleStrings = []string{"hello", "Pottery", "fr", "en", "EUR", "09:00", "18:00", "Europe/Paris",
	"https://meet.example.com/x", "Café Oberkampf", "correct-horse-battery-staple-42", "someone@example.com",
	"0190a0a0-0000-7000-8000-000000000000", "pot", "a reason", "A Member"}

// plausible is a valid value of a scalar: most arguments of a document get one, so the
// operation reaches the service with the one hostile value the fuzzer chose.
func (g *gen) plausible(scalar string) any {
	switch scalar {
	case "Int":
		return 1 + g.intn(10)
	case "Float":
		return float64(g.intn(9000))/100 + 0.5
	case "Boolean":
		return g.chance(2)
	case "DateTime":
		return time.Now().Add(time.Duration(2+g.intn(200)) * time.Hour).UTC().Format(time.RFC3339)
	case "ID":
		if len(g.ids) > 0 {
			return g.ids[g.intn(len(g.ids))]
		}
	}
	return plausibleStrings[g.intn(len(plausibleStrings))]
}

// literal prints v as a GraphQL value.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case enumLit:
		return string(v)
	case string:
		b, _ := json.Marshal(v) // a JSON string is a GraphQL string (invalid UTF-8 becomes U+FFFD)
		return string(b)
	case json.Number:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = literal(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		parts := make([]string, 0, len(v))
		for k, e := range v {
			parts = append(parts, k+": "+literal(e))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// jsonValue converts enum literals to strings for the variables.
func jsonValue(v any) any {
	switch v := v.(type) {
	case enumLit:
		return string(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonValue(e)
		}
		return out
	}
	return v
}

// args prints the arguments of field: each a literal or a variable, some left out, sometimes an
// unknown one.
func (g *gen) args(field *ast.FieldDefinition, depth int) string {
	var parts []string
	for _, a := range field.Arguments {
		if !a.Type.NonNull && g.chance(2) {
			continue
		}
		v := g.value(a.Type, 0)
		if g.chance(2) {
			name := fmt.Sprintf("v%d", len(g.varDefs))
			typ := a.Type.String()
			if g.chance(40) { // a variable declared with another type
				typ = []string{"Int", "String!", "[ID!]", "Float", "DateTime"}[g.intn(5)]
			}
			g.varDefs = append(g.varDefs, "$"+name+": "+typ)
			g.vars[name] = jsonValue(v)
			parts = append(parts, a.Name+": $"+name)
		} else {
			parts = append(parts, a.Name+": "+literal(v))
		}
	}
	if depth == 0 && g.chance(60) {
		parts = append(parts, "bogus: 1")
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// selection prints a selection set on the named type.
func (g *gen) selection(typeName string, depth int) string {
	def := g.schema.Types[typeName]
	if def == nil || (def.Kind != ast.Object && def.Kind != ast.Interface && def.Kind != ast.Union) {
		return ""
	}
	var parts []string
	if def.Kind != ast.Object {
		parts = append(parts, "__typename")
		for _, pt := range g.schema.GetPossibleTypes(def) {
			if g.chance(2) && depth < 4 {
				if sel := g.selection(pt.Name, depth+1); sel != "" {
					parts = append(parts, "... on "+pt.Name+" "+sel)
				}
			}
		}
	}
	if def.Kind != ast.Union && len(def.Fields) > 0 {
		n := 1 + g.intn(4)
		for range n {
			f := def.Fields[g.intn(len(def.Fields))]
			parts = append(parts, g.field(f, depth))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "__typename")
	}
	return "{ " + strings.Join(parts, " ") + " }"
}

func (g *gen) field(f *ast.FieldDefinition, depth int) string {
	s := ""
	if g.chance(8) {
		s = fmt.Sprintf("a%d: ", g.intn(100))
	}
	s += f.Name + g.args(f, depth)
	inner := f.Type
	for inner.Elem != nil {
		inner = inner.Elem
	}
	if def := g.schema.Types[inner.NamedType]; def != nil && def.Kind != ast.Scalar && def.Kind != ast.Enum {
		if depth >= 4 {
			return s + " { __typename }"
		}
		s += " " + g.selection(inner.NamedType, depth+1)
	}
	return s
}

// sessionEnders are the mutations a signed-in fuzz run must not send: they would revoke the
// fuzzer's own token (or its roles) and leave every later input signed out.
var sessionEnders = []string{"logOut", "logOutEverywhere", "revokeSession", "setUserRoles"}

// document returns an operation and its variables.
func (g *gen) document() (string, map[string]any) {
	g.vars, g.varDefs = map[string]any{}, nil
	op, root := "query", g.schema.Query
	switch g.intn(5) {
	case 0, 1:
		op, root = "mutation", g.schema.Mutation
	case 2:
		if g.chance(4) {
			op, root = "subscription", g.schema.Subscription
		}
	}
	var fields []string
	for range 1 + g.intn(2) {
		f := root.Fields[g.intn(len(root.Fields))]
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		if g.signedIn && op == "mutation" && slices.Contains(sessionEnders, f.Name) {
			continue
		}
		fields = append(fields, g.field(f, 0))
	}
	if len(fields) == 0 {
		fields = append(fields, "__typename")
	}
	head := op
	if len(g.varDefs) > 0 {
		head += "(" + strings.Join(g.varDefs, ", ") + ")"
	}
	return head + " { " + strings.Join(fields, " ") + " }", g.vars
}
