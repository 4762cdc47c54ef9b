package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/journal"
)

// The crash test runs the engine in a real child process (this test binary, re-executed), lets it
// journal its way to one point of a job, kills it there with SIGKILL, runs recovery, and checks that
// the end state tells the truth.

const crashChildEnv = "ISCDESK_ENGINE_CRASH_CHILD"

// crashChild is what the child process is asked to do.
type crashChild struct {
	StateDir, InstallRoot string
	Action                journal.Action
	Source, PackageID     string
	KillAt                string // the journal point at which it stops and waits to be killed
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		os.Exit(runCrashChild(spec))
	}
	os.Exit(m.Run())
}

// runCrashChild runs one job, printing every journal point it passes; at KillAt it stops and waits.
func runCrashChild(spec string) int {
	var c crashChild
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintln(os.Stderr, "bad child spec:", err)
		return 2
	}
	e, err := Open(Config{StateDir: c.StateDir, InstallRoot: c.InstallRoot, StrayGrace: 500 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var mu sync.Mutex
	e.afterJournal = func(point string, _ *journal.Job) {
		mu.Lock()
		fmt.Printf("POINT %s\n", point)
		mu.Unlock()
		if point == c.KillAt {
			select {} // wait here for SIGKILL
		}
	}
	job, err := e.Do(context.Background(), Request{Action: c.Action, Source: c.Source, PackageID: c.PackageID})
	if err != nil && job == nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("FINISHED")
	return 0
}

// crashCase is one cell of the matrix.
type crashCase struct {
	example string // folder under packaging/examples
	action  journal.Action
	point   string        // journal point to kill at
	after   time.Duration // how long after reaching it (the vendor command runs meanwhile)
}

func (c crashCase) name() string {
	n := string(c.action) + "@" + strings.ReplaceAll(c.point, "/", "-")
	if c.after > 0 {
		n += "+" + c.after.String()
	}
	return n
}

// examples and what each must end as when nothing interrupts it.
var crashExamples = []struct {
	dir, id string
	// installOK: the install ends done and detected; otherwise failed and absent.
	installOK bool
	// uninstallOK: the uninstall ends done and absent; otherwise failed and still detected, or done with leftovers listed.
	uninstallClean bool
}{
	{"solver", "demo-solver", true, true},
	{"cad-viewer", "cad-viewer", true, true},
	{"driver-kit", "driver-kit", true, true},
	{"broken-installer", "broken-installer", false, true},
	{"stubborn-uninstall", "legacy-plugin", true, false},
}

func crashPoints(action journal.Action, overwriteSafe bool) []crashCase {
	var pts []crashCase
	add := func(p string, after time.Duration) {
		pts = append(pts, crashCase{action: action, point: p, after: after})
	}
	switch action {
	case journal.ActionInstall:
		add("staging", 0)
		add("staged", 0)
		add("installing/install", 0)
		add("installing/install:starting", 0)
		add("installing/install:started", 0)
		add("installing/install:started", 1200*time.Millisecond) // in the middle of the vendor's install
		add("installing/install:exited", 0)
		add("detecting", 0)
	case journal.ActionUninstall:
		add("staged", 0)
		add("installing/uninstall", 0)
		add("installing/uninstall:started", 0)
		add("installing/uninstall:started", 300*time.Millisecond)
		add("installing/uninstall:exited", 0)
		add("detecting", 0)
	case journal.ActionRepair:
		add("staged", 0)
		if overwriteSafe {
			add("installing/install", 0)
			add("installing/install:started", 1200*time.Millisecond)
		} else {
			add("installing/cleanup", 0)
			add("installing/cleanup:started", 200*time.Millisecond)
			add("installing/install", 0)
			add("installing/install:started", 1200*time.Millisecond)
		}
		add("detecting", 0)
	}
	return pts
}

func examplesDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "packaging", "examples"))
	require.NoError(t, err)
	return dir
}

// TestCrashMatrix kills the engine at every point of install, uninstall and repair of every example
// package, recovers, and checks the end state.
func TestCrashMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash matrix runs real installs; skipped with -short")
	}
	examples := examplesDir(t)
	var (
		mu     sync.Mutex
		matrix []string
	)
	t.Run("matrix", func(t *testing.T) {
		for _, ex := range crashExamples {
			overwriteSafe := ex.dir == "solver" || ex.dir == "driver-kit" || ex.dir == "stubborn-uninstall"
			var cases []crashCase
			cases = append(cases, crashPoints(journal.ActionInstall, overwriteSafe)...)
			if ex.installOK {
				cases = append(cases, crashPoints(journal.ActionUninstall, overwriteSafe)...)
				cases = append(cases, crashPoints(journal.ActionRepair, overwriteSafe)...)
			}
			for _, c := range cases {
				c.example = ex.dir
				ex := ex
				t.Run(ex.dir+"/"+c.name(), func(t *testing.T) {
					t.Parallel()
					outcome := runCrashCase(t, filepath.Join(examples, ex.dir), ex.id, ex.installOK, ex.uninstallClean, c)
					mu.Lock()
					matrix = append(matrix, fmt.Sprintf("%-20s %-10s %-36s %s", ex.id, c.action, c.point+plusAfter(c.after), outcome))
					mu.Unlock()
				})
			}
		}
	})
	sort.Strings(matrix)
	t.Logf("crash matrix (package × action × kill point → end state after recovery):\n%-20s %-10s %-36s %s\n%s",
		"package", "action", "killed at", "after recovery", strings.Join(matrix, "\n"))
	fmt.Printf("\ncrash matrix: %d cells\n%s\n", len(matrix), strings.Join(matrix, "\n"))
}

