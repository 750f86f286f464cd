package domain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

// TestMessageIDsListsEveryConstant: a MessageID constant missing from MessageIDs would escape
// the catalogue test (package i18n), which walks the list: the constants of messages.go and the
// list must match one for one.
func TestMessageIDsListsEveryConstant(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "messages.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, spec := range g.Specs {
				n += len(spec.(*ast.ValueSpec).Names)
			}
		}
	}
	seen := map[MessageID]bool{}
	for _, id := range MessageIDs {
		if seen[id] {
			t.Errorf("%s listed twice", id)
		}
		seen[id] = true
	}
	if n != len(seen) {
		t.Errorf("messages.go declares %d constants, MessageIDs lists %d distinct: list every one", n, len(seen))
	}
}
