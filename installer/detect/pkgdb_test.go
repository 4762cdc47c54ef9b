package detect

import (
	"context"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

func TestParseDpkgStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		out       string
		installed bool
		version   string
	}{
		{"installed", "install ok installed\t1.22.6\n", true, "1.22.6"},
		{"installed, no newline", "install ok installed\t1:2.38.1-5+deb12u3", true, "1:2.38.1-5+deb12u3"},
		{"held package", "hold ok installed\t3.0.11-1~deb12u2\n", true, "3.0.11-1~deb12u2"},
		{"triggers pending", "install ok triggers-pending\t2.36-9\n", true, "2.36-9"},
		{"config files only", "deinstall ok config-files\t1.2-1\n", false, ""},
		{"half installed", "install reinstreq half-installed\t1.2-1\n", false, ""},
		{"unpacked, not configured", "install ok unpacked\t1.2-1\n", false, ""},
		{"not installed, known", "unknown ok not-installed\t\n", false, ""},
		{"multi-arch, second installed", "deinstall ok config-files\t1.0\ninstall ok installed\t1.1\n", true, "1.1"},
		{"unknown package", "dpkg-query: no packages found matching libfoo\n", false, ""},
		{"empty", "", false, ""},
		{"garbage with a tab", "x\ty\n", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			installed, version := ParseDpkgStatus([]byte(c.out))
			assert.Equal(t, c.installed, installed)
			assert.Equal(t, c.version, version)
		})
	}
}

func TestParseRpmQuery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		out       string
		installed bool
		version   string
	}{
		{"installed", "4.4.20-1.el9\n", true, "4.4.20-1.el9"},
		{"installed, no newline", "1.1.1k-12.el8_9", true, "1.1.1k-12.el8_9"},
		{"multilib, first wins", "2.28-236.el8\n2.28-236.el8\n", true, "2.28-236.el8"},
		{"not installed", "package libfoo is not installed\n", false, ""},
		{"rpmdb warning first", "warning: Found bdb_ro Packages database\n3.2-1\n", true, "3.2-1"},
		{"rpmdb error", "error: rpmdb: BDB0113 Thread/process 1234 failed\nerror: cannot open Packages index\n", false, ""},
		{"empty", "", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			installed, version := ParseRpmQuery([]byte(c.out))
			assert.Equal(t, c.installed, installed)
			assert.Equal(t, c.version, version)
		})
	}
}

// TestRealDpkgQuery asks this machine's dpkg database about dpkg itself, which a Debian-based
// system certainly has, and about a name no package has.
func TestRealDpkgQuery(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("dpkg-query is not on PATH: not a Debian-based system")
	}
	want, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "dpkg").Output()
	require.NoError(t, err, "dpkg-query should know dpkg itself")

	d := New()
	res, err := d.Detect(t.Context(), []manifest.DetectRule{{Dpkg: "dpkg"}, {Dpkg: "iscdesk-no-such-package"}}, manifest.Vars{})
	require.NoError(t, err)
	require.Len(t, res.Rules, 2)
	assert.True(t, res.Rules[0].Held, res.Rules[0].Detail)
	assert.Equal(t, string(want), res.Rules[0].Version)
	assert.False(t, res.Rules[1].Held)
	assert.Equal(t, "dpkg: package iscdesk-no-such-package is not installed", res.Rules[1].Detail)
	assert.False(t, res.Installed)
}

// recordingRunner records the commands it is asked to run and answers each with exit status 1.
type recordingRunner struct{ calls [][]string }

func (r *recordingRunner) Output(_ context.Context, dir string, argv []string) ([]byte, int, error) {
	r.calls = append(r.calls, append([]string{"dir=" + dir}, argv...))
	return nil, 1, nil
}

func TestPackageQueryCommands(t *testing.T) {
	t.Parallel()
	r := &recordingRunner{}
	d := Detector{Runner: r}
	rules := []manifest.DetectRule{{Dpkg: "solver-{{.Version}}"}, {Rpm: "-solver"}}
	_, err := d.Detect(t.Context(), rules, manifest.Vars{Version: "2.1"})
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		{"dir=", "dpkg-query", "-W", "-f=${Status}\t${Version}\n", "--", "solver-2.1"},
		{"dir=", "rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}\n", "--", "-solver"},
	}, r.calls, "names are templates, and a name cannot pass for an option")
}
