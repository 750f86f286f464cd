package check

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// TestStaticBinary builds the server with the Dockerfile's own `go build` command and checks
// what the distroless static image needs of it: no dynamic loader, no shared library, the zone
// database compiled in, and that it runs.
func TestStaticBinary(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the whole server")
	}
	out := buildServer(t)

	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader (PT_INTERP): it would not start on distroless/static")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("shared libraries %v (%v)", libs, err)
	}
	if ldd, err := exec.LookPath("ldd"); err == nil {
		// glibc's ldd: "not a dynamic executable" (exit 1); musl's: "statically linked" or an error.
		b, _ := exec.Command(ldd, out).CombinedOutput()
		if s := string(b); !strings.Contains(s, "not a dynamic executable") && !strings.Contains(s, "statically linked") {
			t.Errorf("ldd says:\n%s", s)
		}
	}

	bin, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// time/tzdata's embedded zip names its zones: quiet hours and digests load them by name.
	for _, zone := range []string{"Europe/Paris", "America/New_York", "Asia/Tokyo"} {
		if !bytes.Contains(bin, []byte(zone)) {
			t.Errorf("zone %s is not in the binary: import time/tzdata", zone)
		}
	}

	// It runs: the healthcheck subcommand against a closed port fails cleanly (exit 1).
	run := exec.Command(out, "healthcheck")
	run.Env = []string{"HTTP_ADDR=127.0.0.1:1"}
	b, err := run.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(b), "healthcheck") {
		t.Errorf("skillswap healthcheck on a closed port: %v\n%s", err, b)
	}
}

// TestMain removes the binary buildServer built.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// built is the server binary, built once for the tests that need it.
var built struct {
	once      sync.Once
	dir, path string
	err       error
}

// buildServer builds the server with the Dockerfile's own `go build` command, only its output
// moved (`... -o /out/skillswap .`), once per test run, and returns the binary's path.
func buildServer(t *testing.T) string {
	t.Helper()
	build := dockerfileBuildCommand(t)
	built.once.Do(func() {
		if !strings.Contains(build, " -o /out/skillswap ") {
			built.err = fmt.Errorf("the Dockerfile's build command %q does not write /out/skillswap", build)
			return
		}
		if built.dir, built.err = os.MkdirTemp("", "deploycheck"); built.err != nil {
			return
		}
		out := filepath.Join(built.dir, "skillswap")
		cmd := exec.Command("sh", "-c", strings.Replace(build, " -o /out/skillswap ", " -o '"+out+"' ", 1))
		cmd.Dir = repoRoot
		if b, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("%s: %w\n%s", build, err, b)
			return
		}
		built.path = out
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// dockerfileBuildCommand returns the build stage's RUN line that runs `go build`.
func dockerfileBuildCommand(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	ast, err := parser.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range stages[0].Commands {
		if r, ok := c.(*instructions.RunCommand); ok {
			if line := strings.Join(r.CmdLine, " "); strings.Contains(line, "go build") {
				return line
			}
		}
	}
	t.Fatal("no go build in the Dockerfile's first stage")
	return ""
}
