package detect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

// fakeRunner answers commands by program name with canned output, like dpkg-query or rpm would.
type fakeRunner map[string]fakeReply

type fakeReply struct {
	out  string
	code int
	err  error
}

func (f fakeRunner) Output(_ context.Context, _ string, argv []string) ([]byte, int, error) {
	r, ok := f[argv[0]]
	if !ok {
		return nil, -1, errors.New("cannot run " + argv[0] + ": not in the fake runner")
	}
	return []byte(r.out), r.code, r.err
}

// fakeRegistry returns fixed Uninstall entries.
type fakeRegistry struct {
	entries []UninstallEntry
	err     error
}

func (f fakeRegistry) UninstallEntries() ([]UninstallEntry, error) { return f.entries, f.err }

// writeFile writes a file (and its folders) under dir and returns its path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), mode))
	return p
}

// script writes an executable sh script under dir and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	return writeFile(t, dir, name, "#!/bin/sh\n"+body+"\n", 0o755)
}

const pkgVersion = "2.1.0"

var solverEntry = UninstallEntry{
	Key: "{6F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9}", ProductCode: "{6F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9}",
	DisplayName: "Solver 2.1", DisplayVersion: "2.1.0", Publisher: "Acme", View: "64",
}

// TestRuleKinds is the shared suite: every kind of rule has cases that hold and cases that do
// not, each with the detail a user would read.
func TestRuleKinds(t *testing.T) {
	t.Parallel()
	type tc struct {
		name string
		// rule builds the rule, with any files it needs, in the install dir.
		rule    func(t *testing.T, dir string) manifest.DetectRule
		det     Detector // Runner and Registry; Timeout defaults to a generous one
		held    bool
		version string
		detail  string // exact, after replacing "$DIR" with the install dir
	}
	fileRule := func(path string, v *manifest.VersionSource) manifest.DetectRule {
		return manifest.DetectRule{File: &manifest.FileRule{Path: path, Version: v}}
	}
	cmdRule := func(v *manifest.VersionSource, run ...string) manifest.DetectRule {
		return manifest.DetectRule{Command: &manifest.CommandRule{Run: run, Version: v}}
	}
	cases := []tc{
		// file
		{name: "file exists", held: true, rule: func(t *testing.T, dir string) manifest.DetectRule {
			writeFile(t, dir, "bin/solver", "", 0o755)
			return fileRule("{{.InstallDir}}/bin/solver", nil)
		}},
		{name: "file missing", detail: "missing", rule: func(t *testing.T, dir string) manifest.DetectRule {
			return fileRule("{{.InstallDir}}/bin/solver", nil)
		}},
		{name: "file version from a version file", held: true, version: "2.1.0", rule: func(t *testing.T, dir string) manifest.DetectRule {
			writeFile(t, dir, "bin/solver", "", 0o755)
			writeFile(t, dir, "VERSION", "Solver release 2.1.0 (build 77)\n", 0o644)
			return fileRule("{{.InstallDir}}/bin/solver", &manifest.VersionSource{File: "{{.InstallDir}}/VERSION"})
		}},
		{name: "file version from the file itself, numerically equal", held: true, version: "2.1", rule: func(t *testing.T, dir string) manifest.DetectRule {
			writeFile(t, dir, "solver.ini", "[solver]\nversion=2.1\n", 0o644)
			return fileRule("{{.InstallDir}}/solver.ini", &manifest.VersionSource{Pattern: `version=(\S+)`})
		}},
		{name: "file version differs from the package", version: "2.0.9",
			detail: "version 2.0.9 is installed, the package is 2.1.0",
			rule: func(t *testing.T, dir string) manifest.DetectRule {
				writeFile(t, dir, "VERSION", "2.0.9\n", 0o644)
				return fileRule("{{.InstallDir}}/VERSION", &manifest.VersionSource{})
			}},
		{name: "file version pattern matches nothing", detail: "version pattern `v(\\d+)` matched nothing in $DIR/VERSION",
			rule: func(t *testing.T, dir string) manifest.DetectRule {
				writeFile(t, dir, "VERSION", "2.1.0\n", 0o644)
				return fileRule("{{.InstallDir}}/VERSION", &manifest.VersionSource{Pattern: `v(\d+)`})
			}},
		{name: "file version file missing", detail: "reading version: open $DIR/VERSION: no such file or directory",
			rule: func(t *testing.T, dir string) manifest.DetectRule {
				writeFile(t, dir, "bin/solver", "", 0o755)
				return fileRule("{{.InstallDir}}/bin/solver", &manifest.VersionSource{File: "{{.InstallDir}}/VERSION"})
			}},
		{name: "file version from a command on stderr", held: true, version: "2.1.0", rule: func(t *testing.T, dir string) manifest.DetectRule {
			bin := script(t, dir, "bin/solver", `echo "Solver 2.1.0" >&2`)
			return fileRule(bin, &manifest.VersionSource{Command: []string{bin, "--version"}})
		}},

		// command
		{name: "command exits 0", held: true, rule: func(t *testing.T, dir string) manifest.DetectRule {
			return cmdRule(nil, script(t, dir, "check.sh", "exit 0"))
		}},
		{name: "command exits 1", detail: "exit status 1", rule: func(t *testing.T, dir string) manifest.DetectRule {
			return cmdRule(nil, script(t, dir, "check.sh", "exit 1"))
		}},
		{name: "command says why it failed", detail: "exit status 3: licence server not configured", rule: func(t *testing.T, dir string) manifest.DetectRule {
			return cmdRule(nil, script(t, dir, "check.sh", "echo checking\necho 'licence server not configured' >&2\nexit 3"))
		}},
		{name: "command prints its version", held: true, version: "2.1.0", rule: func(t *testing.T, dir string) manifest.DetectRule {
			return cmdRule(&manifest.VersionSource{}, script(t, dir, "check.sh", "echo 'solver version 2.1.0'"))
		}},
		{name: "command version missing from output", detail: "version pattern `(\\d+(?:\\.\\d+)+)` matched nothing in the output of \"$DIR/check.sh\"",
			rule: func(t *testing.T, dir string) manifest.DetectRule {
				return cmdRule(&manifest.VersionSource{}, script(t, dir, "check.sh", "echo installed"))
			}},
		{name: "command that hangs is killed", det: Detector{Timeout: 300 * time.Millisecond},
			detail: "timed out after 300ms; the process tree was killed",
			rule: func(t *testing.T, dir string) manifest.DetectRule {
				return cmdRule(nil, script(t, dir, "check.sh", "sleep 300 &\nexec sleep 300"))
			}},

		// dpkg
		{name: "dpkg installed", held: true, version: "1:1.4.2-3", det: Detector{Runner: fakeRunner{
			"dpkg-query": {out: "install ok installed\t1:1.4.2-3\n"},
		}}, rule: func(*testing.T, string) manifest.DetectRule { return manifest.DetectRule{Dpkg: "libfoo"} }},
		{name: "dpkg unknown package", detail: "dpkg: package libfoo is not installed", det: Detector{Runner: fakeRunner{
			"dpkg-query": {out: "dpkg-query: no packages found matching libfoo\n", code: 1},
		}}, rule: func(*testing.T, string) manifest.DetectRule { return manifest.DetectRule{Dpkg: "libfoo"} }},
		{name: "dpkg removed, config files left", detail: `dpkg: package libfoo is not installed (status "deinstall ok config-files")`,
			det:  Detector{Runner: fakeRunner{"dpkg-query": {out: "deinstall ok config-files\t1.4.2-3\n"}}},
			rule: func(*testing.T, string) manifest.DetectRule { return manifest.DetectRule{Dpkg: "libfoo"} }},
		{name: "dpkg-query not on PATH", detail: "dpkg: cannot run dpkg-query: not in the fake runner", det: Detector{Runner: fakeRunner{}},
			rule: func(*testing.T, string) manifest.DetectRule { return manifest.DetectRule{Dpkg: "libfoo"} }},

		// rpm
		{name: "rpm installed", held: true, version: "4.4.20-1.el9", det: Detector{Runner: fakeRunner{
			"rpm": {out: "4.4.20-1.el9\n"},
		}}, rule: func(*testing.T, string) manifest.DetectRule { return manifest.DetectRule{Rpm: "libfoo"} }},
		{name: "rpm not installed", detail: "rpm: package libfoo is not installed", det: Detector{Runner: fakeRunner{
			"rpm": {out: "package libfoo is not installed\n", code: 1},
		}}, rule: func(*testing.T, string) manifest.DetectRule { return manifest.DetectRule{Rpm: "libfoo"} }},
		{name: "rpm database unreadable", detail: "rpm: exit status 1: error: cannot open Packages database in /var/lib/rpm",
			det:  Detector{Runner: fakeRunner{"rpm": {out: "error: rpmdb: BDB0113 Thread/process 1/2 failed\nerror: cannot open Packages database in /var/lib/rpm\n", code: 1}}},
			rule: func(*testing.T, string) manifest.DetectRule { return manifest.DetectRule{Rpm: "libfoo"} }},
		{name: "rpm not on PATH", detail: "rpm: cannot run rpm: not in the fake runner", det: Detector{Runner: fakeRunner{}},
			rule: func(*testing.T, string) manifest.DetectRule { return manifest.DetectRule{Rpm: "libfoo"} }},

		// registry
		{name: "registry by ProductCode", held: true, version: "2.1.0",
			det: Detector{Registry: fakeRegistry{entries: []UninstallEntry{solverEntry}}},
			rule: func(*testing.T, string) manifest.DetectRule {
				return manifest.DetectRule{Registry: &manifest.RegistryRule{ProductCode: "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"}}
			}},
		{name: "registry no entry", detail: "registry: no Uninstall entry matches",
			det: Detector{Registry: fakeRegistry{entries: []UninstallEntry{solverEntry}}},
			rule: func(*testing.T, string) manifest.DetectRule {
				return manifest.DetectRule{Registry: &manifest.RegistryRule{DisplayName: "^Solver", Publisher: "Other Corp"}}
			}},
		{name: "registry unreadable", detail: "registry: open Uninstall key (64 view): Access is denied.",
			det: Detector{Registry: fakeRegistry{err: errors.New("open Uninstall key (64 view): Access is denied.")}},
			rule: func(*testing.T, string) manifest.DetectRule {
				return manifest.DetectRule{Registry: &manifest.RegistryRule{DisplayName: "^Solver"}}
			}},
		{name: "registry off Windows", detail: "registry rules need Windows",
			rule: func(*testing.T, string) manifest.DetectRule {
				return manifest.DetectRule{Registry: &manifest.RegistryRule{DisplayName: "^Solver"}}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			d := c.det
			if d.Timeout == 0 {
				d.Timeout = time.Minute // generous: the machine may be loaded
			}
			rule := c.rule(t, dir)
			res, err := d.Detect(t.Context(), []manifest.DetectRule{rule}, manifest.Vars{InstallDir: dir, Version: pkgVersion})
			require.NoError(t, err)
			require.Len(t, res.Rules, 1)
			rr := res.Rules[0]
			want := c.detail
			if want != "" {
				want = strings.ReplaceAll(want, "$DIR", dir)
			}
			assert.Equal(t, want, rr.Detail)
			assert.Equal(t, c.held, rr.Held)
			assert.Equal(t, c.held, res.Installed)
			assert.Equal(t, c.version, rr.Version)
			assert.Equal(t, c.version, res.Version)
			assert.NotEmpty(t, rr.Rule)
		})
	}
}

