package conform

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/packaging/toolkit/scaffold"
)

// The test binary is its own child engine: with ChildEnv set it runs RunChild instead of the tests.
func TestMain(m *testing.M) {
	if spec := os.Getenv(ChildEnv); spec != "" {
		os.Exit(RunChild(context.Background(), spec, os.Stdout))
	}
	os.Exit(m.Run())
}

func examples(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	require.NoError(t, err)
	return dir
}

// testConfig runs dir with 2 cut points, a fixed seed and no system folders watched: parallel
// tests share /tmp, and their sandboxes would count as each other's leftovers.
func testConfig(dir string) Config {
	return Config{Dir: dir, Seed: 7, Points: 2, ChildCommand: []string{os.Args[0], "-test.run=^$"}, Watch: []WatchDir{}}
}

// expectation is which check a package must fail, and words its reason must hold. Every other
// check must pass or be skipped.
type expectation struct {
	dir     string
	fails   map[string][]string // check (a prefix for interrupt-install) → words in its reason
	anyFail bool                // true: the listed checks may also pass on some runs (timing), but at least one fails
}

func TestHarnessOnExamples(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the example packages are sh scripts for linux and darwin")
	}
	if testing.Short() {
		t.Skip("runs real installs of every example; skipped with -short")
	}
	cases := []expectation{
		{dir: "solver"},
		{dir: "cad-viewer"},
		{dir: "driver-kit"},
		{dir: "stubborn-uninstall", fails: map[string][]string{
			CheckLeftoverFiles:  {"are left in the install folder", "cache/LOCK"},
			CheckUninstall:      {"the uninstall command exited 1"},
			CheckUninstallAgain: {"exited 1", "file in use"},
		}},
		{dir: "broken-installer", fails: map[string][]string{CheckInstall: {"the install failed", "libfluxsolve"}}},
		{dir: "bad/prompts-for-input", fails: map[string][]string{CheckInstall: {"waits for input", "install.sh:10", "closed stdin"}}},
		{dir: "bad/not-overwrite-safe", fails: map[string][]string{CheckInterruptInstall: {"not overwrite-safe", "File exists"}}},
		{dir: "bad/exit-0-after-failure", fails: map[string][]string{CheckInstall: {"exited 0", "detection does not find"}}},
		{dir: "bad/leaves-files", fails: map[string][]string{
			CheckLeftoverFiles:   {"share/samples.txt"},
			CheckLeftoverOutside: {"home/.config/bad-leaves-files/settings.ini"},
		}},
		{dir: "bad/leaves-process", fails: map[string][]string{
			CheckInstall:           {"left processes running"},
			CheckLeftoverProcesses: {"left processes running"},
		}},
		{dir: "bad/uninstall-fails-twice", fails: map[string][]string{CheckUninstallAgain: {"already uninstalled", "exited 1"}}},
		{dir: "bad/hangs", fails: map[string][]string{CheckInstall: {"hangs", "did not finish within 2s"}}},
	}
	root := examples(t)
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			rep, err := Run(ctx, testConfig(filepath.Join(root, tc.dir)))
			require.NoError(t, err)
			var text bytes.Buffer
			require.NoError(t, WriteText(&text, rep))
			t.Log("\n" + text.String())

			matched := map[string]bool{}
			for _, c := range rep.Checks {
				want, expected := expectedFailure(tc.fails, c.Name)
				if !expected {
					assert.NotEqual(t, StatusFail, c.Status, "check %s failed: %s", c.Name, c.Reason)
					continue
				}
				if c.Status != StatusFail {
					continue
				}
				matched[prefixOf(tc.fails, c.Name)] = true
				for _, w := range want {
					assert.Contains(t, c.Reason, w, "reason of %s", c.Name)
				}
				assert.NotEmpty(t, c.Fix, "a failure says how to fix it")
			}
			for name := range tc.fails {
				assert.True(t, matched[name], "check %s should fail", name)
			}
			assert.Equal(t, len(tc.fails) == 0, rep.Passed())
			assert.Len(t, rep.Checks, 13, "every check is reported, run or skipped")
		})
	}
}

