// Package examples_test runs the example packages' install.sh and uninstall.sh as the agent would:
// real sh processes with cwd = a copy of the package folder and the ISCDESK_* environment, over a
// temporary install folder. It checks the effects on disk, the exit codes, and that each package's
// detection rules agree with what its scripts leave behind.
package examples_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

const (
	// A Unix exit status keeps the low 8 bits: the scripts exit with Windows' codes mod 256.
	exitReboot         = 3010 % 256 // 194, driver-kit
	exitInstallFailure = 1603 % 256 // 67, broken-installer

	// runTimeout bounds one script run; the slowest takes about 3 s, this is for a loaded machine.
	runTimeout = 2 * time.Minute
)

type example struct {
	dir, id, version string
	onInterrupt      manifest.InterruptPolicy
}

var examples = []example{
	{"solver", "demo-solver", "2.1.0", manifest.OnInterruptContinue},
	{"cad-viewer", "cad-viewer", "5.0.0", manifest.OnInterruptOverwrite},
	{"driver-kit", "driver-kit", "1.4.0", manifest.OnInterruptContinue},
	{"broken-installer", "broken-installer", "0.9.0", manifest.OnInterruptOverwrite},
	{"stubborn-uninstall", "legacy-plugin", "3.2.0", manifest.OnInterruptContinue},
}

func TestManifests(t *testing.T) {
	t.Parallel()
	for _, ex := range examples {
		t.Run(ex.dir, func(t *testing.T) {
			t.Parallel()
			m, err := manifest.Load(filepath.Join(ex.dir, "package.yaml"))
			require.NoError(t, err)
			assert.Equal(t, manifest.FormatVersion, m.Format)
			assert.Equal(t, ex.id, m.ID)
			assert.Equal(t, ex.version, m.Version)
			assert.NotEmpty(t, m.Name)
			assert.NotEmpty(t, m.Publisher)
			for _, goos := range []string{"linux", "darwin"} {
				p := m.Platforms[goos]
				require.NotNil(t, p, "platforms.%s", goos)
				assert.Equal(t, manifest.TypeScript, p.Installer.Type, goos)
				assert.Equal(t, []string{"sh", "install.sh"}, p.Installer.Install, goos)
				assert.Equal(t, []string{"sh", "uninstall.sh"}, p.Installer.Uninstall, goos)
				assert.Equal(t, ex.onInterrupt, p.OnInterrupt, goos)
				assert.NotEmpty(t, p.Detect, goos)
				assert.Positive(t, p.DiskSpace, goos)
			}
			assert.FileExists(t, filepath.Join(ex.dir, "install.sh"))
			assert.FileExists(t, filepath.Join(ex.dir, "uninstall.sh"))
			assert.DirExists(t, filepath.Join(ex.dir, "payload"))
		})
	}
}

func TestScriptsRefuseABadEnvironment(t *testing.T) {
	t.Parallel()
	keep := func(abs string) string { return abs }
	unset := func(string) string { return "" }
	relative := func(string) string { return "relative/dir" }
	cases := []struct {
		name, script, mode string
		installDir         func(staged string) string // the ISCDESK_INSTALL_DIR to give
		want               string
	}{
		{"install without an install folder", "install.sh", "install", unset, "ISCDESK_INSTALL_DIR is not set"},
		{"install into a relative folder", "install.sh", "install", relative, "is not an absolute path"},
		{"install in uninstall mode", "install.sh", "uninstall", keep, "is not an install mode"},
		{"uninstall without an install folder", "uninstall.sh", "uninstall", unset, "ISCDESK_INSTALL_DIR is not set"},
	}
	for _, ex := range examples {
		for _, c := range cases {
			t.Run(ex.dir+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				p := stage(t, ex.dir)
				p.installDir = c.installDir(p.installDir)
				r := p.run(t, c.script, c.mode)
				assert.Equal(t, 1, r.code, r)
				assert.Contains(t, r.stderr, c.want)
				if filepath.IsAbs(p.installDir) {
					assert.NoDirExists(t, p.installDir, "nothing may be written on a refusal")
				} else {
					assert.NoDirExists(t, filepath.Join(p.dir, "relative"), "nothing may be written on a refusal")
				}
			})
		}
	}
}

