// Package schemasnapshot prints a GraphQL schema as canonical SDL: the text of
// schema.snapshot.graphql, which scripts/schema-diff.sh compares across commits with
// graphql-inspector to find breaking API changes.
//
// The output depends only on what the schema means, never on how its sources are laid out:
// types, directive definitions, fields, arguments, input fields, enum values, implemented
// interfaces, union members and directive locations are sorted by name (like graphql-js
// lexicographicSortSchema), so splitting schema.graphqls into several files or reordering
// declarations leaves the snapshot unchanged. Applied directives keep their declared order
// because gqlgen runs a field's directives in that order. The printer is our own rather than
// gqlparser's formatter so that a gqlparser upgrade cannot rewrite the snapshot on its own.
package schemasnapshot

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// hiddenDirectives are gqlgen's code-generation directives. They shape the Go code, not the
// API, so neither their definitions nor their uses belong in the snapshot.
var hiddenDirectives = map[string]bool{
	"goModel":      true,
	"goField":      true,
	"goTag":        true,
	"goExtraField": true,
	"goEnum":       true,
}

// Print returns the canonical SDL of schema. Built-in scalars, introspection types and the
// definitions of the spec's directives (@skip, @include, @deprecated, @specifiedBy, @oneOf,
// @defer) are left out, as graphql-js printSchema does; uses of them, such as @deprecated
// on a field, are printed. The result parses with graphql-js buildSchema.
func Print(schema *ast.Schema) string {
	p := &printer{}
	p.schemaDefinition(schema)

	for _, name := range sortedKeys(schema.Directives) {
		def := schema.Directives[name]
		if isBuiltinDirective(def) || hiddenDirectives[name] {
			continue
		}
		p.block()
		p.directiveDefinition(def)
	}
	for _, name := range sortedKeys(schema.Types) {
		def := schema.Types[name]
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		p.block()
		p.definition(def)
	}
	return p.b.String()
}

type printer struct {
	b strings.Builder
}

// block separates top-level definitions with one blank line.
func (p *printer) block() {
	if p.b.Len() > 0 {
		p.b.WriteString("\n")
	}
}

func (p *printer) schemaDefinition(s *ast.Schema) {
	if s.Query == nil && s.Mutation == nil && s.Subscription == nil {
		return
	}
	p.description(s.Description, "", false)
	p.b.WriteString("schema")
	p.directives(s.SchemaDirectives)
	p.b.WriteString(" {\n")
	for _, op := range []struct {
		name string
		def  *ast.Definition
	}{{"query", s.Query}, {"mutation", s.Mutation}, {"subscription", s.Subscription}} {
		if op.def != nil {
			p.b.WriteString("  " + op.name + ": " + op.def.Name + "\n")
		}
	}
	p.b.WriteString("}\n")
}

func (p *printer) directiveDefinition(d *ast.DirectiveDefinition) {
	p.description(d.Description, "", false)
	p.b.WriteString("directive @" + d.Name)
	p.arguments(d.Arguments, "")
	if d.IsRepeatable {
		p.b.WriteString(" repeatable")
	}
	locations := make([]string, len(d.Locations))
	for i, l := range d.Locations {
		locations[i] = string(l)
	}
	slices.Sort(locations)
	p.b.WriteString(" on " + strings.Join(locations, " | ") + "\n")
}

func (p *printer) definition(def *ast.Definition) {
	p.description(def.Description, "", false)
	switch def.Kind {
	case ast.Scalar:
		p.b.WriteString("scalar " + def.Name)
		p.directives(def.Directives)
		p.b.WriteString("\n")
	case ast.Object, ast.Interface:
		keyword := "type "
		if def.Kind == ast.Interface {
			keyword = "interface "
		}
		p.b.WriteString(keyword + def.Name)
		if len(def.Interfaces) > 0 {
			p.b.WriteString(" implements " + strings.Join(sorted(def.Interfaces), " & "))
		}
		p.directives(def.Directives)
		p.fields(def.Fields)
	case ast.Union:
		p.b.WriteString("union " + def.Name)
		p.directives(def.Directives)
		if len(def.Types) > 0 {
			p.b.WriteString(" = " + strings.Join(sorted(def.Types), " | "))
		}
		p.b.WriteString("\n")
	case ast.Enum:
		p.b.WriteString("enum " + def.Name)
		p.directives(def.Directives)
		values := slices.Clone(def.EnumValues)
		slices.SortFunc(values, func(a, b *ast.EnumValueDefinition) int { return strings.Compare(a.Name, b.Name) })
		p.b.WriteString(" {\n")
		for i, v := range values {
			p.description(v.Description, "  ", i > 0)
			p.b.WriteString("  " + v.Name)
			p.directives(v.Directives)
			p.b.WriteString("\n")
		}
		p.b.WriteString("}\n")
	case ast.InputObject:
		p.b.WriteString("input " + def.Name)
		p.directives(def.Directives)
		p.fields(def.Fields)
	}
}