func plusAfter(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return " +" + d.String()
}

// runCrashCase runs one cell and returns a one-line description of the end state.
func runCrashCase(t *testing.T, src, id string, installOK, uninstallClean bool, c crashCase) string {
	state, root := t.TempDir(), t.TempDir()
	cfg := Config{StateDir: state, InstallRoot: root, StrayGrace: 500 * time.Millisecond}
	if c.action != journal.ActionInstall {
		e, err := Open(cfg)
		require.NoError(t, err)
		_, err = e.Do(context.Background(), Request{Action: journal.ActionInstall, Source: src})
		require.NoError(t, err, "installing before the %s", c.action)
		require.NoError(t, e.Close())
	}

	child := crashChild{StateDir: state, InstallRoot: root, Action: c.action, KillAt: c.point}
	if c.action == journal.ActionInstall {
		child.Source = src
	} else {
		child.PackageID = id
	}
	reached := killChildAt(t, child, c.after)
	if installOK {
		// Every point of a job that succeeds is passed: a point never reached means the kill was never
		// tested, and the cell would prove nothing.
		require.True(t, reached, "the job never reached %s", c.point)
	}

	e, err := Open(cfg)
	require.NoError(t, err)
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = e.Recover(ctx)
	require.NoError(t, err)

	jobs, err := e.Journal().List()
	require.NoError(t, err)
	job := jobs[0] // newest: the one the child ran
	require.True(t, job.State.Final(), "job %s is still %s after recovery", job.ID, job.State)
	inv, err := e.Inventory(ctx)
	require.NoError(t, err)
	var detected bool
	for _, s := range inv {
		if s.ID == id {
			detected = s.Detected
		}
	}
	installDir := filepath.Join(root, id)
	left, _ := leftovers(installDir)

	switch c.action {
	case journal.ActionInstall, journal.ActionRepair:
		if installOK {
			assert.Equal(t, journal.StateDone, job.State, "reason: %s", job.Reason)
			assert.True(t, detected, "the job is done but detection does not find %s", id)
		} else {
			assert.Equal(t, journal.StateFailed, job.State)
			assert.False(t, detected)
			assert.NotEmpty(t, job.Reason)
			assert.Empty(t, left, "a failed install that rolls back must leave nothing")
		}
	case journal.ActionUninstall:
		if uninstallClean {
			assert.Equal(t, journal.StateDone, job.State, "reason: %s", job.Reason)
			assert.False(t, detected)
			assert.NoDirExists(t, installDir, "a clean uninstall leaves nothing")
		} else {
			// The truth either way: done means absent with the leftovers listed; failed means still there.
			if job.State == journal.StateDone {
				assert.False(t, detected)
				assert.Equal(t, left, job.Leftovers)
			} else {
				assert.Equal(t, journal.StateFailed, job.State)
				assert.True(t, detected)
			}
			assert.NotEmpty(t, left, "this uninstall leaves files behind, and they must be listed")
		}
	}
	// Never "installed" when detection says otherwise.
	if rec, err := e.Journal().GetInstalled(id); err == nil {
		assert.True(t, detected, "the inventory record says %s %s is installed, detection disagrees", rec.ID, rec.Version)
	}
	assertNoProcessIn(t, installDir)

	out := string(job.State)
	if job.State == journal.StateDone && job.RebootRequired {
		out += " (reboot required)"
	}
	if detected {
		out += ", detected"
	} else {
		out += ", absent"
	}
	if c.action == journal.ActionUninstall && len(left) > 0 {
		out += fmt.Sprintf(", %d files left behind", len(left))
	}
	if !reached {
		out += " [job ended before the point]"
	}
	return out
}

// killChildAt starts the engine in a child process and SIGKILLs it `after` it reaches child.KillAt. It
// reports whether the point was reached (a job that fails early never gets to later points).
func killChildAt(t *testing.T, child crashChild, after time.Duration) bool {
	spec, err := json.Marshal(child)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+string(spec))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	reached := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == "POINT "+child.KillAt {
			reached = true
			time.Sleep(after)
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			break
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	if reached {
		require.Error(t, err, "the child should have died of SIGKILL")
	} else {
		require.NoError(t, err, "child: %s", stderr.String())
	}
	return reached
}

// assertNoProcessIn fails when a process of the package (one whose environment names its install
// folder) is still running.
func assertNoProcessIn(t *testing.T, installDir string) {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return // not linux
	}
	needle := []byte("ISCDESK_INSTALL_DIR=" + installDir + "\x00")
	for _, ent := range entries {
		env, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "environ"))
		if err == nil && strings.Contains(string(env), string(needle)) {
			cmdline, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
			t.Errorf("a process of the package is still running: pid %s %q", ent.Name(), strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
}
