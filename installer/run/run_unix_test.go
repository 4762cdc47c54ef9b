//go:build linux || darwin

package run

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/proc"
)

// deadline is generous: the tests run beside other packages' tests on a loaded 2-core machine.
const deadline = 30 * time.Second

// script writes an executable sh script into a fresh folder and returns the folder.
func script(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "step.sh"), []byte("#!/bin/sh\n"+body), 0o755))
	return dir
}

// spec runs ./step.sh in dir with short graces.
func spec(dir string, log io.Writer) Spec {
	return Spec{Args: []string{"./step.sh"}, Dir: dir, Log: log, TermGrace: time.Second, StrayGrace: 200 * time.Millisecond}
}

// reported is a process the step printed as "grandchild PID", with its start time read while it ran.
type reported struct {
	pid   int
	start uint64
}

// watcher is a job log that also picks out "grandchild PID" lines, so a test knows the step's
// descendants without racing them.
type watcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	line []byte
	seen chan reported
}

func newWatcher() *watcher { return &watcher{seen: make(chan reported, 8)} }

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.line = append(w.line, p...)
	for {
		i := bytes.IndexByte(w.line, '\n')
		if i < 0 {
			return len(p), nil
		}
		var pid int
		if _, err := fmt.Sscanf(string(w.line[:i]), "grandchild %d", &pid); err == nil {
			start, err := proc.StartTime(pid)
			if err == nil {
				w.seen <- reported{pid, start}
			}
		}
		w.line = w.line[i+1:]
	}
}

func (w *watcher) next(t *testing.T) reported {
	t.Helper()
	select {
	case r := <-w.seen:
		return r
	case <-time.After(deadline):
		t.Fatal("the step never reported its grandchild")
		return reported{}
	}
}

func requireGone(t *testing.T, r reported) {
	t.Helper()
	require.Eventually(t, func() bool { return !proc.Alive(r.pid, r.start) }, deadline, 20*time.Millisecond,
		"pid %d is still running", r.pid)
}

func TestEnvironmentIsCleanAndComplete(t *testing.T) {
	t.Setenv("ISCDESK_TEST_SECRET", "agent-only")
	dir := script(t, "env\n")
	var log bytes.Buffer
	s := spec(dir, &log)
	s.Env = []string{"FOO=bar baz", "ISCDESK_STEP=forged", "PATH=/usr/bin:/bin"}
	s.Mode, s.InstallDir, s.PackageDir, s.LogFile = "install", "/opt/cadpro", dir, "/var/log/cadpro.log"
	var started Process
	s.Started = func(p Process) { started = p }

	r, err := Run(context.Background(), s)
	require.NoError(t, err)
	require.Equal(t, manifest.OutcomeSuccess, r.Outcome, r.Reason)

	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	assert.Equal(t, "bar baz", env["FOO"])
	assert.Equal(t, "/usr/bin:/bin", env["PATH"], "the package may set PATH")
	assert.Equal(t, "install", env["ISCDESK_MODE"])
	assert.Equal(t, "/opt/cadpro", env["ISCDESK_INSTALL_DIR"])
	assert.Equal(t, dir, env["ISCDESK_PACKAGE_DIR"])
	assert.Equal(t, "/var/log/cadpro.log", env["ISCDESK_LOG"])
	require.NotEmpty(t, started.Token)
	assert.Equal(t, started.Token, env[proc.TokenEnv], "the package cannot forge the step token")
	assert.NotContains(t, env, "ISCDESK_TEST_SECRET", "the agent's environment must not leak")

	allowed := map[string]bool{"FOO": true, "PWD": true, "SHLVL": true, "_": true, "OLDPWD": true}
	for _, k := range baseKeys(runtime.GOOS) {
		allowed[k] = true
	}
	for k := range env {
		allowed[k] = allowed[k] || strings.HasPrefix(k, "ISCDESK_")
		assert.True(t, allowed[k], "unexpected variable %s in the step's environment", k)
	}
}

