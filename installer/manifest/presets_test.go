package manifest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const guid = "{6F1E2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B}"

// windowsDoc is a windows package whose installer block is given.
func windowsDoc(installer string) string {
	return `format: 1
id: app
name: App
version: 1.0
publisher: ACME
platforms:
  windows:
    installer:
` + installer + `    on_interrupt: overwrite
    detect:
      - file: '{{.InstallDir}}\app.exe'
`
}

func TestPresets(t *testing.T) {
	tests := []struct {
		typ                string
		extra              string // more installer lines
		install, uninstall []string
	}{
		{typ: "msi", extra: "file: app.msi\nproduct_code: \"" + guid + "\"",
			install:   []string{"msiexec", "/i", `{{.PackageDir}}\app.msi`, "/qn", "/norestart", "/l*v", "{{.LogFile}}"},
			uninstall: []string{"msiexec", "/x", guid, "/qn", "/norestart", "/l*v", "{{.LogFile}}"}},
		{typ: "msi", extra: "file: sub\\app.msi\nproduct_code: \"" + guid + "\"\nlog: '{{.InstallDir}}\\msi.log'",
			install:   []string{"msiexec", "/i", `{{.PackageDir}}\sub\app.msi`, "/qn", "/norestart", "/l*v", `{{.InstallDir}}\msi.log`},
			uninstall: []string{"msiexec", "/x", guid, "/qn", "/norestart", "/l*v", `{{.InstallDir}}\msi.log`}},
		{typ: "nsis", extra: "file: setup.exe\nuninstall: '\"{{.InstallDir}}\\uninstall.exe\" /S'",
			install:   []string{`{{.PackageDir}}\setup.exe`, "/S", "/D={{.InstallDir}}"},
			uninstall: []string{`{{.InstallDir}}\uninstall.exe`, "/S"}},
		{typ: "inno", extra: "file: setup.exe",
			install:   []string{`{{.PackageDir}}\setup.exe`, "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/SP-", "/LOG={{.LogFile}}", "/DIR={{.InstallDir}}"},
			uninstall: []string{`{{.InstallDir}}\unins000.exe`, "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART"}},
		{typ: "installshield", extra: "file: setup.exe\nuninstall: [msiexec, /x, \"" + guid + "\", /qn]",
			install:   []string{`{{.PackageDir}}\setup.exe`, "/s", `/v"/qn"`},
			uninstall: []string{"msiexec", "/x", guid, "/qn"}},
		{typ: "exe", extra: "install: [\"{{.PackageDir}}\\\\setup.exe\", /quiet]\nuninstall: '{{.InstallDir}}\\uninst.exe /quiet'",
			install:   []string{`{{.PackageDir}}\setup.exe`, "/quiet"},
			uninstall: []string{`{{.InstallDir}}\uninst.exe`, "/quiet"}},
		{typ: "script", extra: "install: [cmd, /c, install.cmd]\nuninstall: cmd /c uninstall.cmd",
			install:   []string{"cmd", "/c", "install.cmd"},
			uninstall: []string{"cmd", "/c", "uninstall.cmd"}},
		// The vendor's own command wins over the preset.
		{typ: "inno", extra: "file: setup.exe\ninstall: [\"{{.PackageDir}}\\\\setup.exe\", /SILENT]",
			install:   []string{`{{.PackageDir}}\setup.exe`, "/SILENT"},
			uninstall: []string{`{{.InstallDir}}\unins000.exe`, "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART"}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			lines := "      type: " + tt.typ + "\n"
			for _, l := range strings.Split(tt.extra, "\n") {
				lines += "      " + l + "\n"
			}
			m, err := Parse("package.yaml", []byte(windowsDoc(lines)))
			require.NoError(t, err)
			in := m.Platforms["windows"].Installer
			assert.Equal(t, tt.install, in.Install)
			assert.Equal(t, tt.uninstall, in.Uninstall)
		})
	}
}

// Every type in the table is documented and named in messages, and every preset's commands are
// valid templates once filled in.
func TestPresetTable(t *testing.T) {
	require.Len(t, installerTypes, len(presets))
	for _, name := range installerTypes {
		pre, ok := presets[InstallerType(name)]
		require.True(t, ok, name)
		in := Installer{Type: InstallerType(name), File: "setup.exe", ProductCode: guid}
		applyPreset("windows", &in)
		for _, cmd := range [][]string{in.Install, in.Uninstall} {
			for _, a := range cmd {
				_, err := parseTemplate(a)
				assert.NoError(t, err, name)
				assert.NotContains(t, a, "<", "placeholders are all replaced")
			}
		}
		assert.Equal(t, pre.install == nil, in.Install == nil, name)
	}
}

func TestPresetSeparatorFollowsPlatform(t *testing.T) {
	tests := []struct{ key, want string }{
		{"windows", `{{.PackageDir}}\setup.exe`},
		{"windows/arm64", `{{.PackageDir}}\setup.exe`},
		{"linux", "{{.PackageDir}}/setup.exe"},
		{"darwin/arm64", "{{.PackageDir}}/setup.exe"},
	}
	for _, tt := range tests {
		in := Installer{Type: TypeInno, File: "setup.exe"}
		applyPreset(tt.key, &in)
		require.NotEmpty(t, in.Install)
		assert.Equal(t, tt.want, in.Install[0], tt.key)
	}
}
