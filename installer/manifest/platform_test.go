package manifest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFor(t *testing.T) {
	m := &Manifest{ID: "app", Version: "1.0", Platforms: map[string]*Platform{
		"linux": {Key: "linux"}, "linux/arm64": {Key: "linux/arm64"}, "windows/amd64": {Key: "windows/amd64"},
	}}
	tests := []struct{ goos, goarch, want string }{
		{"linux", "arm64", "linux/arm64"},
		{"linux", "amd64", "linux"},
		{"windows", "amd64", "windows/amd64"},
	}
	for _, tt := range tests {
		p, err := m.For(tt.goos, tt.goarch)
		require.NoError(t, err)
		assert.Equal(t, tt.want, p.Key)
	}
	for _, osArch := range [][2]string{{"windows", "arm64"}, {"darwin", "arm64"}} {
		_, err := m.For(osArch[0], osArch[1])
		require.ErrorIs(t, err, ErrUnsupportedPlatform)
		assert.ErrorContains(t, err, "app 1.0 is packaged for linux, linux/arm64, windows/amd64, not for "+osArch[0]+"/"+osArch[1])
	}
}

func TestInstallCommand(t *testing.T) {
	m, err := Load("testdata/nsis-multi.yaml")
	require.NoError(t, err)
	v := Vars{InstallDir: `C:\Program Files\PLC Studio`, PackageDir: `C:\ProgramData\iscdesk\pkg\1`, LogFile: `C:\logs\1.log`}
	p, err := m.For("windows", "amd64")
	require.NoError(t, err)
	install, err := p.InstallCommand(v)
	require.NoError(t, err)
	assert.Equal(t, []string{`C:\ProgramData\iscdesk\pkg\1\PLCStudio-Setup.exe`, "/S", `/D=C:\Program Files\PLC Studio`}, install)
	uninstall, err := p.UninstallCommand(v)
	require.NoError(t, err)
	assert.Equal(t, []string{`C:\Program Files\PLC Studio\uninstall.exe`, "/S"}, uninstall)

	broken := &Platform{Key: "linux", Installer: Installer{Install: []string{"{{.PackageDir}}"}, Uninstall: []string{"{{.Nope}}"}}}
	_, err = broken.InstallCommand(Vars{})
	assert.ErrorContains(t, err, `install command of platform linux: the program "{{.PackageDir}}" expands to nothing`)
	_, err = broken.UninstallCommand(Vars{})
	assert.ErrorContains(t, err, `uninstall command of platform linux: argument 1: template "{{.Nope}}" uses .Nope`)
	_, err = (&Platform{Key: "linux"}).InstallCommand(Vars{})
	assert.ErrorContains(t, err, "platform linux has no install command")
}

func TestOutcome(t *testing.T) {
	p := &Platform{ExitCodes: map[int]Outcome{42: OutcomeRetryLater, 3010: OutcomeSuccess}}
	tests := []struct {
		p    *Platform
		code int
		want Outcome
	}{
		{p, 42, OutcomeRetryLater},   // the package's own code
		{p, 3010, OutcomeSuccess},    // the package's table is read before the defaults
		{p, 0, OutcomeSuccess},       // defaults
		{p, 1641, OutcomeReboot},     //
		{p, 1618, OutcomeRetryLater}, //
		{p, 1602, OutcomeCancelled},  //
		{p, 1223, OutcomeCancelled},  //
		{p, 1, OutcomeFailed},        // anything else
		{p, -1, OutcomeFailed},       //
		{nil, 3010, OutcomeReboot},   // no platform: defaults only
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.p.Outcome(tt.code), "code %d", tt.code)
	}
	for _, o := range DefaultExitCodes {
		assert.True(t, o.Valid(), o)
	}
	assert.False(t, Outcome("ok").Valid())
}

func TestParseExitCode(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"42", 42, true}, {"042", 42, true}, {"-1073741510", -1073741510, true},
		{"0xC000013A", 0xC000013A, true}, {"0X2a", 42, true}, {"4294967295", 4294967295, true},
		{"4294967296", 0, false}, {"0x1FFFFFFFF", 0, false}, {"abc", 0, false}, {"", 0, false}, {"1.5", 0, false},
	}
	for _, tt := range tests {
		got, err := parseExitCode(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestLicensePath(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	tests := []struct {
		name, path string
		want       string // "" when an error is expected
		wantErr    string
	}{
		{"template", "{{.InstallDir}}/license/app.lic", filepath.Join(dir, "license", "app.lic"), ""},
		{"relative", "license/app.lic", filepath.Join(dir, "license", "app.lic"), ""},
		{"dots that stay inside", "{{.InstallDir}}/a/../b.lic", filepath.Join(dir, "b.lic"), ""},
		{"climbs out", "{{.InstallDir}}/../x.lic", "", "is not inside the install folder"},
		{"relative climb", "../../etc/passwd", "", "is not inside the install folder"},
		{"absolute elsewhere", filepath.Join(outside, "x.lic"), "", "is not inside the install folder"},
		{"the folder itself", "{{.InstallDir}}", "", "is not inside the install folder"},
		{"sibling with same prefix", "{{.InstallDir}}-evil/x.lic", "", "is not inside the install folder"},
		{"bad template", "{{.Dir}}/x.lic", "", `template "{{.Dir}}/x.lic" uses .Dir`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Platform{Key: "linux", License: &License{Path: tt.path}}
			got, err := p.LicensePath(Vars{InstallDir: dir})
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	_, err := (&Platform{Key: "linux", License: &License{Env: "X"}}).LicensePath(Vars{InstallDir: dir})
	assert.ErrorIs(t, err, ErrNoLicensePath)
	_, err = (&Platform{Key: "linux", License: &License{Path: "a.lic"}}).LicensePath(Vars{InstallDir: "rel"})
	assert.ErrorContains(t, err, `install folder "rel" is not an absolute path`)
}

func TestWithin(t *testing.T) {
	root := t.TempDir()
	sep := string(os.PathSeparator)
	tests := []struct {
		root, path string
		want       bool
	}{
		{root, root, true},
		{root, filepath.Join(root, "a", "b"), true},
		{root, root + sep + "a" + sep + ".." + sep + "b", true},
		{root, root + sep + ".." + sep + "x", false},
		{root, root + "x", false},
		{root, filepath.Dir(root), false},
		{root + sep, filepath.Join(root, "a"), true},
		{root, "a", false},
		{"", root, false},
		{"rel", "rel/a", false},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, struct {
			root, path string
			want       bool
		}{"/", "/etc", true})
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Within(tt.root, tt.path), "Within(%q, %q)", tt.root, tt.path)
	}
}