// TestSolver installs once and runs its steps in order on that install: the install takes 3 s.
func TestSolver(t *testing.T) {
	t.Parallel()
	p := stage(t, "solver")

	r := p.run(t, "install.sh", "install")
	require.Equal(t, 0, r.code, r)
	p.requireDetected(t)
	assert.Equal(t, "2.1.0\n", p.read(t, "VERSION"))
	assert.Contains(t, p.log(t), "step 6/6")

	// .installed-files lists exactly the files there are, so the uninstall misses none.
	recorded := strings.Fields(p.read(t, ".installed-files"))
	assert.ElementsMatch(t, recorded, p.files(t))

	t.Run("materials", func(t *testing.T) {
		csv := strings.Split(strings.TrimSpace(p.read(t, "share/materials.csv")), "\n")
		assert.Greater(t, len(csv), 200, "the materials table has a few hundred rows")
		for _, row := range csv {
			assert.Len(t, strings.Split(row, ","), 4, "row %q", row)
		}
		assert.Contains(t, p.runInstalled(t, 0, "bin/solver", "material", "titanium-g42"), "titanium-g42: density")
		assert.Contains(t, p.runInstalled(t, 1, "bin/solver", "material", "unobtainium"), `no material named "unobtainium"`)
	})

	t.Run("solve", func(t *testing.T) { testSolve(t, p) })

	t.Run("uninstall keeps files it did not install", func(t *testing.T) {
		lic := filepath.Join(p.installDir, "license", "solver.lic")
		require.NoError(t, os.MkdirAll(filepath.Dir(lic), 0o755))
		require.NoError(t, os.WriteFile(lic, []byte("license\n"), 0o600))

		r := p.run(t, "uninstall.sh", "uninstall")
		require.Equal(t, 0, r.code, r)
		assert.Contains(t, r.stdout, "license/solver.lic")
		assert.Equal(t, []string{"license/solver.lic"}, p.files(t), "only the file the package did not install is left")
		p.requireNotDetected(t)
	})

	t.Run("uninstall again", func(t *testing.T) {
		// The agent removes the license it placed; then an uninstall finds nothing of the package
		// but removes the folder, and one more run finds no folder. Both succeed.
		require.NoError(t, os.RemoveAll(filepath.Join(p.installDir, "license")))
		for i := range 2 {
			r := p.run(t, "uninstall.sh", "uninstall")
			require.Equal(t, 0, r.code, "run %d: %v", i+1, r)
			assert.NoDirExists(t, p.installDir, "after run %d", i+1)
		}
	})
}

func testSolve(t *testing.T, p *pkg) {
	cases := []struct {
		name string
		a    [][]float64
		x    []float64
	}{
		{"one unknown", [][]float64{{4}}, []float64{2.5}},
		{"three unknowns, zero first pivot", [][]float64{{0, 2, 1}, {1, -1, 3}, {2, 1, -1}}, []float64{1, -2, 3}},
		{"four unknowns", [][]float64{{10, -1, 2, 0}, {-1, 11, -1, 3}, {2, -1, 10, -1}, {0, 3, -1, 8}}, []float64{1, 2, -1, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Build A x = b from a chosen x, so the answer is known without solving.
			var in strings.Builder
			for _, row := range c.a {
				b := 0.0
				for j, aij := range row {
					fmt.Fprintf(&in, "%g ", aij)
					b += aij * c.x[j]
				}
				fmt.Fprintf(&in, "%g\n", b)
			}
			out := p.runInstalledWithInput(t, 0, in.String(), "bin/solver", "solve")
			got := parseSolution(t, out)
			require.Len(t, got, len(c.x), out)
			for i := range c.x {
				assert.InDelta(t, c.x[i], got[i], 1e-6, "x%d", i+1)
			}
		})
	}

	bad := []struct{ name, input, want string }{
		{"singular", "1 2 3\n2 4 6\n", "singular"},
		{"ragged rows", "1 2 3\n4 5\n", "line 2 has 2 numbers"},
		{"not a number", "1 x 3\n4 5 6\n", `"x" is not a number`},
		{"no equations", "# nothing\n", "no equations"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			out := p.runInstalledWithInput(t, -1, c.input, "bin/solver", "solve")
			assert.Contains(t, out, c.want)
		})
	}
}

