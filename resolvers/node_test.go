package resolvers

import (
	"slices"
	"sort"
	"testing"

	"github.com/skillswap/skillswap/graph"
)

// TestEveryNodeTypeIsRegistered keeps node(id:) whole: every GraphQL type that implements Node
// has exactly one line in the registry, and the registry names no type the schema lacks.
func TestEveryNodeTypeIsRegistered(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var implementers []string
	for _, def := range schema.PossibleTypes["Node"] {
		implementers = append(implementers, def.Name)
	}
	var registered []string
	for prefix, typ := range (&Resolver{}).nodeTypes() {
		if typ.load == nil {
			t.Errorf("prefix %q (%s) has no loader", prefix, typ.typeName)
		}
		if slices.Contains(registered, typ.typeName) {
			t.Errorf("type %s is registered under two prefixes", typ.typeName)
		}
		registered = append(registered, typ.typeName)
	}
	sort.Strings(implementers)
	sort.Strings(registered)
	if !slices.Equal(implementers, registered) {
		t.Fatalf("Node implementers %v, registry %v: add the missing type to nodeTypes in node.go", implementers, registered)
	}
}