func TestExitCodesMapToOutcomes(t *testing.T) {
	// Unix exit statuses have 8 bits, so 3010, 1618 and 1602 are covered by TestJudge; here real
	// processes go through the whole path with the defaults and with a package's own table.
	pkg := map[int]manifest.Outcome{1: manifest.OutcomeRetryLater, 42: manifest.OutcomeReboot, 7: ""}
	withPkg := func(code int) manifest.Outcome {
		if o, ok := pkg[code]; ok {
			return o
		}
		return manifest.DefaultExitCodes[code]
	}
	tests := []struct {
		code  int
		codes func(int) manifest.Outcome
		want  manifest.Outcome
	}{
		{0, nil, manifest.OutcomeSuccess},
		{1, nil, manifest.OutcomeFailed},
		{42, nil, manifest.OutcomeFailed},
		{0, withPkg, manifest.OutcomeSuccess},
		{1, withPkg, manifest.OutcomeRetryLater},
		{42, withPkg, manifest.OutcomeReboot},
		{7, withPkg, manifest.OutcomeFailed},
		{3010 % 256, withPkg, manifest.OutcomeFailed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("exit %d package table %v", tt.code, tt.codes != nil), func(t *testing.T) {
			dir := script(t, fmt.Sprintf("echo bye\nexit %d\n", tt.code))
			s := spec(dir, nil)
			s.ExitCodes = tt.codes
			r, err := Run(context.Background(), s)
			require.NoError(t, err)
			assert.Equal(t, tt.code, r.ExitCode)
			assert.Equal(t, tt.want, r.Outcome)
			assert.Contains(t, r.Reason, fmt.Sprintf("exited %d", tt.code))
			assert.Equal(t, "bye\n", r.Tail)
			assert.False(t, r.TimedOut || r.Cancelled)
			assert.Empty(t, r.Stray)
		})
	}
}

func TestKilledBySignal(t *testing.T) {
	r, err := Run(context.Background(), spec(script(t, "kill -KILL $$\n"), nil))
	require.NoError(t, err)
	assert.Equal(t, -1, r.ExitCode)
	assert.Equal(t, manifest.OutcomeFailed, r.Outcome)
	assert.Contains(t, r.Reason, "signal: killed")
}

func TestOutputInterleavedInLog(t *testing.T) {
	var log bytes.Buffer
	r, err := Run(context.Background(), spec(script(t, "echo out1\necho err1 >&2\necho out2\n"), &log))
	require.NoError(t, err)
	assert.Equal(t, "out1\nerr1\nout2\n", log.String())
	assert.Equal(t, "out1\nerr1\nout2\n", r.Tail)
}

func TestOutputCappedWithHeadAndTail(t *testing.T) {
	const logCap = 1000
	tests := []struct {
		name  string
		lines int // of 12 bytes each
	}{
		{"under the cap", 50},
		{"over the cap by less than the tail", 3000},
		{"over the cap and the tail", 30000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want bytes.Buffer
			for i := 1; i <= tt.lines; i++ {
				fmt.Fprintf(&want, "line %06d\n", i)
			}
			full := want.Bytes()
			dir := script(t, fmt.Sprintf("i=1\nwhile [ $i -le %d ]; do printf 'line %%06d\\n' $i; i=$((i+1)); done\n", tt.lines))
			var log bytes.Buffer
			s := spec(dir, &log)
			s.LogCap = logCap
			r, err := Run(context.Background(), s)
			require.NoError(t, err)
			require.Equal(t, manifest.OutcomeSuccess, r.Outcome, r.Reason)

			expect := full
			if cut := len(full) - logCap - logTailSize; cut > 0 {
				expect = fmt.Appendf(append([]byte(nil), full[:logCap]...), "\n[… %d bytes cut …]\n", cut)
				expect = append(expect, full[len(full)-logTailSize:]...)
			}
			assert.Equal(t, string(expect), log.String())
			assert.Equal(t, string(full[max(0, len(full)-tailSize):]), r.Tail)
		})
	}
}

