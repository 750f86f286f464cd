package resolvers

import (
	"context"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestEveryListFieldIsPriced walks the executable schema: every field returning a list must cost
// a multiple of its selection (its own complexity function or a declared bound), and every field
// returning a connection must have a complexity function reading its `first`. A new list field
// fails here until it is priced.
func TestEveryListFieldIsPriced(t *testing.T) {
	t.Parallel()
	es := NewSchema(&Resolver{})
	inner := es.(pricedSchema).ExecutableSchema
	schema := es.Schema()
	const child = 7
	seen := map[string]bool{}
	for typeName, def := range schema.Types {
		if strings.HasPrefix(typeName, "__") || (def.Kind != ast.Object && def.Kind != ast.Interface) {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			name := typeName + "." + f.Name
			_, explicit := inner.Complexity(context.Background(), typeName, f.Name, child, map[string]any{})
			_, declared := listBounds[name]
			if declared {
				seen[name] = true
			}
			switch listKind(typeName, f) {
			case plainList:
				if !explicit && !declared {
					t.Errorf("%s returns %s: declare its bound in listBounds (or give it a complexity function)", name, f.Type)
					continue
				}
				if explicit && declared {
					t.Errorf("%s has both a complexity function and a listBounds entry", name)
				}
				bound := 2
				if declared {
					bound = listBounds[name].size(schema)
				}
				if c, _ := es.Complexity(context.Background(), typeName, f.Name, child, map[string]any{}); c < bound*child {
					t.Errorf("%s costs %d with a selection of %d: not multiplied by its bound %d", name, c, child, bound)
				}
			case connection:
				if !explicit {
					t.Errorf("%s returns the connection %s without a complexity function (use listCost)", name, f.Type)
				}
				first := 50
				if c, _ := es.Complexity(context.Background(), typeName, f.Name, child, map[string]any{"first": first}); c < first*child {
					t.Errorf("%s(first: %d) costs %d with a selection of %d", name, first, c, child)
				}
			case edges:
				if c, _ := es.Complexity(context.Background(), typeName, f.Name, child, map[string]any{}); c > child+1 {
					t.Errorf("%s costs %d: a connection's edges are priced by the field returning it", name, c)
				}
			}
		}
	}
	for name, b := range listBounds {
		if !seen[name] {
			t.Errorf("listBounds declares %s, which is not a field of the schema", name)
		}
		if b.size(schema) <= 0 || (b.enum != "" && schema.Types[b.enum] == nil) {
			t.Errorf("listBounds[%s] has no usable size", name)
		}
	}
}

// TestNestedListsMultiply: the price of a list inside a list is the product of their bounds.
func TestNestedListsMultiply(t *testing.T) {
	t.Parallel()
	es := NewSchema(&Resolver{})
	ctx := context.Background()
	synonyms, _ := es.Complexity(ctx, "Skill", "synonyms", 1, nil)
	skills, _ := es.Complexity(ctx, "SkillCategory", "skills", synonyms+1, nil) // + id
	categories, _ := es.Complexity(ctx, "Query", "skillCategories", skills, nil)
	if want := 500 * 21; categories < want {
		t.Fatalf("skillCategories { skills { id synonyms } } costs %d, want at least %d", categories, want)
	}
}