func TestSolverContinuesAfterKill(t *testing.T) {
	t.Parallel()
	ref := stage(t, "solver")
	r := ref.run(t, "install.sh", "install")
	require.Equal(t, 0, r.code, r)
	want := ref.tree(t)

	// The reference has served; cut its uninstall off. An uninstall takes milliseconds, too fast to
	// kill reliably, so leave what a cut would: the first half of the files removed, the list still there.
	recorded := strings.Fields(ref.read(t, ".installed-files"))
	for _, rel := range recorded[:len(recorded)/2] {
		require.NoError(t, os.Remove(filepath.Join(ref.installDir, rel)))
	}
	r = ref.run(t, "uninstall.sh", "uninstall")
	require.Equal(t, 0, r.code, "uninstall re-run after a cut-off one: %v", r)
	assert.NoDirExists(t, ref.installDir, "uninstall re-run after a cut-off one")

	cases := []struct {
		name string
		// cutAfter is the file whose arrival marks the moment to kill the install.
		cutAfter string
	}{
		{"killed after the program", "bin/solver"},
		{"killed after the materials table", "share/materials.csv"},
		{"killed after the libraries", "lib/materials.awk"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := stage(t, "solver")
			p.cutOff(t, "install.sh", "install", p.exists(c.cutAfter))
			assert.NoFileExists(t, filepath.Join(p.installDir, "VERSION"), "the kill came after the install finished")
			p.requireNotDetected(t)
			p.plantStalePart(t, c.cutAfter)

			r := p.run(t, "install.sh", "continue")
			require.Equal(t, 0, r.code, r)
			assert.Contains(t, r.stdout, "continuing over an earlier, cut-off install")
			assert.Equal(t, want, p.tree(t), "a continued install must end like an uninterrupted one")
			p.requireDetected(t)
		})
	}

	t.Run("uninstall after a kill", func(t *testing.T) {
		t.Parallel()
		p := stage(t, "solver")
		p.cutOff(t, "install.sh", "install", p.exists("lib/materials.awk"))
		p.plantStalePart(t, "lib/materials.awk")
		r := p.run(t, "uninstall.sh", "uninstall")
		require.Equal(t, 0, r.code, r)
		assert.NoDirExists(t, p.installDir, "the list of installed files must cover a cut-off install")
	})
}

func TestCadViewer(t *testing.T) {
	t.Parallel()
	t.Run("install and uninstall twice", func(t *testing.T) {
		t.Parallel()
		p := stage(t, "cad-viewer")
		r := p.run(t, "install.sh", "install")
		require.Equal(t, 0, r.code, r)
		p.requireDetected(t)
		assert.NoFileExists(t, filepath.Join(p.installDir, ".install-in-progress"))
		formats, err := filepath.Glob(filepath.Join(p.installDir, "lib", "formats", "*.fmt"))
		require.NoError(t, err)
		require.NotEmpty(t, formats)
		out := p.runInstalled(t, 0, "bin/cadview", "formats")
		assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), len(formats), out)
		out = p.runInstalled(t, 0, "bin/cadview", "info", filepath.Join(p.installDir, "share", "samples", "wedge.stl"))
		assert.Contains(t, out, "4 facets, bounding box 40 x 20 x 10")

		for i := range 2 {
			r = p.run(t, "uninstall.sh", "uninstall")
			require.Equal(t, 0, r.code, "uninstall run %d: %v", i+1, r)
			assert.NoDirExists(t, p.installDir)
		}
	})

	t.Run("cut off, refused, then overwritten", func(t *testing.T) {
		t.Parallel()
		p := stage(t, "cad-viewer")
		p.cutOff(t, "install.sh", "install", p.exists("bin/cadview"))
		require.FileExists(t, filepath.Join(p.installDir, ".install-in-progress"))
		p.requireNotDetected(t)
		before := p.tree(t)

		for _, mode := range []string{"install", "continue"} {
			r := p.run(t, "install.sh", mode)
			assert.Equal(t, 1, r.code, "mode %s: %v", mode, r)
			assert.Contains(t, r.stderr, "half-done install", mode)
			assert.Contains(t, r.stderr, "an overwrite install is needed", mode)
			assert.Equal(t, before, p.tree(t), "a refused %s must change nothing", mode)
		}
		assert.Contains(t, p.log(t), "an overwrite install is needed")

		// What the agent does for on_interrupt: overwrite.
		r := p.run(t, "uninstall.sh", "overwrite")
		require.Equal(t, 0, r.code, r)
		require.NoError(t, os.RemoveAll(p.installDir))
		r = p.run(t, "install.sh", "overwrite")
		require.Equal(t, 0, r.code, r)
		p.requireDetected(t)
		assert.NoFileExists(t, filepath.Join(p.installDir, ".install-in-progress"))
	})

	t.Run("overwrite over a folder the agent could not remove", func(t *testing.T) {
		t.Parallel()
		p := stage(t, "cad-viewer")
		p.cutOff(t, "install.sh", "install", p.exists("bin/cadview"))
		r := p.run(t, "install.sh", "overwrite")
		require.Equal(t, 0, r.code, r)
		assert.Contains(t, r.stdout, "still holds a half-done install")
		p.requireDetected(t)
	})
}

