package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/manifest"
)

// events collects what an engine told its watcher.
type events struct {
	mu   sync.Mutex
	list []Event
}

func (ev *events) add(e Event) { ev.mu.Lock(); ev.list = append(ev.list, e); ev.mu.Unlock() }

func (ev *events) messages() []string {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var out []string
	for _, e := range ev.list {
		out = append(out, string(e.Job.State)+" "+e.Point+" "+e.Message)
	}
	return out
}

func newEngine(t *testing.T, mod ...func(*Config)) (*Engine, *events) {
	t.Helper()
	ev := &events{}
	cfg := Config{StateDir: t.TempDir(), InstallRoot: t.TempDir(), Events: ev.add, StrayGrace: 300 * time.Millisecond}
	for _, m := range mod {
		m(&cfg)
	}
	e, err := Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e, ev
}

func example(t *testing.T, name string) string {
	return filepath.Join(examplesDir(t), name)
}

func detected(t *testing.T, e *Engine, id string) Status {
	t.Helper()
	inv, err := e.Inventory(context.Background())
	require.NoError(t, err)
	for _, s := range inv {
		if s.ID == id {
			return s
		}
	}
	return Status{}
}

func TestInstallThenUninstallSolver(t *testing.T) {
	t.Parallel()
	e, ev := newEngine(t)
	ctx := context.Background()

	job, err := e.Do(ctx, Request{Action: journal.ActionInstall, Source: example(t, "solver")})
	require.NoError(t, err)
	assert.Equal(t, journal.StateDone, job.State)
	assert.Equal(t, "success", job.Outcome)
	st := detected(t, e, "demo-solver")
	assert.True(t, st.Detected, st.Detail)
	assert.Equal(t, "2.1.0", st.DetectedVersion)

	// Every step was journaled, in order.
	var states []string
	for _, h := range job.History {
		states = append(states, string(h.State))
	}
	assert.Equal(t, []string{"queued", "staging", "staged", "installing", "detecting", "done"}, dedupe(states))
	all := strings.Join(ev.messages(), "\n")
	assert.Contains(t, all, "installing/install:started")
	assert.Contains(t, all, "the install of demo-solver 2.1.0 is running (pid ", "events say in words what happens")

	// The vendor's output is in the job log.
	logText, err := os.ReadFile(job.LogFile)
	require.NoError(t, err)
	assert.Contains(t, string(logText), "install step, mode install, attempt 1")

	// The staged package is root-only.
	fi, err := os.Stat(filepath.Dir(job.PackageDir))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	job, err = e.Do(ctx, Request{Action: journal.ActionUninstall, PackageID: "demo-solver"})
	require.NoError(t, err)
	assert.Equal(t, journal.StateDone, job.State)
	assert.Empty(t, job.Leftovers)
	assert.NoDirExists(t, job.InstallDir)
	_, err = e.Journal().GetInstalled("demo-solver")
	assert.Error(t, err, "the inventory record goes with the software")
	assert.NoDirExists(t, job.PackageDir, "the kept package is removed with the software")
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

func TestRepairOfNotOverwriteSafePackageCleansUpFirst(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ctx := context.Background()
	job, err := e.Do(ctx, Request{Action: journal.ActionInstall, Source: example(t, "cad-viewer")})
	require.NoError(t, err)
	// Someone broke the install: a half-done marker, a file gone.
	require.NoError(t, os.WriteFile(filepath.Join(job.InstallDir, ".install-in-progress"), nil, 0o644))

	job, err = e.Do(ctx, Request{Action: journal.ActionRepair, PackageID: "cad-viewer"})
	require.NoError(t, err)
	var phases []string
	for _, h := range job.History {
		if h.Phase != "" {
			phases = append(phases, h.Phase)
		}
	}
	assert.Equal(t, []string{PhaseCleanup, PhaseInstall}, dedupe(phases))
	assert.Equal(t, ModeOverwrite, job.Mode)
	assert.NoFileExists(t, filepath.Join(job.InstallDir, ".install-in-progress"))
	assert.True(t, detected(t, e, "cad-viewer").Detected)
}

func TestOverwriteInstall(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ctx := context.Background()
	_, err := e.Do(ctx, Request{Action: journal.ActionInstall, Source: example(t, "solver")})
	require.NoError(t, err)
	stray := filepath.Join(e.cfg.InstallRoot, "demo-solver", "stray-file")
	require.NoError(t, os.WriteFile(stray, []byte("x"), 0o644))
	job, err := e.Do(ctx, Request{Action: journal.ActionOverwrite, Source: example(t, "solver")})
	require.NoError(t, err)
	assert.Equal(t, journal.StateDone, job.State)
	assert.NoFileExists(t, stray, "an overwrite install starts from an empty folder")
	assert.True(t, detected(t, e, "demo-solver").Detected)
}

func TestRebootRequired(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	job, err := e.Do(context.Background(), Request{Action: journal.ActionInstall, Source: example(t, "driver-kit")})
	require.NoError(t, err)
	assert.Equal(t, journal.StateDone, job.State)
	assert.True(t, job.RebootRequired)
	assert.Equal(t, string(manifest.OutcomeReboot), job.Outcome)
	assert.Equal(t, 194, job.ExitCode, "3010 does not fit in a unix exit status; the package maps 194 to reboot")
	rec, err := e.Journal().GetInstalled("driver-kit")
	require.NoError(t, err)
	assert.True(t, rec.RebootRequired)
}

func TestFailedInstallTellsWhy(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	job, err := e.Do(context.Background(), Request{Action: journal.ActionInstall, Source: example(t, "broken-installer")})
	require.Error(t, err)
	assert.Equal(t, journal.StateFailed, job.State)
	assert.Equal(t, 67, job.ExitCode)
	assert.Contains(t, job.Reason, "67")
	assert.Contains(t, job.Reason, "libfluxsolve", "the reason carries the tail of the vendor's output")
	assert.Contains(t, job.Reason, job.LogFile)
	_, err = e.Journal().GetInstalled("broken-installer")
	assert.Error(t, err)
	assert.False(t, detected(t, e, "broken-installer").Detected)
}

func TestUninstallGoesOnAfterErrorsAndListsLeftovers(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ctx := context.Background()
	_, err := e.Do(ctx, Request{Action: journal.ActionInstall, Source: example(t, "stubborn-uninstall")})
	require.NoError(t, err)
	job, err := e.Do(ctx, Request{Action: journal.ActionUninstall, PackageID: "legacy-plugin"})
	left, _ := leftovers(job.InstallDir)
	require.NotEmpty(t, left)
	assert.Equal(t, left, job.Leftovers)
	assert.Equal(t, 1, job.ExitCode)
	if job.State == journal.StateDone {
		require.NoError(t, err)
		assert.False(t, detected(t, e, "legacy-plugin").Detected)
		assert.Contains(t, strings.Join(job.Warnings, "\n"), "left")
	} else {
		require.Error(t, err)
		assert.Contains(t, job.Reason, "still installed")
		assert.True(t, detected(t, e, "legacy-plugin").Detected)
	}
}

func TestSecondJobOfOnePackageIsRefused(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	first, err := e.Submit(Request{Action: journal.ActionInstall, Source: example(t, "solver")})
	require.NoError(t, err)
	_, err = e.Submit(Request{Action: journal.ActionInstall, Source: example(t, "solver")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), first.ID)
	assert.Contains(t, err.Error(), "wait for it")
}

func TestOneInstallStepAtATimeOnTheMachine(t *testing.T) {
	t.Parallel()
	lock := filepath.Join(t.TempDir(), "install.lock")
	a, _ := newEngine(t, func(c *Config) { c.LockPath = lock })
	b, evB := newEngine(t, func(c *Config) { c.LockPath = lock })
	ctx := context.Background()
	jobA, err := a.Submit(Request{Action: journal.ActionInstall, Source: example(t, "solver")})
	require.NoError(t, err)
	started := make(chan struct{})
	a.afterJournal = func(point string, _ *journal.Job) {
		if point == "installing/install:started" {
			close(started)
		}
	}
	errA := make(chan error, 1)
	go func() { _, err := a.Run(ctx, jobA.ID); errA <- err }()
	<-started
	_, err = b.Do(ctx, Request{Action: journal.ActionInstall, Source: example(t, "cad-viewer")})
	require.NoError(t, err)
	require.NoError(t, <-errA)
	assert.Contains(t, strings.Join(evB.messages(), "\n"), "waiting: another install step is running")
}

// writePackage writes a package folder with a package.yaml whose linux/darwin platforms run install.
func writePackage(t *testing.T, install, extra string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	platform := `    installer:
      type: script
      install: ` + install + `
      uninstall: [sh, -c, "rm -rf \"$ISCDESK_INSTALL_DIR\""]
    timeout: 2s
    on_interrupt: continue
    detect:
      - file: "{{.InstallDir}}/ok"
` + extra
	yaml := "format: 1\nid: bad-pkg\nname: Bad\nversion: 1.0.0\npublisher: Tests\nplatforms:\n  linux:\n" + platform + "  darwin:\n" + platform
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.yaml"), []byte(yaml), 0o644))
	for name, body := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755))
	}
	return dir
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name   string
		pkg    func(t *testing.T) string
		submit string // the error Submit gives, or "" when the job runs
		reason string // what the failed job's reason says
	}{
		{
			name: "malformed manifest",
			pkg: func(t *testing.T) string {
				dir := t.TempDir()
				require.NoError(t, os.WriteFile(filepath.Join(dir, "package.yaml"), []byte("format: 1\nid: x\nname: X\nversion: 1.0\npublisher: P\nplatforms:\n  linux:\n    instaler: {}\n"), 0o644))
				return dir
			},
			submit: "package.yaml:8",
		},
		{
			name: "missing payload",
			pkg: func(t *testing.T) string {
				return writePackage(t, `[sh, install.sh]`, "", map[string]string{"install.sh": "set -e\ncp payload/tool.bin \"$ISCDESK_INSTALL_DIR/\"\n"})
			},
			reason: "payload/tool.bin",
		},
		{
			name:   "command not found",
			pkg:    func(t *testing.T) string { return writePackage(t, `[no-such-installer, --silent]`, "", nil) },
			reason: "no-such-installer",
		},
		{
			name:   "script that hangs",
			pkg:    func(t *testing.T) string { return writePackage(t, `[sh, -c, "sleep 600"]`, "", nil) },
			reason: "2s",
		},
		{
			name: "background process left running",
			pkg: func(t *testing.T) string {
				return writePackage(t, `[sh, -c, "touch \"$ISCDESK_INSTALL_DIR/ok\"; sleep 600 & exit 0"]`, "", nil)
			},
			reason: "left 1 process running",
		},
		{
			name: "symlink out of the package",
			pkg: func(t *testing.T) string {
				dir := writePackage(t, `[sh, install.sh]`, "", map[string]string{"install.sh": "exit 0\n"})
				require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "passwd")))
				return dir
			},
			reason: "passwd",
		},
		{
			name: "license path out of the install folder",
			pkg: func(t *testing.T) string {
				return writePackage(t, `[sh, -c, "exit 0"]`, "    license:\n      path: \"{{.InstallDir}}/../../etc/iscdesk.lic\"\n", nil)
			},
			submit: "license",
		},
		{
			name: "not enough disk space",
			pkg: func(t *testing.T) string {
				return writePackage(t, `[sh, -c, "exit 0"]`, "    disk_space: 900TiB\n", nil)
			},
			submit: "disk_space",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, _ := newEngine(t)
			src := c.pkg(t)
			job, err := e.Submit(Request{Action: journal.ActionInstall, Source: src})
			if c.submit != "" {
				if err == nil {
					// Some faults are only seen when the job runs: the journal must then say so.
					job, err = e.Run(ctx, job.ID)
					require.Error(t, err)
					assert.Equal(t, journal.StateFailed, job.State)
				}
				assert.Contains(t, err.Error(), c.submit)
				return
			}
			require.NoError(t, err)
			job, err = e.Run(ctx, job.ID)
			require.Error(t, err)
			assert.Equal(t, journal.StateFailed, job.State)
			assert.Contains(t, job.Reason, c.reason)
			assert.Equal(t, job.Reason, strings.TrimPrefix(err.Error(), "job "+job.ID+" failed: "))
			_, gerr := e.Journal().GetInstalled("bad-pkg")
			assert.Error(t, gerr, "a failed install is never in the inventory")
			assertNoProcessIn(t, job.InstallDir)
		})
	}
}

