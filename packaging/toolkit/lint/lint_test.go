package lint

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scriptYAML is a linux package that runs install.sh and uninstall.sh.
const scriptYAML = `format: 1
id: demo
name: Demo
version: 1.0.0
publisher: Tests
platforms:
  linux:
    installer:
      type: script
      install: [sh, install.sh]
      uninstall: [sh, uninstall.sh]
    on_interrupt: continue
    detect:
      - file: "{{.InstallDir}}/VERSION"
`

const goodUninstall = "#!/bin/sh\nset -eu\nrm -f \"$ISCDESK_INSTALL_DIR/VERSION\"\necho removed >>\"$ISCDESK_LOG\"\n"

// writePackage makes a package folder from name → contents.
func writePackage(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o755))
	}
	return dir
}

// want is a finding expected at file:line with a check and a severity.
type want struct {
	where    string
	check    string
	severity Severity
}

func TestScriptChecks(t *testing.T) {
	install := func(body string) map[string]string {
		return map[string]string{"package.yaml": scriptYAML, "uninstall.sh": goodUninstall,
			"install.sh": "#!/bin/sh\nset -eu\necho start >>\"$ISCDESK_LOG\"\n" + body}
	}
	cases := []struct {
		name  string
		files map[string]string
		want  []want
	}{
		{"clean", install("mkdir -p \"$ISCDESK_INSTALL_DIR\"\necho 1.0.0 >\"$ISCDESK_INSTALL_DIR/VERSION\"\n"), nil},
		{"read from the keyboard", install("printf 'Accept? [y/N] '\nread answer\n"), []want{{"install.sh:5", CheckPrompt, SeverityError}}},
		{"read in a condition", install("if read -r x; then echo $x; fi\n"), []want{{"install.sh:4", CheckPrompt, SeverityError}}},
		{"while read over a file", install("while IFS= read -r f; do\n  rm -f \"$f\"\ndone <list.txt\n"), nil},
		{"while read from a pipe", install("ls | while read -r f; do\n  echo \"$f\"\ndone\n"), nil},
		{"read from a file", install("read -r v <VERSION\n"), nil},
		{"read in a message is no prompt", install("echo \"read the manual\"\n"), nil},
		{"here-document is data", install("cat >\"$ISCDESK_INSTALL_DIR/x\" <<EOF\nread this\nreboot\nEOF\n"), nil},
		{"reboot", install("echo done\nreboot\n"), []want{{"install.sh:5", CheckReboot, SeverityError}}},
		{"shutdown after &&", install("true && shutdown -r now\n"), []want{{"install.sh:4", CheckReboot, SeverityError}}},
		{"systemctl reboot", install("systemctl reboot\n"), []want{{"install.sh:4", CheckReboot, SeverityError}}},
		{"reboot in a message", install("echo \"a reboot is required\" >&2\n"), nil},
		{"reboot in a comment", install("# no reboot here\n"), nil},
		{"copy to /opt", install("cp payload/app /opt/demo/app\n"), []want{{"install.sh:4", CheckOutside, SeverityError}}},
		{"redirect to /etc", install("echo x >/etc/demo.conf\n"), []want{{"install.sh:4", CheckOutside, SeverityError}}},
		{"writes to HOME", install("mkdir -p \"$HOME/.demo\"\n"), []want{{"install.sh:4", CheckOutside, SeverityWarning}}},
		{"reads /usr/lib without writing", install("ls /usr/lib >&2\n[ -e /usr/lib/x ] || true\n"), nil},
		{"redirect to /dev/null", install("cp a b 2>/dev/null || true\n"), nil},
		{"msiexec without /qn", install("msiexec /i app.msi\n"), []want{{"install.sh:4", CheckSilent, SeverityError}}},
		{"msiexec with /qn", install("msiexec /i app.msi /qn\n"), nil},
		{"no log", map[string]string{"package.yaml": scriptYAML, "install.sh": "#!/bin/sh\ntrue\n", "uninstall.sh": "#!/bin/sh\ntrue\n"},
			[]want{{"package.yaml:10", CheckLog, SeverityWarning}}},
		{"missing uninstall script", map[string]string{"package.yaml": scriptYAML, "install.sh": "#!/bin/sh\necho >>\"$ISCDESK_LOG\"\n"},
			[]want{{"package.yaml:11", CheckMissing, SeverityError}}},
		{"uninstall that does nothing", map[string]string{"package.yaml": strings.Replace(scriptYAML, "[sh, uninstall.sh]", "[\"true\"]", 1),
			"install.sh": "#!/bin/sh\necho >>\"$ISCDESK_LOG\"\n"}, []want{{"package.yaml:11", CheckUninstall, SeverityError}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Dir(writePackage(t, tc.files))
			require.NoError(t, err)
			assertFindings(t, r, tc.want)
		})
	}
}

func assertFindings(t *testing.T, r *Report, wants []want) {
	t.Helper()
	var got []want
	for _, f := range r.Findings {
		got = append(got, want{f.Where(), f.Check, f.Severity})
		assert.NotEmpty(t, f.Why, "finding %s has no why", f.Where())
		assert.NotEmpty(t, f.Fix, "finding %s has no fix", f.Where())
	}
	assert.ElementsMatch(t, wants, got, "findings: %+v", r.Findings)
}

const windowsYAML = `format: 1
id: demo
name: Demo
version: 1.0.0
publisher: Tests
platforms:
  windows:
    installer:
      type: TYPE
      file: setup.exe
INSTALL
    on_interrupt: overwrite
    detect:
      - file: '{{.InstallDir}}\demo.exe'
`