func TestDriverKitAsksForReboot(t *testing.T) {
	t.Parallel()
	p := stage(t, "driver-kit")
	r := p.run(t, "install.sh", "install")
	require.Equal(t, exitReboot, r.code, r)
	assert.Equal(t, manifest.OutcomeReboot, p.platform(t).ExitCodes[r.code], "the manifest must map the exit code to a reboot")
	assert.Contains(t, r.stdout, "restart the computer")
	p.requireDetected(t)
	assert.Contains(t, p.read(t, "etc/udev/rules.d/99-iscdemo.rules"), p.installDir+"/bin/iscdemo-status")
	assert.Contains(t, p.runInstalled(t, 0, "bin/iscdemo-status"), "loaded at the next restart")

	// Installing again (a repair, or a continue) ends the same way.
	r = p.run(t, "install.sh", "continue")
	require.Equal(t, exitReboot, r.code, r)

	for i := range 2 {
		r = p.run(t, "uninstall.sh", "uninstall")
		require.Equal(t, 0, r.code, "uninstall run %d: %v", i+1, r)
		assert.NoDirExists(t, p.installDir)
	}
}

func TestBrokenInstallerFailsAndRollsBack(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// userFile, when set, is in the install folder before the install and must stay.
		userFile string
	}{
		{"into a new folder", ""},
		{"into a folder holding the user's file", "notes.txt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := stage(t, "broken-installer")
			if c.userFile != "" {
				require.NoError(t, os.MkdirAll(p.installDir, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(p.installDir, c.userFile), []byte("mine\n"), 0o644))
			}
			r := p.run(t, "install.sh", "install")
			require.Equal(t, exitInstallFailure, r.code, r)
			_, own := p.platform(t).ExitCodes[r.code]
			_, known := manifest.DefaultExitCodes[r.code]
			assert.False(t, own || known, "exit code %d must count as a failure", r.code)

			for _, want := range []string{
				"required library libfluxsolve.so.4 not found",
				"install it with: apt-get install libfluxsolve4",
				"copied bin/broken-app",
				"rolled back",
			} {
				assert.Contains(t, r.stderr, want)
				assert.Contains(t, p.log(t), want)
			}
			if c.userFile == "" {
				assert.NoDirExists(t, p.installDir)
			} else {
				assert.Equal(t, []string{c.userFile}, p.files(t))
			}
			p.requireNotDetected(t)
		})
	}
}

func TestStubbornUninstallLeavesFiles(t *testing.T) {
	t.Parallel()
	p := stage(t, "stubborn-uninstall")
	r := p.run(t, "install.sh", "install")
	require.Equal(t, 0, r.code, r)
	p.requireDetected(t)
	installed := p.files(t)
	assert.Contains(t, installed, "plugins/legacy-plugin.so")
	assert.Contains(t, installed, "cache/index.db")

	left := []string{"VERSION", "cache/LOCK", "cache/index.db"}
	for i := range 2 {
		r = p.run(t, "uninstall.sh", "uninstall")
		require.Equal(t, 1, r.code, "uninstall run %d: %v", i+1, r)
		assert.Contains(t, r.stderr, "cannot remove plugin cache")
		assert.Contains(t, r.stderr, "file in use")
		assert.ElementsMatch(t, left, p.files(t), "uninstall run %d", i+1)
		p.requireNotDetected(t)
	}

	// Once the host lets go of the cache, the uninstall finishes.
	require.NoError(t, os.Remove(filepath.Join(p.installDir, "cache", "LOCK")))
	r = p.run(t, "uninstall.sh", "uninstall")
	require.Equal(t, 0, r.code, r)
	assert.NoDirExists(t, p.installDir)
}