// fields prints the body of an object, interface or input type; input fields are
// ast.FieldDefinitions with a DefaultValue in gqlparser.
func (p *printer) fields(list ast.FieldList) {
	var fields ast.FieldList
	for _, f := range list {
		// gqlparser adds __typename, __schema and __type to the root types itself.
		if !strings.HasPrefix(f.Name, "__") {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		p.b.WriteString("\n")
		return
	}
	slices.SortFunc(fields, func(a, b *ast.FieldDefinition) int { return strings.Compare(a.Name, b.Name) })
	p.b.WriteString(" {\n")
	for i, f := range fields {
		p.description(f.Description, "  ", i > 0)
		p.b.WriteString("  " + f.Name)
		p.arguments(f.Arguments, "  ")
		p.b.WriteString(": " + f.Type.String())
		if f.DefaultValue != nil {
			p.b.WriteString(" = " + value(f.DefaultValue))
		}
		p.directives(f.Directives)
		p.b.WriteString("\n")
	}
	p.b.WriteString("}\n")
}

// arguments prints an argument list on one line, or one argument per line when any of them
// has a description (as graphql-js does), indented one level deeper than indent.
func (p *printer) arguments(list ast.ArgumentDefinitionList, indent string) {
	if len(list) == 0 {
		return
	}
	args := slices.Clone(list)
	slices.SortFunc(args, func(a, b *ast.ArgumentDefinition) int { return strings.Compare(a.Name, b.Name) })
	multiline := slices.ContainsFunc(args, func(a *ast.ArgumentDefinition) bool { return a.Description != "" })
	p.b.WriteString("(")
	for i, a := range args {
		if multiline {
			p.b.WriteString("\n")
			p.description(a.Description, indent+"  ", i > 0)
			p.b.WriteString(indent + "  ")
		} else if i > 0 {
			p.b.WriteString(", ")
		}
		p.b.WriteString(a.Name + ": " + a.Type.String())
		if a.DefaultValue != nil {
			p.b.WriteString(" = " + value(a.DefaultValue))
		}
		p.directives(a.Directives)
	}
	if multiline {
		p.b.WriteString("\n" + indent)
	}
	p.b.WriteString(")")
}

// directives prints applied directives in their declared order (gqlgen chains a field's
// directives in that order, so it is meaningful); their arguments are sorted by name.
func (p *printer) directives(list ast.DirectiveList) {
	for _, d := range list {
		if hiddenDirectives[d.Name] {
			continue
		}
		p.b.WriteString(" @" + d.Name)
		if len(d.Arguments) == 0 {
			continue
		}
		args := slices.Clone(d.Arguments)
		slices.SortFunc(args, func(a, b *ast.Argument) int { return strings.Compare(a.Name, b.Name) })
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = a.Name + ": " + value(a.Value)
		}
		p.b.WriteString("(" + strings.Join(parts, ", ") + ")")
	}
}

// description prints s before a definition at indent. Inside a block every described member
// but the first gets a blank line before it (blankBefore), as graphql-js prints, for
// readability.
func (p *printer) description(s, indent string, blankBefore bool) {
	if s == "" {
		return
	}
	if blankBefore {
		p.b.WriteString("\n")
	}
	if !strings.Contains(s, "\n") || !blockStringSafe(s) {
		p.b.WriteString(indent + quote(s) + "\n")
		return
	}
	p.b.WriteString(indent + `"""` + "\n")
	for line := range strings.SplitSeq(s, "\n") {
		if line == "" {
			p.b.WriteString("\n")
			continue
		}
		p.b.WriteString(indent + strings.ReplaceAll(line, `"""`, `\"""`) + "\n")
	}
	p.b.WriteString(indent + `"""` + "\n")
}

// blockStringSafe reports whether s, printed as an indented block string, reads back as s.
// A block string's value drops the common indentation of its lines and its leading and
// trailing blank lines, and treats \r as a line break, so strings that would lose any of
// that (or hold control characters, which a block string cannot escape) are quoted instead.
func blockStringSafe(s string) bool {
	for _, c := range s {
		if c < 0x20 && c != '\n' && c != '\t' {
			return false
		}
	}
	lines := strings.Split(s, "\n")
	if strings.TrimSpace(lines[0]) == "" || strings.TrimSpace(lines[len(lines)-1]) == "" {
		return false
	}
	for _, line := range lines {
		if line != "" && line[0] != ' ' && line[0] != '\t' {
			return true
		}
	}
	return false
}

// value prints a default value or directive argument with graphql-js spacing. Object fields
// are sorted by name: their order carries no meaning in GraphQL.
func value(v *ast.Value) string {
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		return quote(v.Raw)
	case ast.ListValue:
		parts := make([]string, len(v.Children))
		for i, c := range v.Children {
			parts[i] = value(c.Value)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case ast.ObjectValue:
		children := slices.Clone(v.Children)
		slices.SortFunc(children, func(a, b *ast.ChildValue) int { return strings.Compare(a.Name, b.Name) })
		parts := make([]string, len(children))
		for i, c := range children {
			parts[i] = c.Name + ": " + value(c.Value)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	default:
		return v.String()
	}
}

// quote returns s as a GraphQL string literal; gqlparser's Value.String escapes exactly as
// graphql-js printString does.
func quote(s string) string {
	return (&ast.Value{Kind: ast.StringValue, Raw: s}).String()
}

// isBuiltinDirective reports whether d comes from gqlparser's prelude (the spec's directives).
func isBuiltinDirective(d *ast.DirectiveDefinition) bool {
	return d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// header opens schema.snapshot.graphql; SDL comments are ignored by every GraphQL parser.
const header = `# Generated by ` + "`make schema-snapshot`" + ` from the schema the server executes: do not edit.
# Types, fields, arguments and enum values are sorted by name, whatever the order of the
# .graphqls sources. scripts/schema-diff.sh checks its history for breaking changes.

`

// Snapshot returns the content of schema.snapshot.graphql: a header comment, then Print.
func Snapshot(schema *ast.Schema) string {
	return header + Print(schema)
}
