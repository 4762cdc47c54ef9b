package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// base is a small valid manifest; the bad cases below change one thing in it. Line numbers:
//
//	 1 format  2 id  3 name  4 version  5 publisher  6 platforms  7 linux  8 installer  9 type
//	10 install  11 uninstall  12 on_interrupt  13 detect  14 - file
const base = `format: 1
id: demo-solver
name: Demo Solver
version: 2.1.0
publisher: ISCDesk Examples
platforms:
  linux:
    installer:
      type: script
      install: [sh, install.sh]
      uninstall: sh uninstall.sh
    on_interrupt: continue
    detect:
      - file: "{{.InstallDir}}/bin/solver"
`

// windowsBase is base with a windows platform whose installer lines (9-11) the cases replace.
var windowsBase = strings.Replace(base, "  linux:", "  windows:", 1)

func TestParseExamples(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m, err := Load(f)
			require.NoError(t, err)
			assert.Equal(t, f, m.File)
			require.NoError(t, m.Validate())
			for key, p := range m.Platforms {
				assert.Equal(t, key, p.Key)
				assert.NotEmpty(t, p.Installer.Install, key)
				assert.NotEmpty(t, p.Installer.Uninstall, key)
				assert.NotEmpty(t, p.Detect, key)
			}
		})
	}
}

func TestParseScriptExample(t *testing.T) {
	m, err := Load("testdata/script-linux.yaml")
	require.NoError(t, err)
	assert.Equal(t, "demo-solver", m.ID)
	assert.Equal(t, "Demo Solver", m.Name)
	assert.Equal(t, "2.1.0", m.Version)
	assert.Equal(t, "ISCDesk Examples", m.Publisher)
	assert.Equal(t, "A numeric solver used in the ISCDesk demo.\n", m.Description)

	p := m.Platforms["linux"]
	require.NotNil(t, p)
	assert.Equal(t, TypeScript, p.Installer.Type)
	assert.Equal(t, []string{"sh", "install.sh", "--prefix", "{{.InstallDir}}"}, p.Installer.Install)
	assert.Equal(t, []string{"sh", "uninstall.sh", "--prefix", "{{.InstallDir}}"}, p.Installer.Uninstall, "the string form is split like a shell")
	assert.Equal(t, "{{.LogFile}}", p.Installer.Log, "default log")
	assert.Equal(t, 10*time.Minute, p.Timeout)
	assert.Equal(t, OnInterruptContinue, p.OnInterrupt)
	assert.Equal(t, map[int]Outcome{42: OutcomeRetryLater, 75: OutcomeReboot}, p.ExitCodes)
	assert.Equal(t, int64(20<<20), p.DiskSpace)
	require.Len(t, p.Detect, 2)
	assert.Equal(t, 21, p.Detect[0].Line)
	assert.Equal(t, &FileRule{Path: "{{.InstallDir}}/bin/solver",
		Version: &VersionSource{File: "{{.InstallDir}}/VERSION", Pattern: `(\d+\.\d+\.\d+)`}}, p.Detect[0].File)
	assert.Equal(t, &CommandRule{Run: []string{"{{.InstallDir}}/bin/solver", "--version"},
		Version: &VersionSource{Pattern: `solver (\S+)`}}, p.Detect[1].Command)
	assert.Equal(t, &License{Path: "{{.InstallDir}}/license/solver.lic"}, p.License)
}

func TestParseDefaults(t *testing.T) {
	m, err := Parse("package.yaml", []byte(strings.Replace(base, `      - file: "{{.InstallDir}}/bin/solver"`,
		"      - command: [check]\n        version: {}", 1)))
	require.NoError(t, err)
	p := m.Platforms["linux"]
	assert.Equal(t, DefaultTimeout, p.Timeout)
	assert.Equal(t, DefaultVersionPattern, p.Detect[0].Command.Version.Pattern)
	assert.Nil(t, p.ExitCodes)
	assert.Nil(t, p.License)
	assert.Zero(t, p.DiskSpace)
}

