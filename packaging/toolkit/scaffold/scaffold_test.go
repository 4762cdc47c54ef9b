package scaffold

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/packaging/toolkit/lint"
)

// Every type's scaffold parses, carries its type's silent switches and lints without errors.
func TestInitEveryTypeLintsClean(t *testing.T) {
	cases := []struct {
		typ      manifest.InstallerType
		platform string
		install  []string // words the resolved install command must hold
	}{
		{manifest.TypeScript, "linux", []string{"sh", "install.sh"}},
		{manifest.TypeMSI, "windows", []string{"msiexec", "/qn", "/norestart", "/l*v", "{{.LogFile}}"}},
		{manifest.TypeNSIS, "windows", []string{"/S", "/D={{.InstallDir}}"}},
		{manifest.TypeInno, "windows", []string{"/VERYSILENT", "/SUPPRESSMSGBOXES", "/LOG={{.LogFile}}"}},
		{manifest.TypeInstallShield, "windows", []string{"/s", `/v"/qn"`}},
		{manifest.TypeExe, "windows", []string{"/quiet", "/log", "{{.LogFile}}"}},
	}
	for _, tc := range cases {
		t.Run(string(tc.typ), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "Acme Tool")
			files, err := Init(dir, Options{Type: tc.typ, Publisher: "ACME: Software"})
			require.NoError(t, err)
			assert.Contains(t, files, "package.yaml")

			m, err := manifest.Load(filepath.Join(dir, "package.yaml"))
			require.NoError(t, err)
			assert.Equal(t, "acme-tool", m.ID)
			assert.Equal(t, "Acme Tool", m.Name)
			assert.Equal(t, "ACME: Software", m.Publisher)
			p := m.Platforms[tc.platform]
			require.NotNil(t, p, "platform %s", tc.platform)
			assert.Subset(t, p.Installer.Install, tc.install)
			assert.NotEmpty(t, p.Installer.Uninstall)

			r, err := lint.Dir(dir)
			require.NoError(t, err)
			assert.Zero(t, r.Errors(), "%+v", r.Findings)
			if tc.typ != manifest.TypeScript {
				body, err := os.ReadFile(filepath.Join(dir, "package.yaml"))
				require.NoError(t, err)
				assert.Contains(t, string(body), "# The agent runs:\n      #   install:   "+strings.Join(p.Installer.Install, " "))
			}
		})
	}
}

func TestInitScriptFiles(t *testing.T) {
	dir := t.TempDir()
	files, err := Init(dir, Options{Type: manifest.TypeScript, ID: "demo"})
	require.NoError(t, err)
	assert.Equal(t, []string{"package.yaml", "install.sh", "uninstall.sh", "payload/bin/demo"}, files)
	for _, f := range []string{"install.sh", "uninstall.sh", "payload/bin/demo"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.NotZero(t, fi.Mode()&0o100, "%s is executable", f)
	}
}

// The script templates install, install again over a cut-off run, and uninstall twice, as the
// agent would run them (the full check with the engine is conform's TestInitPassesTheHarness).
func TestScriptTemplatesRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sh scripts")
	}
	pkg := t.TempDir()
	_, err := Init(pkg, Options{Type: manifest.TypeScript, ID: "demo"})
	require.NoError(t, err)
	dest := filepath.Join(t.TempDir(), "demo")
	logFile := filepath.Join(t.TempDir(), "vendor.log")
	sh := func(script, mode string) string {
		cmd := exec.Command("sh", script)
		cmd.Dir = pkg
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ISCDESK_MODE=" + mode, "ISCDESK_INSTALL_DIR=" + dest,
			"ISCDESK_PACKAGE_DIR=" + pkg, "ISCDESK_LOG=" + logFile}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s %s: %s", script, mode, out)
		return string(out)
	}
	sh("install.sh", "install")
	assert.FileExists(t, filepath.Join(dest, "bin", "demo"))
	v, err := os.ReadFile(filepath.Join(dest, "VERSION"))
	require.NoError(t, err)
	assert.Equal(t, "1.0.0\n", string(v))

	// A cut-off run leaves a stale temp file and a VERSION that is not there yet.
	require.NoError(t, os.Remove(filepath.Join(dest, "VERSION")))
	require.NoError(t, os.WriteFile(filepath.Join(dest, "bin", "demo.part"), []byte("half"), 0o644))
	sh("install.sh", "continue")
	assert.FileExists(t, filepath.Join(dest, "VERSION"))

	sh("uninstall.sh", "uninstall")
	assert.NoDirExists(t, dest)
	assert.Contains(t, sh("uninstall.sh", "uninstall"), "nothing of Demo to remove")
	log, err := os.ReadFile(logFile)
	require.NoError(t, err)
	assert.Contains(t, string(log), "installed Demo 1.0.0")
}

func TestInitRefuses(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "install.sh"), []byte("mine"), 0o644))
	_, err := Init(dir, Options{Type: manifest.TypeScript, ID: "demo"})
	require.ErrorContains(t, err, "install.sh already exists")
	_, err = os.Stat(filepath.Join(dir, "package.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing is written when one file exists")
	b, err := os.ReadFile(filepath.Join(dir, "install.sh"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(b))

	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Type: "wix", ID: "demo"}, `installer type "wix" is not known`},
		{Options{Type: manifest.TypeScript, ID: "Bad ID"}, "is not a package id"},
		{Options{Type: manifest.TypeScript, ID: "demo", Name: `Say "hi"`}, "may not hold"},
	} {
		_, err := Init(t.TempDir(), tc.o)
		assert.ErrorContains(t, err, tc.want)
	}
}

func TestIDFrom(t *testing.T) {
	for in, want := range map[string]string{"My Tool 2": "my-tool-2", "cad_viewer": "cad_viewer", "--X--": "x", "Ünï Tool": "n-tool"} {
		assert.Equal(t, want, idFrom(in), in)
	}
}
