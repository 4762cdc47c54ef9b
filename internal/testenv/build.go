package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// buildTimeout bounds one go build; a cold cache on a loaded machine takes a minute or two.
const buildTimeout = 5 * time.Minute

// builds are the binaries built by this test binary, one per package and ldflags.
var builds struct {
	mu    sync.Mutex // guards dir and byKey
	dir   string
	byKey map[string]*build
}

type build struct {
	n    int // its folder under builds.dir
	once sync.Once
	path string
	err  error
}

// Build compiles the main package pkg, a path relative to the module root ("./cmd/iscdesk"), with
// ldflags when not empty, and returns the binary's path. Each package and ldflags is built once per
// test binary, with CGO_ENABLED=0 as the releases are; callers of the same build wait for it. The
// binaries stay until RemoveBuilds.
func Build(ctx context.Context, pkg, ldflags string) (string, error) {
	key := pkg + "\x00" + ldflags
	builds.mu.Lock()
	if builds.byKey == nil {
		builds.byKey = map[string]*build{}
	}
	b, ok := builds.byKey[key]
	if !ok {
		b = &build{n: len(builds.byKey)}
		builds.byKey[key] = b
	}
	builds.mu.Unlock()
	b.once.Do(func() { b.path, b.err = goBuild(ctx, pkg, ldflags, b.n) })
	return b.path, b.err
}

// MustBuild is Build for a test: it fails the test when the build fails.
func MustBuild(t testing.TB, pkg, ldflags string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	bin, err := Build(ctx, pkg, ldflags)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// RunTests runs the tests and then removes the binaries of Build: TestMain is
//
//	func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }
func RunTests(m *testing.M) int {
	defer RemoveBuilds()
	return m.Run()
}

// RemoveBuilds removes the binaries of Build, for a TestMain that does more than RunTests.
func RemoveBuilds() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	builds.dir, builds.byKey = "", nil
}

// goBuild builds pkg into the n-th folder of the build folder, so that builds of one package with
// other ldflags keep their own binary.
func goBuild(ctx context.Context, pkg, ldflags string, n int) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	builds.mu.Lock()
	if builds.dir == "" {
		builds.dir, err = os.MkdirTemp("", "iscdesk-testbin-")
	}
	dir := builds.dir
	builds.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("making a folder for the test binaries: %w", err)
	}
	name := path.Base(pkg)
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	bin := filepath.Join(dir, strconv.Itoa(n), name)
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	args := []string{"build", "-o", bin}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	cmd := exec.CommandContext(ctx, GoTool(), append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}