func TestParseErrors(t *testing.T) {
	big := "description: " + strings.Repeat("x", MaxSize) + "\n"
	deep := "description:" + strings.Repeat(" [", 40) + strings.Repeat("]", 40) + "\n"
	tests := []struct {
		name     string
		base     string
		old, new string   // replaced in base; old "" means the document is new
		want     []string // all must be in the message: the place, the problem and the fix
	}{
		{name: "unknown key typo", old: "    on_interrupt:", new: "    on_interupt:",
			want: []string{`package.yaml:12:5: unknown key "on_interupt" under platforms.linux; did you mean "on_interrupt"?`}},
		{name: "unknown top-level key", old: "name:", new: "nmae:",
			want: []string{`package.yaml:3:1: unknown key "nmae" at the top level; did you mean "name"?`, "name is missing"}},
		{name: "far unknown key lists known ones", old: "    on_interrupt: continue", new: "    on_interrupt: continue\n    colour: red",
			want: []string{`package.yaml:13:5: unknown key "colour"`, `write one of "installer", "timeout"`}},
		{name: "bad version", old: "version: 2.1.0", new: "version: 2.x",
			want: []string{`package.yaml:4:1: version "2.x" is not a version; write dotted numbers such as 2.1.0`}},
		{name: "v-prefixed version", old: "version: 2.1.0", new: "version: v2.1.0",
			want: []string{`package.yaml:4:1: version "v2.1.0" is not a version; write 2.1.0, without the v`}},
		{name: "bad id", old: "id: demo-solver", new: "id: Demo Solver",
			want: []string{`package.yaml:2:1: id "Demo Solver" is not valid`, `such as "demo-solver"`}},
		{name: "missing publisher", old: "publisher: ISCDesk Examples\n", new: "",
			want: []string{"package.yaml:1:1: publisher is missing; add it, such as publisher:"}},
		{name: "wrong format", old: "format: 1", new: "format: 2",
			want: []string{"package.yaml:1:1: format 2 is not one this ISCDesk reads; write format: 1"}},
		{name: "format not a number", old: "format: 1", new: "format: one",
			want: []string{`package.yaml:1:1: format "one" is not a number; write format: 1`}},
		{name: "name is a list", old: "name: Demo Solver", new: "name: [Demo, Solver]",
			want: []string{"package.yaml:3:1: name must be a single value, not a list"}},
		{name: "installer not a mapping", old: "    installer:\n      type: script\n      install: [sh, install.sh]\n      uninstall: sh uninstall.sh\n",
			new:  "    installer: script\n",
			want: []string{"package.yaml:8:5: platforms.linux.installer must be a mapping (key: value lines), not the value \"script\""}},
		{name: "unknown installer type", old: "type: script", new: "type: msii",
			want: []string{`package.yaml:9:7: installer type "msii" is not known; did you mean "msi"?`}},
		{name: "windows type on linux", old: "type: script", new: "type: nsis\n      file: setup.exe",
			want: []string{"package.yaml:9:7: installer type nsis runs only on windows, not on linux; use type: script or exe"}},
		{name: "script without install", old: "      install: [sh, install.sh]\n", new: "",
			want: []string{"package.yaml:8:5: install is missing under platforms.linux.installer; type script needs the silent install command, such as install: [sh, install.sh]"}},
		{name: "file on script", old: "type: script", new: "type: script\n      file: setup.sh",
			want: []string{"package.yaml:10:7: file is not used by type script; name the program in install: instead"}},
		{name: "unclosed quote", old: "uninstall: sh uninstall.sh", new: `uninstall: sh "uninstall.sh`,
			want: []string{"package.yaml:11:18: platforms.linux.installer.uninstall: the double quote at character 4 is not closed"}},
		{name: "shell operator", old: "uninstall: sh uninstall.sh", new: `uninstall: sh uninstall.sh > log`,
			want: []string{`package.yaml:11:18: platforms.linux.installer.uninstall: '>' at character 17 needs a shell`, "[sh, -c, '...']"}},
		{name: "unknown template field", old: "install: [sh, install.sh]", new: `install: [sh, install.sh, "{{.InstalDir}}"]`,
			want: []string{`package.yaml:10:33: platforms.linux.installer.install[2]: template "{{.InstalDir}}" uses .InstalDir, which is not a variable; did you mean ".InstallDir"?`}},
		{name: "template function", old: "install: [sh, install.sh]", new: `install: [sh, install.sh, '{{printf "%s" .ID}}']`,
			want: []string{`package.yaml:10:33: platforms.linux.installer.install[2]: template "{{printf \"%s\" .ID}}" uses`, "only fields such as {{.InstallDir}} may be used"}},
		{name: "broken template", old: "install: [sh, install.sh]", new: `install: [sh, install.sh, "{{.ID"]`,
			want: []string{`package.yaml:10:33: platforms.linux.installer.install[2]: template "{{.ID"`}},
		{name: "bad timeout", old: "    on_interrupt:", new: "    timeout: 10 minutes\n    on_interrupt:",
			want: []string{`package.yaml:12:5: timeout "10 minutes" is not a duration; write a number with a unit, such as 90s, 10m or 2h`}},
		{name: "timeout too long", old: "    on_interrupt:", new: "    timeout: 48h\n    on_interrupt:",
			want: []string{"package.yaml:12:5: timeout 48h0m0s is out of range; write a duration between 1s and 24h"}},
		{name: "zero timeout", old: "    on_interrupt:", new: "    timeout: 0s\n    on_interrupt:",
			want: []string{`package.yaml:12:5: timeout "0s" is shorter than a second; write a duration between 1s and 24h`}},
		{name: "missing on_interrupt", old: "    on_interrupt: continue\n", new: "",
			want: []string{"package.yaml:7:3: on_interrupt is missing under platforms.linux; write on_interrupt: continue"}},
		{name: "bad on_interrupt", old: "on_interrupt: continue", new: "on_interrupt: continu",
			want: []string{`package.yaml:12:5: on_interrupt "continu" is not known; did you mean "continue"?`}},
		{name: "bad exit code", old: "    on_interrupt:", new: "    exit_codes: {abc: failed}\n    on_interrupt:",
			want: []string{`package.yaml:12:18: exit code "abc" under platforms.linux.exit_codes is not a number; write a decimal (1618) or hex`}},
		{name: "bad outcome", old: "    on_interrupt:", new: "    exit_codes:\n      42: retry_latr\n    on_interrupt:",
			want: []string{`package.yaml:13:7: exit code 42: outcome "retry_latr" is not known; did you mean "retry_later"?`}},
		{name: "duplicate exit code", old: "    on_interrupt:", new: "    exit_codes:\n      42: failed\n      0x2a: reboot\n    on_interrupt:",
			want: []string{"package.yaml:14:7: exit code 42 is written twice (first on line 13); keep one"}},
		{name: "duplicate key", old: "name: Demo Solver", new: "name: Demo Solver\nname: Other",
			want: []string{`package.yaml:4:1: key "name" at the top level is written twice (first on line 3); keep one`}},
		{name: "no detect rule", old: "    detect:\n      - file: \"{{.InstallDir}}/bin/solver\"\n", new: "    detect: []\n",
			want: []string{"package.yaml:13:5: detect is missing under platforms.linux; add at least one rule"}},
		{name: "two kinds in a rule", old: `      - file: "{{.InstallDir}}/bin/solver"`, new: "      - {file: a, dpkg: b}",
			want: []string{"package.yaml:14:9: detect rule platforms.linux.detect[0] has file and dpkg; a rule has exactly one kind"}},
		{name: "version on dpkg rule", old: `      - file: "{{.InstallDir}}/bin/solver"`, new: "      - dpkg: libfoo\n        version: {}",
			want: []string{"package.yaml:15:9: version belongs to a file or command rule"}},
		{name: "bad dpkg name", old: `      - file: "{{.InstallDir}}/bin/solver"`, new: "      - dpkg: --admindir=/tmp",
			want: []string{`package.yaml:14:9: dpkg package name "--admindir=/tmp" is not valid; write the name as dpkg lists it`}},
		{name: "bad pattern", old: `      - file: "{{.InstallDir}}/bin/solver"`, new: "      - file: \"{{.InstallDir}}/VERSION\"\n        version: {pattern: '(\\d+'}",
			want: []string{`package.yaml:15:19: pattern "(\\d+" is not a regular expression`, "write RE2 syntax"}},
		{name: "version from file and command", old: `      - file: "{{.InstallDir}}/bin/solver"`, new: "      - file: a\n        version: {file: b, command: c}",
			want: []string{"package.yaml:15:9: version has both file and command; read it from one of them"}},
		{name: "registry on linux", old: `      - file: "{{.InstallDir}}/bin/solver"`, new: "      - registry: {display_name: '^Solver'}",
			want: []string{"package.yaml:14:9: a registry rule works only on windows, not on linux"}},
		{name: "license escapes", old: "    on_interrupt:", new: "    license: {path: \"{{.InstallDir}}/../../etc/passwd\"}\n    on_interrupt:",
			want: []string{`package.yaml:12:15: license path "{{.InstallDir}}/../../etc/passwd" is not inside the install folder; write it under {{.InstallDir}}`}},
		{name: "license in package dir", old: "    on_interrupt:", new: "    license: {path: \"{{.PackageDir}}/x.lic\"}\n    on_interrupt:",
			want: []string{"package.yaml:12:15: license path", "is not inside the install folder"}},
		{name: "license path and env", old: "    on_interrupt:", new: "    license: {path: a.lic, env: A}\n    on_interrupt:",
			want: []string{"package.yaml:12:5: license needs exactly one of path or env"}},
		{name: "platform alias", old: "  linux:", new: "  macos:",
			want: []string{`package.yaml:7:3: platform "macos": unknown operating system "macos"; did you mean "darwin"?`}},
		{name: "platform arch alias", old: "  linux:", new: "  linux/x86_64:",
			want: []string{`package.yaml:7:3: platform "linux/x86_64": unknown architecture "x86_64"; did you mean "amd64"?`}},
		{name: "no platforms", old: "platforms:\n", new: "platforms: {}\ndescription: x\n", base: "format: 1\nid: a\nname: A\nversion: 1\npublisher: P\nplatforms:\n",
			want: []string{"package.yaml:6:1: platforms is missing or empty; add at least one platform"}},
		{name: "bad disk space", old: "    on_interrupt:", new: "    disk_space: 20 MiBs\n    on_interrupt:",
			want: []string{`package.yaml:12:5: disk_space: size "20 MiBs" has an unknown unit "MiBs"; use KiB, MiB`}},
		{name: "msi without product code", base: windowsBase, old: "      type: script\n      install: [sh, install.sh]\n      uninstall: sh uninstall.sh\n",
			new:  "      type: msi\n      file: setup.msi\n",
			want: []string{"package.yaml:8:5: product_code is missing under platforms.windows.installer; type msi needs the MSI ProductCode"}},
		{name: "msi bad product code", base: windowsBase, old: "      type: script\n      install: [sh, install.sh]\n      uninstall: sh uninstall.sh\n",
			new:  "      type: msi\n      file: setup.msi\n      product_code: 1234\n",
			want: []string{`package.yaml:11:7: product_code "1234" is not a GUID; write it in braces, quoted`}},
		{name: "msi file outside the package", base: windowsBase, old: "      type: script\n      install: [sh, install.sh]\n      uninstall: sh uninstall.sh\n",
			new:  "      type: msi\n      file: ..\\setup.msi\n      product_code: \"{6F1E2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B}\"\n",
			want: []string{`package.yaml:10:7: file "..\\setup.msi" is not inside the package; write its path relative to the package`}},
		{name: "nsis without uninstall", base: windowsBase, old: "      type: script\n      install: [sh, install.sh]\n      uninstall: sh uninstall.sh\n",
			new:  "      type: nsis\n      file: setup.exe\n",
			want: []string{`package.yaml:8:5: uninstall is missing under platforms.windows.installer; type nsis needs the silent uninstall command, such as uninstall: "{{.InstallDir}}\uninstall.exe /S"`}},
		{name: "windows path in double quotes", base: windowsBase, old: `      - file: "{{.InstallDir}}/bin/solver"`, new: `      - file: "{{.InstallDir}}\bin\test.exe"`,
			want: []string{`package.yaml:14:9: platforms.windows.detect[0].file holds a control character; write Windows paths in single quotes`}},
		{name: "long name", old: "name: Demo Solver", new: "name: " + strings.Repeat("n", 201),
			want: []string{"package.yaml:3:1: name is longer than 200 characters; shorten it and put the rest in description"}},
		{name: "huge value is clipped", old: "version: 2.1.0", new: "version: " + strings.Repeat("é", 1000),
			want: []string{`package.yaml:4:1: version "` + strings.Repeat("é", 80) + `…" is not a version`}},
		{name: "anchor", old: "name: Demo Solver", new: "name: &n Demo Solver",
			want: []string{"package.yaml:3:7: YAML anchors and aliases (&name, *name) are not allowed in package.yaml; write the value out"}},
		{name: "yaml syntax", old: "install: [sh, install.sh]", new: "install: [sh, install.sh",
			want: []string{"package.yaml:", "(YAML syntax; check the indentation and the quotes"}},
		{name: "unknown escape", old: `      - file: "{{.InstallDir}}/bin/solver"`, new: `      - file: "C:\solver"`,
			want: []string{"package.yaml:14: found unknown escape character (YAML syntax; a backslash in double quotes starts an escape: write Windows paths in single quotes)"}},
		{name: "tab indentation", old: "    on_interrupt: continue", new: "\ton_interrupt: continue",
			want: []string{"package.yaml:11: found a tab character that violates indentation (YAML syntax; indent with spaces, not tabs)"}},
		{name: "two documents", old: "", new: base + "---\nid: x\n",
			want: []string{"package.yaml:15: a second YAML document starts here; keep one document (remove the ---)"}},
		{name: "empty", old: "", new: "# nothing yet\n",
			want: []string{"package.yaml: the file is empty; start from an example in docs/manifest.md"}},
		{name: "not a mapping", old: "", new: "- a\n- b\n",
			want: []string{"package.yaml:1:1: the document must be a mapping (key: value lines), not a list"}},
		{name: "too large", old: "", new: big,
			want: []string{"package.yaml: the file is larger than 1 MiB"}},
		{name: "too deep", old: "", new: deep,
			want: []string{"package.yaml:1:", "nesting is deeper than 16 levels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.new
			if tt.old != "" {
				b := tt.base
				if b == "" {
					b = base
				}
				require.Contains(t, b, tt.old, "the case must change the base")
				doc = strings.Replace(b, tt.old, tt.new, 1)
			}
			m, err := Parse("package.yaml", []byte(doc))
			require.Error(t, err)
			assert.Nil(t, m)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			var e *Error
			require.ErrorAs(t, err, &e, "every problem is an *Error")
			assert.Equal(t, "package.yaml", e.File)
		})
	}
}

