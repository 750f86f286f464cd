package gqlexec_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/skillswap/skillswap/gqlexec"
)

const schemaSDL = `
type Query { members: [Member!]! node: Node search: [Hit!]! }
interface Node { id: ID! }
union Hit = Member | Skill
type Member implements Node { id: ID! name: String! skills: [Skill!]! rating: Float }
type Skill implements Node { id: ID! name: String! category: Category! }
type Category { id: ID! name: String! }
`

// rating and category stand for a loader-backed field and one answered from memory.
func mayWait(f gqlexec.Field) bool {
	return f == gqlexec.Field{Object: "Member", Name: "rating"}
}

// selection returns the validated selection of the first root field of query.
func selection(t *testing.T, query string) ast.SelectionSet {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: schemaSDL})
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil) // nil: the default rules
	if errs != nil {
		t.Fatalf("query %q: %v", query, errs)
	}
	return doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet
}

func TestWaits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		query string
		want  bool
	}{
		{"struct fields", `{ members { id name } }`, false},
		{"a nested list answered from memory", `{ members { name skills { id name category { id name } } } }`, false},
		{"a field that may wait", `{ members { id rating } }`, true},
		{"a field that may wait in an inline fragment", `{ members { id ... on Member { rating } } }`, true},
		{"a field that may wait in a named fragment", `query { members { ...M } } fragment M on Member { name rating }`, true},
		{"a named fragment of fields that do not wait", `query { members { ...M } } fragment M on Member { name skills { name } }`, false},
		{"a field selected on an interface", `{ node { id } }`, true},
		{"typename alone on an interface", `{ node { __typename } }`, false},
		{"fields of a union's members in fragments", `{ search { ... on Skill { name } ... on Member { name } } }`, false},
		{"a union member's field that may wait", `{ search { __typename ... on Member { rating } } }`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := gqlexec.Waits(selection(t, c.query), mayWait); got != c.want {
				t.Errorf("Waits(%s) = %v, want %v", c.query, got, c.want)
			}
		})
	}
}

func operationContext() context.Context {
	return graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter,
		func(context.Context, any) error { return errors.New("internal system error") })
}

// text is what the marshaler writes, "null" for a null element.
func text(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

// texts is what each element writes, in order.
func texts(a graphql.Array) []string {
	out := make([]string, len(a))
	for i, m := range a {
		out[i] = text(m)
	}
	return out
}

func TestMarshalResolvesInTurnWhenNothingWaits(t *testing.T) {
	t.Parallel()
	var inFlight, most atomic.Int32
	var indexes []int
	got := gqlexec.MarshalList(operationContext(), selection(t, `{ members { id skills { name } } }`), mayWait, 5,
		func(ctx context.Context, i int) graphql.Marshaler {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			if n > most.Load() {
				most.Store(n)
			}
			time.Sleep(time.Millisecond)                                   // give a concurrent sibling the time to start
			indexes = append(indexes, *graphql.GetFieldContext(ctx).Index) // no lock: one goroutine
			return graphql.MarshalInt(i)
		})
	if most.Load() != 1 {
		t.Errorf("%d elements were resolved at once, want 1", most.Load())
	}
	if len(got) != 5 || len(indexes) != 5 {
		t.Fatalf("got %d results for %d elements, want 5", len(got), len(indexes))
	}
	for i := range 5 {
		if text(got[i]) != fmt.Sprint(i) || indexes[i] != i {
			t.Errorf("element %d: result %v, field index %d", i, got[i], indexes[i])
		}
	}
}

func TestMarshalResolvesConcurrentlyWhenAFieldMayWait(t *testing.T) {
	t.Parallel()
	// Every element waits for all of them to have started, as siblings do for a loader's batch:
	// resolved in turn, the first would wait forever (here: until the deadline).
	const n = 4
	var started sync.WaitGroup
	started.Add(n)
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	got := gqlexec.MarshalList(operationContext(), selection(t, `{ members { id rating } }`), mayWait, n,
		func(ctx context.Context, i int) graphql.Marshaler {
			started.Done()
			select {
			case <-all:
				return graphql.MarshalInt(i)
			case <-time.After(5 * time.Second):
				return graphql.Null
			}
		})
	for i := range n {
		if text(got[i]) != fmt.Sprint(i) {
			t.Fatalf("element %d = %v: the elements did not run at the same time", i, got[i])
		}
	}
}

func TestMarshalTurnsAPanicIntoANullElementAndAnError(t *testing.T) {
	t.Parallel()
	for _, query := range []string{`{ members { id } }`, `{ members { rating } }`} {
		ctx := operationContext()
		got := gqlexec.MarshalList(ctx, selection(t, query), mayWait, 3,
			func(ctx context.Context, i int) graphql.Marshaler {
				if i == 1 {
					panic("boom")
				}
				return graphql.MarshalInt(i)
			})
		if got := fmt.Sprint(texts(got)); got != "[0 null 2]" {
			t.Errorf("%s: got %s, want [0 null 2]", query, got)
		}
		errs := graphql.GetErrors(ctx)
		if len(errs) != 1 || errs[0].Message != "internal system error" {
			t.Errorf("%s: errors %v, want one internal system error", query, errs)
		}
	}
}

// parsedList returns the validated root field of query: the list.
func parsedList(t *testing.T, query string) *ast.Field {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: schemaSDL})
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
	if errs != nil {
		t.Fatalf("query %q: %v", query, errs)
	}
	return doc.Operations[0].SelectionSet[0].(*ast.Field)
}

