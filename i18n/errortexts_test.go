package i18n_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/skillswap/skillswap/i18n"
)

// errorConstructors are the domain error constructors, and the helpers that pass a message on to
// one, with the position of their message (or format) argument; "pkg.Func" (pkg is the package's
// name).
var errorConstructors = map[string]int{
	"domain.Invalid": 1, "domain.Conflict": 0, "domain.Forbidden": 0, "domain.Unauthenticated": 0,
	"domain.Unavailable": 0, "domain.WithText": 0, "domain.stateConflict": 1, "store.mapErr": 3, "httpapi.authError": 0,
}

// sourceErrorTexts scans the module's Go code (tests aside) for calls of the domain error
// constructors and returns the English texts they are given as message or format: string
// literals and string constants ("file:line" of each). Calls that name a message id
// (.WithMessage) are translated by it and skipped, and so are "%s" formats (they pass on a text
// checked where it is written, such as store.mapErr's). dynamic lists the calls whose message is
// built at run time.
func sourceErrorTexts(t *testing.T) (texts map[string][]string, dynamic []string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	texts = map[string][]string{}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	consts := map[string]string{} // "dir.Name" of each package-level string constant
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "vendor" || n == "graph") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files[path] = f
		for _, decl := range f.Decls {
			if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.CONST {
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							if s, ok := stringLiteral(vs.Values[i]); ok {
								consts[filepath.Dir(path)+"."+name.Name] = s
							}
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, f := range files {
		alias := ""
		for _, imp := range f.Imports {
			if strings.Trim(imp.Path.Value, `"`) == "github.com/skillswap/skillswap/domain" {
				alias = "domain"
				if imp.Name != nil {
					alias = imp.Name.Name
				}
			}
		}
		named := map[ast.Node]bool{} // calls whose error names a message id
		for _, decl := range f.Decls {
			// The parameters of a helper listed in errorConstructors pass their caller's text on.
			params := map[string]bool{}
			if fd, ok := decl.(*ast.FuncDecl); ok {
				if _, helper := errorConstructors[f.Name.Name+"."+fd.Name.Name]; helper {
					for _, field := range fd.Type.Params.List {
						for _, n := range field.Names {
							params[n.Name] = true
						}
					}
				}
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var name string
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					name = f.Name.Name + "." + fn.Name
				case *ast.SelectorExpr:
					if fn.Sel.Name == "WithMessage" {
						named[fn.X] = true
					}
					if fn.Sel.Name == "WithText" {
						name = "domain.WithText"
					}
					if x, ok := fn.X.(*ast.Ident); ok && alias != "" && x.Name == alias {
						name = "domain." + fn.Sel.Name
					}
				}
				pos, ok := errorConstructors[name]
				if !ok || len(call.Args) <= pos || named[call] {
					return true
				}
				rel, _ := filepath.Rel(root, path)
				where := rel + ":" + strconv.Itoa(fset.Position(call.Pos()).Line)
				arg := call.Args[pos]
				s, ok := stringLiteral(arg)
				if id, isIdent := arg.(*ast.Ident); isIdent {
					if params[id.Name] {
						return true
					}
					s, ok = consts[filepath.Dir(path)+"."+id.Name]
				}
				switch {
				case ok && (s == "%s" || s == ""):
				case ok:
					texts[s] = append(texts[s], where)
				default:
					dynamic = append(dynamic, where)
				}
				return true
			})
		}
	}
	return texts, dynamic
}

// verbRE matches one fmt verb (with an optional explicit argument index).
var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// verbs lists a format's verbs without their indexes, sorted: a translation may reorder them.
func verbs(format string) string {
	var out []string
	for _, v := range verbRE.FindAllString(format, -1) {
		out = append(out, regexp.MustCompile(`\[\d+\]`).ReplaceAllString(v, ""))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// stringLiteral is the value of a string literal, or of a concatenation of literals.
func stringLiteral(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := stringLiteral(e.X)
		b, ok2 := stringLiteral(e.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return stringLiteral(e.X)
	}
	return "", false
}

// TestEveryErrorTextInFrench fails when a domain error's English message (or format) written in
// the code has no French text in the error catalogue, or when the catalogue holds a text no code
// writes any more.
func TestEveryErrorTextInFrench(t *testing.T) {
	texts, dynamic := sourceErrorTexts(t)
	if len(texts) < 100 {
		t.Fatalf("only %d error texts found: the scan is broken", len(texts))
	}
	var missing []string
	for s, where := range texts {
		if _, ok := i18n.ErrorText(i18n.French, s); !ok {
			missing = append(missing, s)
			t.Errorf("error text %q (%s) has no French translation in i18n/locales/errors.fr.json", s, where[0])
		}
	}
	for _, s := range i18n.ErrorTexts(i18n.French) {
		fr, _ := i18n.ErrorText(i18n.French, s)
		if got, want := verbs(fr), verbs(s); got != want {
			t.Errorf("error text %q: the French text %q has the verbs %q, the English one %q", s, fr, got, want)
		}
		if _, ok := texts[s]; !ok {
			t.Errorf("error text %q is in errors.fr.json but no code writes it: remove it", s)
		}
	}
	if len(missing) > 0 && os.Getenv("I18N_DUMP_MISSING") != "" {
		sort.Strings(missing)
		for _, s := range missing {
			q, _ := json.Marshal(s)
			t.Logf("MISSING %s", q)
		}
	}
	for _, where := range dynamic {
		t.Errorf("%s: a domain error whose message is built at run time reaches French members in English: write a literal format (its arguments fill the translation)", where)
	}
	t.Logf("%d error texts checked", len(texts))
}
