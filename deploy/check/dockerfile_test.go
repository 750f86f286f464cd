package check

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"golang.org/x/mod/modfile"
)

// TestDockerfile checks the image recipe: multi-stage, base images pinned (no latest, the Go
// release the module asks for), a static build, a non-root user and the binary as entry point.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	ast, err := parser.Parse(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	for _, w := range ast.Warnings {
		t.Errorf("Dockerfile warning: %s", w.Short)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		t.Fatalf("instructions: %v", err)
	}
	if len(stages) < 2 {
		t.Fatalf("%d stage(s): want a build stage and a runtime stage", len(stages))
	}

	earlier := map[string]bool{} // stage names: FROM <stage> is no image
	for _, s := range stages {
		if base := s.BaseName; !earlier[strings.ToLower(base)] && base != "scratch" && !pinned(base) {
			t.Errorf("FROM %s: pin the image with a version tag or a digest (not latest, not untagged)", base)
		}
		earlier[strings.ToLower(s.Name)] = true
	}

	build, runtime := stages[0], stages[len(stages)-1]
	goImage := regexp.MustCompile(`^golang:(\d+\.\d+\.\d+)-`).FindStringSubmatch(build.BaseName)
	if goImage == nil {
		t.Fatalf("build stage FROM %s: want golang:<x.y.z>-<distro>", build.BaseName)
	}
	modRaw, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := modfile.ParseLax("go.mod", modRaw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameMinorNotOlder(goImage[1], mod.Go.Version) {
		t.Errorf("build image Go %s: go.mod asks for go %s (same minor release, not older)", goImage[1], mod.Go.Version)
	}

	var buildCmd string
	for _, c := range build.Commands {
		if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "go build") {
			buildCmd = strings.Join(r.CmdLine, " ")
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath"} {
		if !strings.Contains(buildCmd, want) {
			t.Errorf("go build step %q lacks %s", buildCmd, want)
		}
	}

	var user string
	var entrypoint, cmd []string
	copied := false
	for _, c := range runtime.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				t.Error("ENTRYPOINT in shell form: the image has no shell; use the exec form")
			}
			entrypoint = c.CmdLine
		case *instructions.CmdCommand:
			cmd = c.CmdLine
		case *instructions.CopyCommand:
			copied = copied || strings.EqualFold(c.From, build.Name)
		case *instructions.RunCommand:
			t.Errorf("RUN in the runtime stage (%v): the distroless image has no shell", c.CmdLine)
		}
	}
	if !copied {
		t.Errorf("the runtime stage copies nothing from the build stage %q", build.Name)
	}
	if uid, _, _ := strings.Cut(user, ":"); uid == "" || uid == "0" || uid == "root" {
		t.Errorf("USER %q in the runtime stage: want a non-root user (65532:65532)", user)
	}
	if len(entrypoint) != 1 || !strings.HasPrefix(entrypoint[0], "/") {
		t.Errorf("ENTRYPOINT %v: want the binary alone (exec form), subcommands as arguments", entrypoint)
	}
	if !slices.Equal(cmd, []string{"serve"}) {
		t.Errorf("CMD %v: want [serve]", cmd)
	}
}

// pinned reports an image reference with a digest, or a tag that names a version (a digit in
// it: "1.26.8-bookworm", "17.6-bookworm"), or distroless's "nonroot" of a fixed Debian release.
func pinned(ref string) bool {
	if strings.Contains(ref, "@sha256:") {
		return true
	}
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return false
	}
	repo, tag := ref[:i], ref[i+1:]
	switch {
	case tag == "latest":
		return false
	case regexp.MustCompile(`\d`).MatchString(tag):
		return true
	default:
		// gcr.io/distroless/static-debian12:nonroot: the Debian release is in the name.
		return regexp.MustCompile(`-debian\d+$`).MatchString(repo)
	}
}

// sameMinorNotOlder reports whether the release image (x.y.z) is go.mod's minor release, at
// or after its patch level.
func sameMinorNotOlder(image, gomod string) bool {
	ip, mp := strings.Split(image, "."), strings.Split(gomod, ".")
	if len(ip) != 3 || len(mp) < 2 || ip[0] != mp[0] || ip[1] != mp[1] {
		return false
	}
	return len(mp) < 3 || atoi(ip[2]) >= atoi(mp[2])
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return -1
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func TestPinned(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]bool{
		"golang:1.26.8-bookworm":                    true,
		"postgres:17.6-bookworm":                    true,
		"gcr.io/distroless/static-debian12:nonroot": true,
		"caddy@sha256:0123":                         true,
		"golang":                                    false,
		"golang:latest":                             false,
		"golang:bookworm":                           false,
		"registry:5000/caddy":                       false,
		"gcr.io/distroless/static:nonroot":          false,
	} {
		if got := pinned(ref); got != want {
			t.Errorf("pinned(%q) = %v, want %v", ref, got, want)
		}
	}
	for _, c := range []struct {
		image, gomod string
		want         bool
	}{
		{"1.26.8", "1.26.0", true}, {"1.26.8", "1.26", true}, {"1.26.0", "1.26.8", false},
		{"1.27.0", "1.26.0", false}, {"1.25.9", "1.26.0", false},
	} {
		if got := sameMinorNotOlder(c.image, c.gomod); got != c.want {
			t.Errorf("sameMinorNotOlder(%s, %s) = %v", c.image, c.gomod, got)
		}
	}
}