// resolving returns ctx as the executor passes it while it resolves f below ctx's field.
func resolving(ctx context.Context, f *ast.Field) context.Context {
	return graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: f, Selections: f.SelectionSet}})
}

// inTurn reports whether MarshalList resolved n elements of the list in ctx one after another.
func inTurn(ctx context.Context, sel ast.SelectionSet) bool {
	var inFlight, most atomic.Int32
	gqlexec.MarshalList(ctx, sel, mayWait, 3, func(context.Context, int) graphql.Marshaler {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		if n > most.Load() {
			most.Store(n)
		}
		time.Sleep(5 * time.Millisecond)
		return graphql.Null
	})
	return most.Load() == 1
}

func TestPrimedFieldsLetAListResolveInTurn(t *testing.T) {
	t.Parallel()
	const query = `{ members { id rating skills { name } } }`
	// The list is selected on the value of a field whose resolver primes it (page); another
	// resolver (elsewhere) selects the same list, as a fragment spread in two places does.
	cases := []struct {
		name   string
		prime  func(page, elsewhere context.Context, list *ast.Field)
		inTurn bool
	}{
		{"nothing primed", func(_, _ context.Context, _ *ast.Field) {}, false},
		{"the field that waits primed", func(page, _ context.Context, list *ast.Field) { gqlexec.Prime(page, list, nil, "rating") }, true},
		{"another field primed", func(page, _ context.Context, list *ast.Field) { gqlexec.Prime(page, list, nil, "skills") }, false},
		{"the field primed one level down", func(page, _ context.Context, list *ast.Field) {
			gqlexec.Prime(page, list, []string{"skills"}, "rating")
		}, false},
		{"another list primed", func(page, _ context.Context, _ *ast.Field) {
			gqlexec.Prime(page, parsedList(t, query), nil, "rating")
		}, false},
		{"the same list primed by another resolver", func(_, elsewhere context.Context, list *ast.Field) {
			gqlexec.Prime(elsewhere, list, nil, "rating")
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			gqlexec.Middleware(operationContext(), func(ctx context.Context) *graphql.Response {
				page, elsewhere := resolving(ctx, &ast.Field{Name: "page"}), resolving(ctx, &ast.Field{Name: "elsewhere"})
				list := parsedList(t, query)
				c.prime(page, elsewhere, list)
				if got := inTurn(resolving(page, list), list.SelectionSet); got != c.inTurn {
					t.Errorf("resolved in turn: %v, want %v", got, c.inTurn)
				}
				return nil
			})
		})
	}
	t.Run("without the middleware nothing is recorded", func(t *testing.T) {
		t.Parallel()
		page := resolving(operationContext(), &ast.Field{Name: "page"})
		list := parsedList(t, query)
		gqlexec.Prime(page, list, nil, "rating")
		if inTurn(resolving(page, list), list.SelectionSet) {
			t.Error("a list resolved in turn on a record nobody kept")
		}
	})
}