// Vendors on Windows save with CRLF line ends and a byte order mark.
func TestParseCRLF(t *testing.T) {
	data, err := os.ReadFile("testdata/script-linux.yaml")
	require.NoError(t, err)
	crlf := append([]byte("\uFEFF"), strings.ReplaceAll(string(data), "\n", "\r\n")...)
	m, err := Parse("package.yaml", crlf)
	require.NoError(t, err)
	assert.Equal(t, "A numeric solver used in the ISCDesk demo.\n", m.Description)
	assert.Equal(t, []string{"sh", "uninstall.sh", "--prefix", "{{.InstallDir}}"}, m.Platforms["linux"].Installer.Uninstall)
}

func TestParseCollectsSeveralErrors(t *testing.T) {
	doc := strings.NewReplacer("version: 2.1.0", "version: 2.x", "type: script", "type: msii", "on_interrupt: continue", "on_interrupt: later").Replace(base)
	_, err := Parse("p.yaml", []byte(doc))
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 3)
	assert.True(t, strings.HasPrefix(lines[0], "p.yaml:4:1: version"), lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "p.yaml:9:7: installer type"), lines[1])
	assert.True(t, strings.HasPrefix(lines[2], "p.yaml:12:5: on_interrupt"), lines[2])
}

func TestParseCapsErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(base)
	for i := range 3 * maxErrors {
		b.WriteString("unknown" + strings.Repeat("x", i) + ": 1\n")
	}
	_, err := Parse("package.yaml", []byte(b.String()))
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	assert.Len(t, lines, maxErrors+1)
	assert.Contains(t, lines[maxErrors], "and 40 more problems; fix the ones above first")
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "package.yaml")
	require.NoError(t, os.WriteFile(good, []byte(base), 0o600))
	m, err := Load(good)
	require.NoError(t, err)
	assert.Equal(t, good, m.File)

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(base, "2.1.0", "2.x", 1)), 0o600))
	_, err = Load(bad)
	assert.ErrorContains(t, err, bad+":4:1: version")

	huge := filepath.Join(dir, "huge.yaml")
	require.NoError(t, os.WriteFile(huge, []byte(strings.Repeat("#", MaxSize+10)), 0o600))
	_, err = Load(huge)
	assert.ErrorContains(t, err, huge+": the file is larger than 1 MiB")

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorContains(t, err, "read package manifest")
}

func TestValidateBuiltInCode(t *testing.T) {
	m, err := Parse("package.yaml", []byte(base))
	require.NoError(t, err)
	require.NoError(t, m.Validate())

	m.Version = "latest"
	m.Platforms["linux"].Detect = nil
	m.Platforms["linux"].Installer.Install = []string{"{{.Nope}}"}
	err = m.Validate()
	require.Error(t, err)
	for _, w := range []string{`package.yaml: version "latest" is not a version`, "package.yaml: detect is missing under platforms.linux",
		`template "{{.Nope}}" uses .Nope`} {
		assert.Contains(t, err.Error(), w)
	}
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Zero(t, e.Line, "a manifest built in code has no lines")

	empty := &Manifest{}
	err = empty.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "id is missing")
	assert.Contains(t, err.Error(), "platforms is missing or empty")
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "p.yaml", Line: 3, Column: 5, Msg: "m"}, "p.yaml:3:5: m"},
		{Error{File: "p.yaml", Line: 3, Msg: "m"}, "p.yaml:3: m"},
		{Error{File: "p.yaml", Msg: "m"}, "p.yaml: m"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.e.Error())
	}
}
