// Package testenv is the plumbing shared by the tests that run ISCDesk's real binaries: it builds
// them once per test binary, runs and starts them with their output captured, waits for them with
// deadlines, starts a real iscdesk-market, and plays the browser through the marketplace's sign-in
// form.
//
// It is for tests only; nothing outside _test.go files imports it.
package testenv

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// GoTool returns the go command: the one on PATH, else the one of the running toolchain.
func GoTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

// ModuleRoot returns the folder of the module's go.mod, found from the test's working folder.
func ModuleRoot() (string, error) {
	rootOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, GoTool(), "env", "GOMOD").Output()
		if err != nil {
			rootErr = fmt.Errorf("finding the module root with go env GOMOD: %w", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == "/dev/null" {
			rootErr = fmt.Errorf("finding the module root: the test does not run inside the module")
			return
		}
		root = filepath.Dir(gomod)
	})
	return root, rootErr
}

// Eventually polls cond every 100 ms until it holds, and fails the test when within passes first.
// what says what was waited for, for the failure message.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
