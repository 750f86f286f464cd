// Command gqlgen regenerates graph/ and the resolver stubs from gqlgen.yml (what gqlgen's own
// `gqlgen generate` does), then routes parts of the generated executor to package gqlexec: list
// marshalling to gqlexec.MarshalList, with the table of fields that may wait it consults
// (graph/fieldswait.go), each object's field collection and @defer group to
// gqlexec.CollectFields and gqlexec.NewDeferredGroup, and (execution.go) fields' arguments to
// gqlexec.Args, scalar fields read from memory to gqlexec.ReadScalar and objects' marshalling
// to gqlexec.Object.
//
// Run by `go generate ./...` from the repository root (generate.go); `make check-generated`
// fails when its output differs from what is committed.
package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/skillswap/skillswap/gqlexec"
)

// answeredFromMemory are resolver fields that never wait for anything shared with their
// siblings: they read the taxonomy snapshot (checked once per response, not per element) or
// compute from their parent. A list whose elements select only these, struct fields and methods
// resolves its elements in turn (gqlexec). Add a field here only when its resolver cannot reach
// a dataloader or the database per element; TestListsOfMemoryFieldsDoNotWait (resolvers) runs
// each of them under lists with a batching window of seconds and fails on the first that waits.
var answeredFromMemory = []gqlexec.Field{
	{Object: "MemberSkill", Name: "id"},
	{Object: "MemberSkill", Name: "skill"},
	{Object: "Skill", Name: "category"},
	{Object: "Skill", Name: "relatedSkills"},
	{Object: "Skill", Name: "mergedInto"},
	{Object: "SkillCategory", Name: "skills"},
}

// rewrites are the generated calls routed to gqlexec: gqlgen's template as it marshals a list
// of objects (with this configuration's worker limit, none, and panic handler, kept), as it
// starts an object's @defer group, right after collecting the object's fields, and as it collects
// them (with the type's package-level slice of names).
var rewrites = []struct{ from, to string }{
	{
		"graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler {",
		"gqlexec.MarshalList(ctx, sel, fieldMayWait, len(v), func(ctx context.Context, i int) graphql.Marshaler {",
	},
	{
		"deferred := graphql.NewDeferredGroup(ctx)",
		"deferred := gqlexec.NewDeferredGroup(ctx, fields)",
	},
	{
		"graphql.CollectFields(ec.OperationContext, sel, ",
		"gqlexec.CollectFields(ctx, ec.OperationContext, sel, ",
	},
}

const gqlexecImport = `"github.com/skillswap/skillswap/gqlexec"`

func main() {
	log.SetFlags(0)
	if err := run("gqlgen.yml"); err != nil {
		log.Fatalf("gqlgen: %v", err)
	}
}

func run(configFile string) error {
	cfg, err := config.LoadConfig(configFile)
	if err != nil {
		return fmt.Errorf("load %s: %w", configFile, err)
	}
	fields := &waitingFields{}
	if err := api.Generate(cfg, api.AddPlugin(fields)); err != nil {
		return err
	}
	if err := route(cfg.Exec.Filename); err != nil {
		return err
	}
	var roots []string
	for _, root := range []*ast.Definition{cfg.Schema.Query, cfg.Schema.Mutation, cfg.Schema.Subscription} {
		if root != nil {
			roots = append(roots, root.Name)
		}
	}
	if err := routeExecution(cfg.Exec.Filename, roots); err != nil {
		return err
	}
	table, err := fields.source(cfg.Exec.Package)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(filepath.Dir(cfg.Exec.Filename), "fieldswait.go"), table, 0o644)
}

// waitingFields is a gqlgen plugin that reads, from the data gqlgen generates from, which fields
// it resolves concurrently: those with a resolver or a method that takes a context.
type waitingFields struct {
	mayWait []gqlexec.Field
}

// Name names the plugin in gqlgen's errors.
func (*waitingFields) Name() string { return "gqlexec" }

// GenerateCode collects the fields that may wait; gqlgen calls it before it writes graph/.
func (w *waitingFields) GenerateCode(data *codegen.Data) error {
	known := map[gqlexec.Field]bool{}
	for _, f := range answeredFromMemory {
		known[f] = false
	}
	for _, obj := range data.Objects {
		if obj.Root { // Query, Mutation, Subscription are never list elements
			continue
		}
		for _, f := range obj.Fields {
			key := gqlexec.Field{Object: obj.Name, Name: f.Name}
			if _, listed := known[key]; listed {
				known[key] = true
				continue
			}
			if f.IsConcurrent() {
				w.mayWait = append(w.mayWait, key)
			}
		}
	}
	var missing []error
	for f, found := range known {
		if !found {
			missing = append(missing, fmt.Errorf("%s.%s is listed as answered from memory but is not a field of the schema", f.Object, f.Name))
		}
	}
	slices.SortFunc(w.mayWait, func(a, b gqlexec.Field) int {
		return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Name, b.Name))
	})
	return errors.Join(missing...)
}

func (w *waitingFields) source(pkg string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by scripts/gqlgen, DO NOT EDIT.\n\npackage %s\n\n", pkg)
	fmt.Fprintf(&b, "import %s\n\n", gqlexecImport)
	b.WriteString("// fieldsThatMayWait are the fields gqlgen resolves through a resolver, less those\n")
	b.WriteString("// scripts/gqlgen knows answer from memory: a list selecting any of them resolves its\n")
	b.WriteString("// elements concurrently (gqlexec).\n")
	b.WriteString("var fieldsThatMayWait = map[gqlexec.Field]struct{}{\n")
	for _, f := range w.mayWait {
		fmt.Fprintf(&b, "\t{Object: %q, Name: %q}: {},\n", f.Object, f.Name)
	}
	b.WriteString("}\n\n")
	b.WriteString("func fieldMayWait(f gqlexec.Field) bool {\n\t_, ok := fieldsThatMayWait[f]\n\treturn ok\n}\n")
	return format.Source(b.Bytes())
}

// route rewrites the generated executor's calls listed in rewrites. It fails when one is not
// found, or when gqlgen makes the same call another way: a gqlgen upgrade that changes its
// template must be looked at.
func route(file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read generated code: %w", err)
	}
	for _, r := range rewrites {
		n := bytes.Count(src, []byte(r.from))
		if n == 0 {
			return fmt.Errorf("%s: %q not found; has gqlgen's template changed?", file, r.from)
		}
		call := r.from[strings.Index(r.from, "graphql.") : strings.Index(r.from, "(")+1]
		if all := bytes.Count(src, []byte(call)); all != n {
			return fmt.Errorf("%s: %d of the %d calls %s are not %q", file, all-n, all, call, r.from)
		}
		src = bytes.ReplaceAll(src, []byte(r.from), []byte(r.to))
	}
	importBlock := []byte("import (\n")
	at := bytes.Index(src, importBlock)
	if at < 0 {
		return fmt.Errorf("%s: no import block", file)
	}
	at += len(importBlock)
	src = slices.Concat(src[:at], []byte("\t"+gqlexecImport+"\n"), src[at:])
	out, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("format rewritten %s: %w", file, err)
	}
	return os.WriteFile(file, out, 0o644)
}