// pkg is one example staged for a test: a copy of its folder, an install folder and a job log.
type pkg struct {
	dir        string // the copy of the package folder: the scripts' cwd and ISCDESK_PACKAGE_DIR
	installDir string
	logFile    string
	home       string
	m          *manifest.Manifest
}

func stage(t *testing.T, name string) *pkg {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the example packages are POSIX sh scripts for linux and darwin")
	}
	_, err := exec.LookPath("sh")
	require.NoError(t, err, "the example packages need sh on PATH")

	tmp := t.TempDir()
	p := &pkg{
		dir:        filepath.Join(tmp, "package"),
		installDir: filepath.Join(tmp, "root", name),
		logFile:    filepath.Join(tmp, "job.log"),
		home:       filepath.Join(tmp, "home"),
	}
	require.NoError(t, os.CopyFS(p.dir, os.DirFS(name)))
	require.NoError(t, os.Mkdir(p.home, 0o755))
	p.m, err = manifest.Load(filepath.Join(p.dir, "package.yaml"))
	require.NoError(t, err)
	return p
}

type result struct {
	code           int // -1 when killed by a signal
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// command builds the run of a script as the agent does it: a clean environment, cwd = the package,
// its own process group so that a kill reaches every child.
func (p *pkg) command(ctx context.Context, script, mode string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "sh", script)
	cmd.Dir = p.dir
	cmd.Env = []string{
		"ISCDESK_MODE=" + mode,
		"ISCDESK_INSTALL_DIR=" + p.installDir,
		"ISCDESK_PACKAGE_DIR=" + p.dir,
		"ISCDESK_LOG=" + p.logFile,
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + p.home,
		"LANG=C.UTF-8",
	}
	newProcessGroup(cmd)
	cmd.Cancel = func() error { return killProcessGroup(cmd) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

func (p *pkg) run(t *testing.T, script, mode string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := p.command(ctx, script, mode)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "sh %s (mode %s) did not finish within %v", script, mode, runTimeout)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		require.NoError(t, err, "sh %s (mode %s)", script, mode)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// cutOff starts script and kills its whole process group with SIGKILL as soon as ready reports
// true, the way a crash or power loss cuts an install.
func (p *pkg) cutOff(t *testing.T, script, mode string, ready func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := p.command(ctx, script, mode)
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !ready() {
		select {
		case err := <-done:
			t.Fatalf("sh %s ended (%v) before the moment to cut it off:\n%s", script, err, out.String())
		case <-ctx.Done():
			<-done
			t.Fatalf("sh %s never reached the moment to cut it off within %v:\n%s", script, runTimeout, out.String())
		case <-tick.C:
		}
	}
	require.NoError(t, killProcessGroup(cmd))
	<-done
	require.Equal(t, -1, cmd.ProcessState.ExitCode(), "sh %s was not killed:\n%s", script, out.String())
}

// plantStalePart leaves rel.part with half-written content, as a kill between writing a listed file
// and renaming it into place does; the kill in cutOff nearly always lands in a sleep instead.
func (p *pkg) plantStalePart(t *testing.T, rel string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(p.installDir, rel+".part"), []byte("half-wri"), 0o644))
}

// exists reports whether rel is in the install folder, for cutOff.
func (p *pkg) exists(rel string) func() bool {
	return func() bool {
		_, err := os.Stat(filepath.Join(p.installDir, rel))
		return err == nil
	}
}

// runInstalled runs a program of the installed package and returns its output; wantCode -1 means any failure.
func (p *pkg) runInstalled(t *testing.T, wantCode int, rel string, args ...string) string {
	t.Helper()
	return p.runInstalledWithInput(t, wantCode, "", rel, args...)
}

func (p *pkg) runInstalledWithInput(t *testing.T, wantCode int, stdin, rel string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(p.installDir, rel), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		require.NoError(t, err, "%s %v", rel, args)
	}
	if code := cmd.ProcessState.ExitCode(); wantCode < 0 {
		assert.Positive(t, code, "%s %v should fail:\n%s", rel, args, out)
	} else {
		assert.Equal(t, wantCode, code, "%s %v:\n%s", rel, args, out)
	}
	return string(out)
}

