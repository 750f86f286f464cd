// Command schemasnapshot prints the canonical SDL of the schema the server executes (the
// one gqlgen compiled into package graph), sorted so that it does not depend on how the
// .graphqls sources are split or ordered. `make schema-snapshot` runs it to rewrite
// schema.snapshot.graphql; scripts/schema-diff.sh compares that file across commits.
//
//	go run ./scripts/schemasnapshot              # print to stdout
//	go run ./scripts/schemasnapshot -o FILE      # write FILE
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/skillswap/skillswap/graph"
	"github.com/skillswap/skillswap/internal/schemasnapshot"
)

func main() {
	out := flag.String("o", "", "write the snapshot to this file instead of stdout")
	flag.Parse()

	// The executable schema, not the .graphqls files: the snapshot must describe exactly what
	// the server serves, so it cannot drift from a source list kept in two places.
	sdl := schemasnapshot.Snapshot(graph.NewExecutableSchema(graph.Config{}).Schema())
	if *out == "" {
		fmt.Print(sdl)
		return
	}
	if err := os.WriteFile(*out, []byte(sdl), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "schemasnapshot:", err)
		os.Exit(1)
	}
}