func TestWindowsInstallers(t *testing.T) {
	cases := []struct {
		name, typ, install string
		want               []want
	}{
		{"nsis preset is silent", "nsis", `      uninstall: '"{{.InstallDir}}\uninstall.exe" /S'`, []want{{"package.yaml:7", CheckLog, SeverityWarning}}},
		{"nsis without /S", "nsis", `      install: '{{.PackageDir}}\setup.exe /D={{.InstallDir}}'` + "\n" + `      uninstall: '"{{.InstallDir}}\uninstall.exe" /S'`,
			[]want{{"package.yaml:11", CheckSilent, SeverityError}, {"package.yaml:11", CheckLog, SeverityWarning}}},
		{"nsis lower-case /s is not silent", "nsis", `      uninstall: '"{{.InstallDir}}\uninstall.exe" /s'`,
			[]want{{"package.yaml:11", CheckSilent, SeverityError}, {"package.yaml:7", CheckLog, SeverityWarning}}},
		{"inno preset is silent and logs", "inno", "", nil},
		{"exe with /quiet and a log", "exe", `      install: '{{.PackageDir}}\setup.exe /quiet /log {{.LogFile}}'` + "\n" + `      uninstall: '"{{.InstallDir}}\uninstall.exe" /quiet'`, nil},
		{"exe with no switch", "exe", `      install: '{{.PackageDir}}\setup.exe /log {{.LogFile}}'` + "\n" + `      uninstall: '"{{.InstallDir}}\uninstall.exe" /quiet'`,
			[]want{{"package.yaml:11", CheckSilent, SeverityError}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			y := strings.Replace(strings.Replace(windowsYAML, "TYPE", tc.typ, 1), "INSTALL\n", tc.install+"\n", 1)
			if tc.install == "" {
				y = strings.Replace(y, "\n\n", "\n", 1)
			}
			r, err := Dir(writePackage(t, map[string]string{"package.yaml": y, "setup.exe": "MZ"}))
			require.NoError(t, err)
			assertFindings(t, r, tc.want)
		})
	}
}

func TestWindowsScripts(t *testing.T) {
	y := `format: 1
id: demo
name: Demo
version: 1.0.0
publisher: Tests
platforms:
  windows:
    installer:
      type: exe
      install: [powershell, -File, install.ps1]
      uninstall: [cmd, /c, uninstall.cmd]
    on_interrupt: overwrite
    detect:
      - file: '{{.InstallDir}}\demo.exe'
`
	r, err := Dir(writePackage(t, map[string]string{
		"package.yaml":  y,
		"install.ps1":   "# install\n$a = Read-Host 'Folder?'\nCopy-Item demo.exe C:\\Tools\\demo.exe\nAdd-Content $env:ISCDESK_LOG 'ok'\nRestart-Computer\n",
		"uninstall.cmd": "@echo off\nREM pause here is a comment\nset /p answer=Sure?\nmsiexec /x {GUID}\npause\n",
	}))
	require.NoError(t, err)
	assertFindings(t, r, []want{
		{"install.ps1:2", CheckPrompt, SeverityError},
		{"install.ps1:3", CheckOutside, SeverityError},
		{"install.ps1:5", CheckReboot, SeverityError},
		{"uninstall.cmd:3", CheckPrompt, SeverityError},
		{"uninstall.cmd:4", CheckSilent, SeverityError},
		{"uninstall.cmd:5", CheckPrompt, SeverityError},
	})
}

func TestManifestErrorsAreFindings(t *testing.T) {
	y := strings.Replace(scriptYAML, "on_interrupt: continue", "on_interupt: continue", 1)
	r, err := Dir(writePackage(t, map[string]string{"package.yaml": y}))
	require.NoError(t, err)
	require.Len(t, r.Findings, 2, "%+v", r.Findings)
	for _, f := range r.Findings {
		assert.Equal(t, CheckManifest, f.Check)
		assert.Equal(t, "package.yaml", f.File)
		assert.Equal(t, SeverityError, f.Severity)
	}
	assert.Equal(t, 7, r.Findings[0].Line)
	assert.Contains(t, r.Findings[0].Message, "on_interrupt is missing")
	assert.Equal(t, 12, r.Findings[1].Line)
	assert.Contains(t, r.Findings[1].Message, `did you mean "on_interrupt"`)
	assert.Equal(t, 2, r.Errors())
}

func TestDirErrors(t *testing.T) {
	_, err := Dir(filepath.Join(t.TempDir(), "nope"))
	assert.ErrorContains(t, err, "give the folder that holds package.yaml")
	f := filepath.Join(t.TempDir(), "x.iscpkg")
	require.NoError(t, os.WriteFile(f, nil, 0o644))
	_, err = Dir(f)
	assert.ErrorContains(t, err, "not a folder")
}

// The good examples must lint clean, the bad ones must show their fault.
func TestExamples(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	for _, d := range []string{"solver", "cad-viewer", "driver-kit", "broken-installer", "stubborn-uninstall",
		"bad/exit-0-after-failure", "bad/hangs", "bad/leaves-process", "bad/not-overwrite-safe", "bad/uninstall-fails-twice"} {
		r, err := Dir(filepath.Join(root, d))
		require.NoError(t, err)
		assert.Zero(t, r.Errors(), "%s: %+v", d, r.Findings)
	}
	r, err := Dir(filepath.Join(root, "bad", "prompts-for-input"))
	require.NoError(t, err)
	require.Len(t, r.ByCheck(CheckPrompt), 1)
	assert.Equal(t, "install.sh:10", r.ByCheck(CheckPrompt)[0].Where())

	var b bytes.Buffer
	require.NoError(t, WriteText(&b, r))
	assert.Contains(t, b.String(), "install.sh:10: error [prompt] the install script asks for input (read)\n    why: ")
	assert.Contains(t, b.String(), "1 errors, 0 warnings")
}
