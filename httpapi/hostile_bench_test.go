package httpapi

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/skillswap/skillswap/resolvers"
)

// BenchmarkHostileShapes measures what each hostile shape costs the parser, the preflight check
// and gqlparser's validation (what gqlgen runs on a cache miss), at the default token limit.
func BenchmarkHostileShapes(b *testing.B) {
	schema := resolvers.NewSchema(&resolvers.Resolver{}).Schema()
	for _, shape := range hostileShapes {
		q := shape.build(5000)
		b.Run(shape.name+"/parse", func(b *testing.B) {
			for b.Loop() {
				_, _ = parser.ParseQueryWithTokenLimit(&ast.Source{Input: q}, 5000)
			}
		})
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q}, 5000)
		if err != nil {
			b.Logf("%s: %v", shape.name, err)
			continue
		}
		b.Run(shape.name+"/validate", func(b *testing.B) {
			for b.Loop() {
				_ = validator.ValidateWithRules(schema, doc, rules.NewDefaultRules())
			}
		})
	}
}
