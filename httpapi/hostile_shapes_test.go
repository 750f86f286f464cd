package httpapi

import (
	"fmt"
	"strings"
)

// hostileShape is a document built to make parsing or validation expensive, at about tokens
// lexical tokens (the parser's MAX_QUERY_TOKENS).
type hostileShape struct {
	name  string
	build func(tokens int) string
}

// hostileShapes are the shapes tried against the parser and validator (BenchmarkHostileShapes)
// and refused or accepted cheaply by the preflight check (TestPreflightRefusesHostileShapes).
var hostileShapes = []hostileShape{
	{"repeated scalar field", func(n int) string { // quadratic in OverlappingFieldsCanBeMerged
		return "{" + strings.Repeat(" __typename", n-2) + " }"
	}},
	{"repeated object field", func(n int) string {
		return "{" + strings.Repeat(" skillCategories { id }", (n-2)/4) + " }"
	}},
	{"repeated field with differing arguments", func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range (n - 2) / 9 {
			fmt.Fprintf(&b, " skill(slug: \"s%d\") { id }", i)
		}
		b.WriteString(" }")
		return b.String()
	}},
	{"same fragment spread many times", func(n int) string {
		return "{" + strings.Repeat(" ...F", (n-12)/2) + " } fragment F on Query { skillCategories { id } }"
	}},
	{"many fragments on one field", func(n int) string {
		var b strings.Builder
		k := (n - 2) / 12
		b.WriteString("{")
		for i := range k {
			fmt.Fprintf(&b, " ...F%d", i)
		}
		b.WriteString(" }")
		for i := range k {
			fmt.Fprintf(&b, " fragment F%d on Query { skillCategories { id } }", i)
		}
		return b.String()
	}},
	{"fragments doubling per level", func(n int) string { // 2^k expanded fields from k fragments
		var b strings.Builder
		b.WriteString("{ skillCategories { ...F0 } }")
		for i := range 14 {
			fmt.Fprintf(&b, " fragment F%d on SkillCategory { skills { category { ...F%d } } a%d: skills { category { ...F%d } } }", i, i+1, i, i+1)
		}
		b.WriteString(" fragment F14 on SkillCategory { id }")
		return b.String()
	}},
	{"deep selection", func(n int) string {
		k := (n - 4) / 6
		return "{ skillCategories" + strings.Repeat(" { skills { category", k) + " { id }" + strings.Repeat(" } }", k) + " }"
	}},
	{"many variables", func(n int) string {
		var b strings.Builder
		b.WriteString("query(")
		for i := range (n - 8) / 4 {
			fmt.Fprintf(&b, "$v%d: Int ", i)
		}
		b.WriteString(") { __typename }")
		return b.String()
	}},
	{"many directives", func(n int) string {
		return "{ __typename" + strings.Repeat(" @skip(if: false)", (n-4)/6) + " }"
	}},
	{"many directives on many fields", func(n int) string {
		return "{" + strings.Repeat(" __typename @include(if: true)", (n-2)/7) + " }"
	}},
	{"long string", func(int) string {
		return `{ searchSkills(query: "` + strings.Repeat("x", 900_000) + `") { totalCount } }`
	}},
	{"many operations", func(n int) string {
		var b strings.Builder
		for i := range n / 4 {
			fmt.Fprintf(&b, "query Q%d { __typename } ", i)
		}
		return b.String()
	}},
}