func TestTimeoutKillsTheTree(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"grandchild in the group", "sh -c 'sleep 1000 & echo grandchild $!; wait' &\nwait\n"},
		{"grandchild ignores SIGTERM", "trap '' TERM\nsh -c 'sleep 1000 & echo grandchild $!; wait' &\nwait\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each waits for its timeout
			w := newWatcher()
			s := spec(script(t, tt.body), nil)
			s.Log = w
			s.Timeout = 3 * time.Second
			s.TermGrace = 300 * time.Millisecond
			r, err := Run(context.Background(), s)
			require.NoError(t, err)
			assert.True(t, r.TimedOut)
			assert.Equal(t, manifest.OutcomeFailed, r.Outcome)
			assert.Equal(t, "did not finish within 3s; the whole process tree was killed", r.Reason)
			requireGone(t, w.next(t))
			require.ErrorContains(t, r.Err(), "did not finish within 3s")
		})
	}
}

func TestCancelKillsTheTreeAndEscapees(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("finding processes that left the group needs /proc")
	}
	body := "sh -c 'sleep 1000 & echo grandchild $!; wait' &\n" +
		"setsid sh -c 'echo grandchild $$; exec sleep 1000' &\n" +
		"wait\n"
	w := newWatcher()
	s := spec(script(t, body), nil)
	s.Log = w
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type ran struct {
		r   Result
		err error
	}
	done := make(chan ran, 1)
	go func() {
		r, err := Run(ctx, s)
		done <- ran{r, err}
	}()
	first, second := w.next(t), w.next(t)
	cancel()

	got := <-done
	require.NoError(t, got.err)
	assert.True(t, got.r.Cancelled)
	assert.Equal(t, manifest.OutcomeCancelled, got.r.Outcome)
	require.ErrorIs(t, got.r.Err(), context.Canceled)
	requireGone(t, first)
	requireGone(t, second)
}

func TestStrayProcessesAreKilledAndReported(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		linux bool // needs the token search of /proc
	}{
		{"background child", "sleep 1000 &\necho grandchild $!\n", false},
		{"child in its own session", "setsid sleep 1000 &\necho grandchild $!\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.linux && runtime.GOOS != "linux" {
				t.Skip("finding processes that left the group needs /proc")
			}
			w := newWatcher()
			s := spec(script(t, tt.body), nil)
			s.Log = w
			r, err := Run(context.Background(), s)
			require.NoError(t, err)
			child := w.next(t)
			requireGone(t, child)

			assert.Equal(t, 0, r.ExitCode)
			assert.Equal(t, manifest.OutcomeFailed, r.Outcome)
			require.Len(t, r.Stray, 1)
			assert.Equal(t, child.pid, r.Stray[0].PID)
			assert.Equal(t, "sleep 1000", r.Stray[0].Command)
			assert.Equal(t, fmt.Sprintf("exited 0 (success) but left 1 process running (pid %d: sleep 1000); "+
				"it was killed — an installer must wait for every process it starts", child.pid), r.Reason)
		})
	}
}

func TestChildrenThatFinishWithinGraceAreNotStrays(t *testing.T) {
	var log bytes.Buffer
	s := spec(script(t, "(sleep 0.2; echo late) &\necho early\n"), &log)
	s.StrayGrace = deadline
	r, err := Run(context.Background(), s)
	require.NoError(t, err)
	assert.Equal(t, manifest.OutcomeSuccess, r.Outcome, r.Reason)
	assert.Empty(t, r.Stray)
	assert.Equal(t, "early\nlate\n", log.String())
}

func TestEscapeeHoldingStdoutCannotHangRun(t *testing.T) {
	// No token, no group: nothing finds this one, and it keeps the output pipe open. Run must
	// return anyway; the test cleans it up.
	w := newWatcher()
	s := spec(script(t, "env -i setsid sleep 1000 &\necho grandchild $!\n"), nil)
	s.Log = w
	r, err := Run(context.Background(), s)
	require.NoError(t, err)
	escapee := w.next(t)
	t.Cleanup(func() { _ = syscall.Kill(escapee.pid, syscall.SIGKILL) })
	assert.Equal(t, manifest.OutcomeSuccess, r.Outcome, "an escapee that clears its environment is not found")
}