// TestFullDiskWhileStaging stages onto a real, tiny tmpfs.
func TestFullDiskWhileStaging(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	state := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", state).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", state).Run() })
	big := strings.Repeat("x", 3<<20)
	src := writePackage(t, `[sh, -c, "exit 0"]`, "", map[string]string{"payload/big.bin": big})
	e, err := Open(Config{StateDir: state, InstallRoot: t.TempDir()})
	require.NoError(t, err)
	defer e.Close()
	job, err := e.Do(context.Background(), Request{Action: journal.ActionInstall, Source: src})
	require.Error(t, err)
	assert.Equal(t, journal.StateFailed, job.State)
	assert.Regexp(t, `(?i)disk|space`, job.Reason)
	entries, _ := os.ReadDir(filepath.Join(state, "packages"))
	assert.Empty(t, entries, "nothing partial is left in the staging folder")
}

func TestOldJobsArePrunedWithTheirLogs(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, func(c *Config) { c.KeepJobs = 2 })
	ctx := context.Background()
	var jobs []*journal.Job
	for i := 0; i < 3; i++ {
		job, err := e.Do(ctx, Request{Action: journal.ActionInstall, Source: writePackage(t, `[sh, -c, "touch \"$ISCDESK_INSTALL_DIR/ok\""]`, "", nil)})
		require.NoError(t, err)
		jobs = append(jobs, job)
	}
	left, err := e.Journal().List()
	require.NoError(t, err)
	require.Len(t, left, 2)
	assert.Equal(t, jobs[2].ID, left[0].ID)
	assert.NoFileExists(t, jobs[0].LogFile, "a pruned job's log goes with it")
	assert.FileExists(t, jobs[2].LogFile)
}