func TestDetectAllRulesMustHold(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "bin/solver", "", 0o755)
	writeFile(t, dir, "VERSION", "2.0.9", 0o644)
	d := Detector{Runner: fakeRunner{"dpkg-query": {out: "install ok installed\t7.1\n"}}}
	v := manifest.Vars{InstallDir: dir, Version: pkgVersion}
	rules := []manifest.DetectRule{
		{File: &manifest.FileRule{Path: "{{.InstallDir}}/bin/solver"}, Line: 10},
		{Dpkg: "libsolver-runtime", Line: 11},
		{File: &manifest.FileRule{Path: "{{.InstallDir}}/VERSION", Version: &manifest.VersionSource{}}, Line: 12},
		{File: &manifest.FileRule{Path: "{{.InstallDir}}/bin/missing"}, Line: 13},
	}

	res, err := d.Detect(t.Context(), rules, v)
	require.NoError(t, err)
	assert.False(t, res.Installed)
	assert.Equal(t, "7.1", res.Version, "the first rule that reads a version gives it")
	require.Len(t, res.Rules, 4, "every rule is evaluated, for the user to see them all")
	held := []bool{}
	for _, r := range res.Rules {
		held = append(held, r.Held)
	}
	assert.Equal(t, []bool{true, true, false, false}, held)
	assert.Equal(t, `file "`+dir+`/bin/missing"`, res.Rules[3].Rule)

	res, err = d.Detect(t.Context(), rules[:2], v)
	require.NoError(t, err)
	assert.True(t, res.Installed)

	res, err = d.Detect(t.Context(), nil, v)
	require.NoError(t, err)
	assert.False(t, res.Installed, "a package without rules is never detected")
}

func TestDetectBadRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		rule manifest.DetectRule
		want string
	}{
		{"unknown variable", manifest.DetectRule{File: &manifest.FileRule{Path: "{{.Nope}}/bin/solver"}, Line: 7},
			`detection rule 1 (manifest line 7): bad detection rule: template "{{.Nope}}/bin/solver"`},
		{"unclosed template", manifest.DetectRule{Command: &manifest.CommandRule{Run: []string{"{{.InstallDir"}}, Line: 8},
			`detection rule 1 (manifest line 8): bad detection rule: template "{{.InstallDir"`},
		{"unknown variable in a version command", manifest.DetectRule{Command: &manifest.CommandRule{Run: []string{"true"},
			Version: &manifest.VersionSource{Command: []string{"{{.Missing}}"}}}},
			`detection rule 1: bad detection rule: template "{{.Missing}}"`},
		{"bad version pattern", manifest.DetectRule{File: &manifest.FileRule{Path: "/x", Version: &manifest.VersionSource{Pattern: "(["}}},
			"bad detection rule: version pattern `([`"},
		{"bad DisplayName", manifest.DetectRule{Registry: &manifest.RegistryRule{DisplayName: "Solver ("}},
			"bad detection rule: registry DisplayName `Solver (` is not a regular expression"},
		{"registry names nothing", manifest.DetectRule{Registry: &manifest.RegistryRule{Publisher: "Acme"}},
			"registry rule names neither a ProductCode nor a DisplayName"},
		{"two kinds", manifest.DetectRule{Dpkg: "a", Rpm: "a"}, "sets 2 kinds"},
		{"no kind", manifest.DetectRule{}, "sets 0 kinds"},
		{"empty command", manifest.DetectRule{Command: &manifest.CommandRule{}}, "command rule has nothing to run"},
		{"version file and command", manifest.DetectRule{File: &manifest.FileRule{Path: "/x",
			Version: &manifest.VersionSource{File: "/v", Command: []string{"v"}}}}, "keep one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := Detector{Runner: fakeRunner{"true": {}}}
			_, err := d.Detect(t.Context(), []manifest.DetectRule{c.rule}, manifest.Vars{InstallDir: t.TempDir()})
			require.ErrorIs(t, err, errBadRule)
			assert.ErrorContains(t, err, c.want)
		})
	}
}

func TestDetectCancelled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	d := Detector{}
	_, err := d.Detect(ctx, []manifest.DetectRule{{Command: &manifest.CommandRule{Run: []string{script(t, dir, "c.sh", "exit 0")}}}},
		manifest.Vars{InstallDir: dir})
	require.ErrorIs(t, err, context.Canceled, "a cancelled detection must not read as \"not installed\"")
}

func TestRegistryReadOncePerDetect(t *testing.T) {
	t.Parallel()
	reg := &countingRegistry{entries: []UninstallEntry{solverEntry}}
	d := Detector{Registry: reg}
	r := manifest.DetectRule{Registry: &manifest.RegistryRule{DisplayName: "^Solver"}}
	res, err := d.Detect(t.Context(), []manifest.DetectRule{r, r}, manifest.Vars{})
	require.NoError(t, err)
	assert.True(t, res.Installed)
	assert.Equal(t, 1, reg.calls)
}

type countingRegistry struct {
	entries []UninstallEntry
	calls   int
}

func (c *countingRegistry) UninstallEntries() ([]UninstallEntry, error) {
	c.calls++
	return slices.Clone(c.entries), nil
}