func expectedFailure(fails map[string][]string, name string) ([]string, bool) {
	p := prefixOf(fails, name)
	if p == "" {
		return nil, false
	}
	return fails[p], true
}

// prefixOf finds the expectation for a check: its own name, or interrupt-install for interrupt-install-N.
func prefixOf(fails map[string][]string, name string) string {
	if _, ok := fails[name]; ok {
		return name
	}
	if strings.HasPrefix(name, CheckInterruptInstall+"-") {
		if _, ok := fails[CheckInterruptInstall]; ok {
			return CheckInterruptInstall
		}
	}
	return ""
}

func TestReportFormats(t *testing.T) {
	rep := &Report{Package: "demo", Version: "1.0.0", Platform: "linux", Seed: 3, Points: 1, Started: time.Unix(0, 0),
		Checks: []Check{
			{Name: CheckInstall, Title: "fresh install", Status: StatusPass, Duration: 1500 * time.Millisecond, Detail: "installed"},
			{Name: CheckUninstallAgain, Title: "uninstall twice", Status: StatusFail, Detail: "exit 1", Reason: "it fails <twice>", Fix: "rm -f"},
			{Name: CheckDetectAbsentFinal, Title: "x", Status: StatusSkip, Detail: "skipped: because"},
		}}
	require.False(t, rep.Passed())
	require.Equal(t, 1, rep.Failed())

	var text bytes.Buffer
	require.NoError(t, WriteText(&text, rep))
	assert.Contains(t, text.String(), "PASS    install")
	assert.Contains(t, text.String(), "FAIL uninstall-again — uninstall twice\n  why: it fails <twice>\n  fix: rm -f")
	assert.Contains(t, text.String(), "FAIL (1 of 3 checks failed)")

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, rep))
	var back Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, rep.Checks, back.Checks)

	var x bytes.Buffer
	require.NoError(t, WriteJUnit(&x, rep))
	var suites junitSuites
	require.NoError(t, xml.Unmarshal(x.Bytes(), &suites))
	require.Len(t, suites.Suites, 1)
	s := suites.Suites[0]
	assert.Equal(t, 3, s.Tests)
	assert.Equal(t, 1, s.Failures)
	assert.Equal(t, 1, s.Skipped)
	require.NotNil(t, s.Cases[1].Failure)
	assert.Equal(t, "it fails <twice>", s.Cases[1].Failure.Message)
	assert.Equal(t, "1.500", s.Cases[0].Time)
}

func TestKillPointsAreReproducible(t *testing.T) {
	points := func(seed uint64) []time.Duration {
		h := &harness{}
		h.rng = newRand(seed)
		var out []time.Duration
		for i := range 3 {
			out = append(out, h.killPoint(i, 3, 3*time.Second))
		}
		return out
	}
	a, b, c := points(1), points(1), points(2)
	assert.Equal(t, a, b, "the same seed gives the same points")
	assert.NotEqual(t, a, c, "another seed gives other points")
	assert.Equal(t, time.Duration(0), (&harness{rng: newRand(1)}).killPoint(1, 3, 50*time.Millisecond), "a step too fast to cut in its middle is cut as it starts")
	for i, d := range a {
		// Point i of 3 falls in the i-th third of the run, away from its edges.
		assert.Greater(t, d, time.Duration(i)*time.Second, "point %d", i)
		assert.Less(t, d, time.Duration(i+1)*time.Second, "point %d", i)
	}
}

// What `iscdesk-pack init --type script` writes must pass every check.
func TestInitPassesTheHarness(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the script template is sh")
	}
	if testing.Short() {
		t.Skip("runs real installs; skipped with -short")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "acme-tool")
	_, err := scaffold.Init(dir, scaffold.Options{Type: manifest.TypeScript})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, testConfig(dir))
	require.NoError(t, err)
	for _, c := range rep.Checks {
		assert.Equal(t, StatusPass, c.Status, "%s: %s", c.Name, c.Reason)
	}
}