func TestStartedGetsPIDAndStartTime(t *testing.T) {
	var log bytes.Buffer
	s := spec(script(t, "echo $$\n"), &log)
	var got Process
	var startNow uint64
	var startErr error
	s.Started = func(p Process) {
		got = p
		startNow, startErr = proc.StartTime(p.PID) // not reaped before Started returns
	}
	r, err := Run(context.Background(), s)
	require.NoError(t, err)
	require.NoError(t, startErr)
	assert.Equal(t, startNow, got.StartTime)
	assert.NotZero(t, got.StartTime)
	assert.Equal(t, fmt.Sprint(got.PID), strings.TrimSpace(log.String()))
	assert.Len(t, got.Token, 32)
	assert.Equal(t, manifest.OutcomeSuccess, r.Outcome)
}

func TestGivenTokenIsUsed(t *testing.T) {
	var log bytes.Buffer
	s := spec(script(t, "echo \"$ISCDESK_STEP\"\n"), &log)
	s.Token = "journaled-before-start"
	var got Process
	s.Started = func(p Process) { got = p }
	_, err := Run(context.Background(), s)
	require.NoError(t, err)
	assert.Equal(t, "journaled-before-start", got.Token)
	assert.Equal(t, "journaled-before-start\n", log.String())
}

func TestCannotStart(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plain.txt"), []byte("echo hi\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "noshebang"), []byte{0x7f, 'E', 'L', 'F', 0, 0}, 0o755))
	tests := []struct {
		name string
		args []string
		dir  string
		env  []string
		want []string
	}{
		{"empty command", nil, dir, nil, []string{"empty command"}},
		{"not in PATH", []string{"iscdesk-no-such-command"}, dir, nil, []string{"iscdesk-no-such-command", "not found in PATH"}},
		{"missing in package", []string{"./setup.sh"}, dir, nil, []string{"./setup.sh", "not found in " + dir}},
		{"missing absolute", []string{"/opt/none/setup.sh"}, dir, nil, []string{"not found in /opt/none"}},
		{"not executable", []string{"./plain.txt"}, dir, nil, []string{"not executable", "executable bit"}},
		{"not a program", []string{"./noshebang"}, dir, nil, []string{"exec format error", "#! line"}},
		{"missing folder", []string{"/bin/true"}, filepath.Join(dir, "gone"), nil, []string{"working directory", "staged"}},
		{"bad env entry", []string{"/bin/true"}, dir, []string{"NOEQUALS"}, []string{`"NOEQUALS" is not KEY=VALUE`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), Spec{Args: tt.args, Dir: tt.dir, Env: tt.env})
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestStdinIsEmpty(t *testing.T) {
	// A silent installer that prompts anyway must see end of input, not hang on the agent's stdin.
	var log bytes.Buffer
	r, err := Run(context.Background(), spec(script(t, "read answer\necho \"read:$?:$answer\"\n"), &log))
	require.NoError(t, err)
	assert.Equal(t, manifest.OutcomeSuccess, r.Outcome)
	assert.Equal(t, "read:1:\n", log.String())
}

func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	s := Spec{Args: []string{"/bin/sh", "-c", "touch " + marker}, Dir: dir, Started: func(Process) { t.Error("started") }}
	r, err := Run(ctx, s)
	require.NoError(t, err)
	assert.Equal(t, manifest.OutcomeCancelled, r.Outcome)
	assert.ErrorIs(t, r.Err(), context.Canceled)
	assert.NoFileExists(t, marker)
}

func TestBareNameFoundInPath(t *testing.T) {
	var log bytes.Buffer
	r, err := Run(context.Background(), Spec{Args: []string{"echo", "hello"}, Dir: t.TempDir(), Log: &log})
	require.NoError(t, err)
	assert.Equal(t, manifest.OutcomeSuccess, r.Outcome)
	assert.Equal(t, "hello\n", log.String())
}

func BenchmarkRunTrue(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		r, err := Run(context.Background(), Spec{Args: []string{"/bin/true"}, Dir: dir})
		if err != nil || r.Outcome != manifest.OutcomeSuccess {
			b.Fatal(err, r.Reason)
		}
	}
}

// BenchmarkExecTrue is the floor for BenchmarkRunTrue: the same process, bare.
func BenchmarkExecTrue(b *testing.B) {
	for b.Loop() {
		if err := exec.Command("/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
	}
}
