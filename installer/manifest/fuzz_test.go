package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse feeds Parse arbitrary documents: it must never panic, every problem it reports is an
// *Error naming the file, and a manifest it accepts must pass Validate and yield commands.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(f, err)
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(base))
	f.Add([]byte("a: &x [1]\nb: *x\n"))
	f.Add([]byte("platforms: {linux: {installer: {type: exe, install: 'a \"b'}}}"))

	vars := Vars{InstallDir: "/opt/app", PackageDir: "/var/pkg", LogFile: "/var/log/x.log", Version: "1", ID: "a", Mode: "install"}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("fuzz.yaml", data)
		if err != nil {
			require.Nil(t, m)
			var joined interface{ Unwrap() []error }
			if errors.As(err, &joined) {
				for _, e := range joined.Unwrap() {
					var pe *Error
					require.ErrorAs(t, e, &pe)
					require.Equal(t, "fuzz.yaml", pe.File)
				}
			}
			return
		}
		require.NoError(t, m.Validate(), "an accepted manifest re-validates")
		require.NotEmpty(t, m.Platforms)
		for key, p := range m.Platforms {
			osName, arch, _ := strings.Cut(key, "/")
			if arch == "" {
				arch = "amd64"
			}
			got, err := m.For(osName, arch)
			require.NoError(t, err)
			if strings.Contains(key, "/") {
				require.Same(t, p, got)
			}
			_, err = p.InstallCommand(vars)
			require.NoError(t, err)
			_, err = p.UninstallCommand(vars)
			require.NoError(t, err)
			if p.License != nil && p.License.Path != "" {
				lp, err := p.LicensePath(vars)
				require.NoError(t, err)
				require.True(t, Within(vars.InstallDir, lp))
			}
		}
	})
}

// FuzzExpand: Expand never panics, and a template that parses always expands.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"{{.InstallDir}}/bin", "{{ .ID }}-{{.Version}}", "{{.Nope}}", "{{printf \"%d\" 1}}",
		"{{range .ID}}{{end}}", "{{", "}}{{.Mode}}", "{{define \"a\"}}{{end}}", "plain"} {
		f.Add(s)
	}
	v := Vars{InstallDir: "/i", PackageDir: "/p", LogFile: "/l", Version: "1", ID: "a", Mode: "m"}
	f.Fuzz(func(t *testing.T, tmpl string) {
		out, err := Expand(tmpl, v)
		if _, perr := parseTemplate(tmpl); perr == nil {
			require.NoError(t, err)
			// Only field values are copied in, so the output is bounded by the input.
			require.LessOrEqual(t, len(out), len(tmpl)*2+16)
		}
	})
}