func (p *pkg) read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.installDir, rel))
	require.NoError(t, err)
	return string(b)
}

func (p *pkg) log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.logFile)
	require.NoError(t, err, "the scripts append to ISCDESK_LOG")
	return string(b)
}

// files lists the regular files under the install folder, slash-separated, except .installed-files.
func (p *pkg) files(t *testing.T) []string {
	t.Helper()
	var files []string
	for rel := range p.tree(t) {
		if !strings.HasSuffix(rel, "/") && rel != ".installed-files" {
			files = append(files, rel)
		}
	}
	return files
}

// tree maps every path under the install folder to its mode and content (folders end in "/"), with
// the install folder's own path written as $INSTALL_DIR so that two installs compare equal.
func (p *pkg) tree(t *testing.T) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(p.installDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == p.installDir {
			return err
		}
		rel, err := filepath.Rel(p.installDir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			tree[rel+"/"] = info.Mode().String()
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		tree[rel] = info.Mode().String() + " " + strings.ReplaceAll(string(b), p.installDir, "$INSTALL_DIR")
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return tree
	}
	require.NoError(t, err)
	return tree
}

func (p *pkg) platform(t *testing.T) *manifest.Platform {
	t.Helper()
	pl := p.m.Platforms[runtime.GOOS]
	require.NotNil(t, pl, "package.yaml has no platforms.%s", runtime.GOOS)
	return pl
}

func (p *pkg) requireDetected(t *testing.T) {
	t.Helper()
	for _, rule := range p.platform(t).Detect {
		require.NoError(t, p.check(t, rule), "detect rule on line %d", rule.Line)
	}
}

func (p *pkg) requireNotDetected(t *testing.T) {
	t.Helper()
	for _, rule := range p.platform(t).Detect {
		if p.check(t, rule) != nil {
			return
		}
	}
	t.Fatalf("every detect rule of %s holds: the package counts as installed", p.m.ID)
}

// check evaluates a file or command detect rule against the install folder, the way the engine's
// detection does: the file must exist, the command must exit 0, and the version read must be the
// package's.
func (p *pkg) check(t *testing.T, rule manifest.DetectRule) error {
	t.Helper()
	vars := manifest.Vars{InstallDir: p.installDir, PackageDir: p.dir, LogFile: p.logFile, Version: p.m.Version, ID: p.m.ID}
	expand := func(s string) string {
		out, err := manifest.Expand(s, vars)
		require.NoError(t, err)
		return out
	}
	var text string // where the version is read from
	var source *manifest.VersionSource
	switch {
	case rule.File != nil:
		if _, err := os.Stat(expand(rule.File.Path)); err != nil {
			return err
		}
		source = rule.File.Version
	case rule.Command != nil:
		argv := make([]string, len(rule.Command.Run))
		for i, a := range rule.Command.Run {
			argv[i] = expand(a)
		}
		out, err := exec.CommandContext(t.Context(), argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %w", argv, err)
		}
		text, source = string(out), rule.Command.Version
	default:
		t.Fatalf("the example packages use only file and command detect rules; line %d has another", rule.Line)
	}
	if source == nil {
		return nil
	}
	if source.File != "" {
		b, err := os.ReadFile(expand(source.File))
		if err != nil {
			return err
		}
		text = string(b)
	}
	require.NotEmpty(t, source.Pattern, "the example packages spell out their version patterns")
	m := regexp.MustCompile(source.Pattern).FindStringSubmatch(text)
	if m == nil {
		return fmt.Errorf("no version matching %q in %q", source.Pattern, text)
	}
	got := m[0]
	if len(m) > 1 {
		got = m[1]
	}
	if got != p.m.Version {
		return fmt.Errorf("version %s found, %s wanted", got, p.m.Version)
	}
	return nil
}

var solutionRE = regexp.MustCompile(`(?m)^x(\d+) = (\S+)$`)

func parseSolution(t *testing.T, out string) []float64 {
	t.Helper()
	var x []float64
	for i, m := range solutionRE.FindAllStringSubmatch(out, -1) {
		require.Equal(t, strconv.Itoa(i+1), m[1], out)
		v, err := strconv.ParseFloat(m[2], 64)
		require.NoError(t, err, out)
		require.False(t, math.IsNaN(v) || math.IsInf(v, 0), out)
		x = append(x, v)
	}
	return x
}
