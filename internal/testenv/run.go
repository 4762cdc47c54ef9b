package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// runTimeout bounds one run of a command.
const runTimeout = 2 * time.Minute

// Result is how one run of a command ended.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs bin with args, and env added to the test's environment, to its end (2 minutes at most).
// A command that cannot start or is killed fails the test; an exit code other than 0 does not.
func Run(t testing.TB, env []string, bin string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || ctx.Err() != nil {
			t.Fatalf("running %s %v: %v; stderr: %s", bin, args, err, e.String())
		}
		code = exit.ExitCode()
	}
	return Result{Stdout: o.String(), Stderr: e.String(), Code: code}
}

// RunJSON runs bin with args and --json; it must exit 0, and its output is decoded into v.
func RunJSON(t testing.TB, env []string, v any, bin string, args ...string) {
	t.Helper()
	r := Run(t, env, bin, append(args, "--json")...)
	if r.Code != 0 {
		t.Fatalf("%s %v exited %d: %s", bin, args, r.Code, r.Stderr)
	}
	if err := json.Unmarshal([]byte(r.Stdout), v); err != nil {
		t.Fatalf("decoding the output of %s %v: %v\n%s", bin, args, err, r.Stdout)
	}
}
