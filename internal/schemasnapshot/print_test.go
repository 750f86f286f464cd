package schemasnapshot

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func load(t *testing.T, sources ...string) *ast.Schema {
	t.Helper()
	var srcs []*ast.Source
	for i, s := range sources {
		srcs = append(srcs, &ast.Source{Name: "s" + string(rune('0'+i)) + ".graphqls", Input: s})
	}
	schema, err := gqlparser.LoadSchema(srcs...)
	if err != nil {
		t.Fatalf("load schema: %v", err)
	}
	return schema
}

func TestPrint(t *testing.T) {
	tests := []struct {
		name    string
		sources []string
		want    string
	}{
		{
			name: "types, fields, arguments, enum values, interfaces, union members and locations sorted",
			sources: []string{`
directive @tag(name: String!) repeatable on OBJECT | FIELD_DEFINITION | ENUM
type Query { zeta(b: Int, a: Int): Zoo  alpha: [Animal!]! pets: Pet }
interface Named { name: String! }
interface Animal { name: String! }
type Zoo implements Named & Animal { name: String! }
type Cat implements Named & Animal { name: String! }
union Pet = Zoo | Cat
enum Color { RED GREEN BLUE }
`},
			want: `schema {
  query: Query
}

directive @tag(name: String!) repeatable on ENUM | FIELD_DEFINITION | OBJECT

interface Animal {
  name: String!
}

type Cat implements Animal & Named {
  name: String!
}

enum Color {
  BLUE
  GREEN
  RED
}

interface Named {
  name: String!
}

union Pet = Cat | Zoo

type Query {
  alpha: [Animal!]!
  pets: Pet
  zeta(a: Int, b: Int): Zoo
}

type Zoo implements Animal & Named {
  name: String!
}
`,
		},
		{
			name: "descriptions: one line quoted, several lines as a block, escapes kept",
			sources: []string{`
"""
Root.
Second line with a "quote", a \backslash and \""" three quotes.
"""
type Query {
  "Say \"hi\" \\ twice."
  a: Int
  "  indented on every line\n  so a block string would lose it"
  b: Int
  c: Int
}
`},
			want: `schema {
  query: Query
}

"""
Root.
Second line with a "quote", a \backslash and \""" three quotes.
"""
type Query {
  "Say \"hi\" \\ twice."
  a: Int

  "  indented on every line\n  so a block string would lose it"
  b: Int
  c: Int
}
`,
		},
		{
			name: "deprecations and default values",
			sources: []string{`
type Query {
  old: Int @deprecated
  legacy(limit: Int = 10, tags: [String!] = ["a", "b"], filter: Filter = {q: "x", max: 3}): Int @deprecated(reason: "Use \"modern\".")
  modern(order: Order = DESC): Int
}
input Filter { q: String = "tab\there" max: Int = 5 old: Int @deprecated(reason: "gone") }
enum Order { DESC ASC @deprecated(reason: "no") }
`},
			want: `schema {
  query: Query
}

input Filter {
  max: Int = 5
  old: Int @deprecated(reason: "gone")
  q: String = "tab\there"
}

enum Order {
  ASC @deprecated(reason: "no")
  DESC
}

type Query {
  legacy(filter: Filter = {max: 3, q: "x"}, limit: Int = 10, tags: [String!] = ["a", "b"]): Int @deprecated(reason: "Use \"modern\".")
  modern(order: Order = DESC): Int
  old: Int @deprecated
}
`,
		},
		{
			name: "described arguments on their own lines; applied directives keep their order",
			sources: []string{`
"Needs a role."
directive @hasRole("The role." role: String!, why: String) on FIELD_DEFINITION
directive @auth on FIELD_DEFINITION
type Query {
  "Secret."
  secret(
    "Second."
    b: Int
    a: Int = 1
  ): String @hasRole(why: "audit", role: "ADMIN") @auth
}
`},
			want: `schema {
  query: Query
}

directive @auth on FIELD_DEFINITION

"Needs a role."
directive @hasRole(
  "The role."
  role: String!
  why: String
) on FIELD_DEFINITION

type Query {
  "Secret."
  secret(
    a: Int = 1

    "Second."
    b: Int
  ): String @hasRole(role: "ADMIN", why: "audit") @auth
}
`,
		},
		{
			name: "extensions across files print like one declaration; mutation and subscription roots",
			sources: []string{
				`type Query { b: Int } type Mutation { y: Int } type Subscription { s: Int }`,
				`extend type Query { a: Int } extend type Mutation { x: Int }`,
			},
			want: `schema {
  query: Query
  mutation: Mutation
  subscription: Subscription
}

type Mutation {
  x: Int
  y: Int
}

type Query {
  a: Int
  b: Int
}

type Subscription {
  s: Int
}
`,
		},
		{
			name: "gqlgen directives and built-ins left out; custom scalars kept",
			sources: []string{`
directive @goField(forceResolver: Boolean, name: String) on INPUT_FIELD_DEFINITION | FIELD_DEFINITION
directive @goModel(model: String) on OBJECT | INPUT_OBJECT | SCALAR | ENUM | INTERFACE | UNION
"An instant."
scalar DateTime @specifiedBy(url: "https://example.com/rfc3339")
type Query @goModel(model: "x.Query") { at: DateTime @goField(forceResolver: true) n: String }
`},
			want: `schema {
  query: Query
}

"An instant."
scalar DateTime @specifiedBy(url: "https://example.com/rfc3339")

type Query {
  at: DateTime
  n: String
}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Print(load(t, tt.sources...))
			if got != tt.want {
				t.Errorf("Print() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestPrintRoundTrip checks that the printed SDL parses back to the same schema: every
// description survives (whichever string form the printer picked) and printing the reparsed
// schema gives the same text.
func TestPrintRoundTrip(t *testing.T) {
	descriptions := []string{
		`plain`,
		`ends with a quote "`,
		"two\nlines",
		"  leading spaces\non the first line",
		"\nleading blank line",
		"trailing blank line\n",
		"blank\n\nline inside",
		"  all\n  indented",
		"first\n  second indented",
		`back\slash and """ triple quotes` + "\nand a second line",
		"tab\tinside\nand a line",
		"carriage\r\nreturn",
		"unicode é ✓\nsecond",
	}
	var src strings.Builder
	src.WriteString("type Query {\n")
	for i, d := range descriptions {
		src.WriteString("  " + quote(d) + "\n  f" + string(rune('a'+i)) + ": Int\n")
	}
	src.WriteString("}\n")

	first := Print(load(t, src.String()))
	reparsed := load(t, first)
	for i, d := range descriptions {
		name := "f" + string(rune('a'+i))
		if got := reparsed.Query.Fields.ForName(name).Description; got != d {
			t.Errorf("description of %s after a round trip = %q, want %q\nprinted:\n%s", name, got, d, first)
		}
	}
	if second := Print(reparsed); second != first {
		t.Errorf("printing the reparsed schema changed it:\nfirst:\n%s\nsecond:\n%s", first, second)
	}
}
