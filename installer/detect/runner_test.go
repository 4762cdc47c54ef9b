//go:build unix

package detect

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExecRunnerEnvironmentAndDir(t *testing.T) {
	t.Setenv("ISCDESK_TEST_SECRET", "must not leak") // not parallel: it changes the environment
	dir := t.TempDir()
	sh := script(t, dir, "env.sh", "pwd -P; env")
	r := &execRunner{env: cleanEnv(dir)}

	out, code, err := r.Output(t.Context(), dir, []string{sh})
	require.NoError(t, err)
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	realDir, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	assert.Equal(t, realDir, lines[0], "the command runs in the install dir")
	assert.Contains(t, lines, "ISCDESK_MODE=detect")
	assert.Contains(t, lines, "ISCDESK_INSTALL_DIR="+dir)
	assert.NotContains(t, string(out), "ISCDESK_TEST_SECRET")
	for _, l := range lines[1:] {
		name, _, _ := strings.Cut(l, "=")
		// sh adds PWD, SHLVL and _ itself; everything else must come from cleanEnv.
		assert.Contains(t, []string{"PATH", "HOME", "LANG", "ISCDESK_MODE", "ISCDESK_INSTALL_DIR", "PWD", "SHLVL", "_", "OLDPWD"}, name)
	}
}

func TestExecRunnerExitCodesAndErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := &execRunner{env: cleanEnv(dir)}
	cases := []struct {
		name    string
		argv    []string
		code    int
		out     string
		wantErr string
	}{
		{"exit 0", []string{script(t, dir, "ok.sh", "echo out; echo err >&2")}, 0, "out\nerr\n", ""},
		{"exit 7", []string{script(t, dir, "seven.sh", "echo no; exit 7")}, 7, "no\n", ""},
		{"not found", []string{filepath.Join(dir, "missing")}, -1, "", "cannot run " + filepath.Join(dir, "missing")},
		{"not executable", []string{writeFile(t, dir, "plain.txt", "x", 0o644)}, -1, "", "permission denied"},
		{"empty", nil, -1, "", "empty command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, code, err := r.Output(t.Context(), "", c.argv)
			if c.wantErr != "" {
				require.ErrorContains(t, err, c.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, c.out, string(out))
			}
			assert.Equal(t, c.code, code)
		})
	}
}

func TestExecRunnerCapsOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sh := script(t, dir, "big.sh", "head -c 3000000 /dev/zero; echo done >&2")
	out, code, err := (&execRunner{env: cleanEnv(dir)}).Output(t.Context(), "", []string{sh})
	require.NoError(t, err)
	assert.Equal(t, 0, code, "dropping output must not break the command's pipe")
	assert.Len(t, out, maxVersionInput)
}

// TestExecRunnerKillsProcessGroup cancels a script that has started a child of its own, and checks
// that the child died with it.
func TestExecRunnerKillsProcessGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	sh := script(t, dir, "hang.sh", "sleep 300 &\necho $! > "+pidFile+".tmp\nmv "+pidFile+".tmp "+pidFile+"\nexec sleep 300")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		_, code, err := (&execRunner{env: cleanEnv(dir)}).Output(ctx, "", []string{sh})
		done <- result{code, err}
	}()

	var childPid int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return false
		}
		childPid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}, time.Minute, 20*time.Millisecond, "the script never started its child")
	require.True(t, alive(childPid), "the child should be running before the cancel")

	cancel()
	select {
	case r := <-done:
		require.ErrorIs(t, r.err, context.Canceled)
		assert.Equal(t, -1, r.code)
	case <-time.After(time.Minute):
		t.Fatal("Output did not return after its context was cancelled")
	}
	assert.Eventually(t, func() bool { return !alive(childPid) }, time.Minute, 20*time.Millisecond,
		"the script's child %d outlived the cancel", childPid)
}

// alive reports whether pid is a running process; a zombie waiting for its reaper counts as dead.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err) // no /proc (darwin): trust kill(0)
	}
	// The state follows the command name in parentheses: "1234 (sleep) Z ...".
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

func TestCleanEnvDefaultPath(t *testing.T) {
	t.Setenv("PATH", "") // not parallel: it changes the environment
	os.Unsetenv("PATH")
	env := cleanEnv("/opt/x")
	assert.Contains(t, env, "PATH="+defaultPath)
	assert.Contains(t, env, "ISCDESK_INSTALL_DIR=/opt/x")
}
