package httpapi

import (
	"context"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/skillswap/skillswap/resolvers"
)

// BenchmarkHostileShapes measures, for each hostile shape, the parser and the preflight check at
// the default token limit (what a refused document costs), then gqlparser's validation and the
// complexity calculation of the largest variant the preflight accepts (what an accepted one
// costs on a document-cache miss).
func BenchmarkHostileShapes(b *testing.B) {
	es := resolvers.NewSchema(&resolvers.Resolver{})
	limits := defaultShapeLimits(15, 30)
	for _, shape := range hostileShapes {
		q := shape.build(5000)
		b.Run(shape.name+"/parse+preflight", func(b *testing.B) {
			p := newPreflight(limits, 5000, 131072, newDocumentCache())
			for b.Loop() {
				_, _ = p.check(q)
			}
		})
		// The largest accepted variant: binary search on the shape's size.
		lo, hi := 0, 5000
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if _, err := newPreflight(limits, 5000, 131072, newDocumentCache()).check(shape.build(mid)); err == nil {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		accepted := shape.build(lo)
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: accepted}, 5000)
		if err != nil || lo == 0 {
			continue
		}
		b.Run(shape.name+"/accepted-validate", func(b *testing.B) {
			b.ReportMetric(float64(lo), "size")
			for b.Loop() {
				_ = validator.ValidateWithRules(es.Schema(), doc, rules.NewDefaultRules())
			}
		})
		if len(validator.ValidateWithRules(es.Schema(), doc, rules.NewDefaultRules())) == 0 {
			b.Run(shape.name+"/accepted-complexity", func(b *testing.B) {
				for b.Loop() {
					_ = Complexity(context.Background(), es, doc.Operations[0], nil)
				}
			})
		}
	}
}
