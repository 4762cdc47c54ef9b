package linuxpkg

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersions(t *testing.T) {
	tests := []struct {
		in, deb, debFile, rpmFile string
		ok                        bool
	}{
		{in: "1.2.3", deb: "1.2.3-1", debFile: "iscdesk-agent_1.2.3_amd64.deb", rpmFile: "iscdesk-agent-1.2.3.x86_64.rpm", ok: true},
		{in: "1.2.3-rc.1", deb: "1.2.3~rc.1-1", debFile: "iscdesk-agent_1.2.3-rc.1_amd64.deb", rpmFile: "iscdesk-agent-1.2.3-rc.1.x86_64.rpm", ok: true},
		{in: "1.2"}, {in: "v1.2.3"}, {in: "1.2.3-"}, {in: "1.2.3-rc_1"}, {in: "1.2.3 "},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := CheckVersion(tt.in)
			if !tt.ok {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "MAJOR.MINOR.PATCH")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.deb, debVersion(tt.in))
			got, err := FileName("deb", tt.in, "amd64")
			require.NoError(t, err)
			assert.Equal(t, tt.debFile, got)
			got, err = FileName("rpm", tt.in, "amd64")
			require.NoError(t, err)
			assert.Equal(t, tt.rpmFile, got)
		})
	}
	_, err := FileName("rpm", "1.2.3", "mips")
	assert.Error(t, err)
	_, err = FileName("apk", "1.2.3", "amd64")
	assert.Error(t, err)
}

// TestBuildDeb builds a deb from stand-in binaries and reads it back with dpkg-deb.
func TestBuildDeb(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb is not installed; this test reads the deb back with it")
	}
	dir := t.TempDir()
	spec := Spec{Version: "1.2.3", Arch: "amd64", Unit: []byte("[Unit]\n"), Maintainer: "T <t@example.com>",
		Agent: filepath.Join(dir, "agent"), CLI: filepath.Join(dir, "cli"), Date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	for _, p := range []string{spec.Agent, spec.CLI} {
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755))
	}
	deb := filepath.Join(dir, "x.deb")
	var b bytes.Buffer
	require.NoError(t, Build("deb", spec, &b))
	require.NoError(t, os.WriteFile(deb, b.Bytes(), 0o644))

	list, err := exec.Command("dpkg-deb", "--contents", deb).CombinedOutput()
	require.NoError(t, err, "%s", list)
	for _, want := range []string{"./usr/bin/iscdesk-agent", "./usr/bin/iscdesk", "./lib/systemd/system/iscdesk-agent.service",
		"./etc/iscdesk/agent.yaml", "./usr/share/doc/iscdesk-agent/copyright", "./usr/share/lintian/overrides/iscdesk-agent"} {
		assert.Contains(t, string(list), want)
	}
	for field, want := range map[string]string{"Version": "1.2.3-1", "Depends": "adduser", "Package": Name} {
		out, err := exec.Command("dpkg-deb", "--field", deb, field).Output()
		require.NoError(t, err)
		assert.Equal(t, want, strings.TrimSpace(string(out)), field)
	}
	ctrl := filepath.Join(dir, "control")
	out, err := exec.Command("dpkg-deb", "--control", deb, ctrl).CombinedOutput()
	require.NoError(t, err, "%s", out)
	conffiles, err := os.ReadFile(filepath.Join(ctrl, "conffiles"))
	require.NoError(t, err)
	assert.Equal(t, "/etc/iscdesk/agent.yaml\n", string(conffiles))
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		st, err := os.Stat(filepath.Join(ctrl, s))
		require.NoError(t, err, s)
		assert.NotZero(t, st.Mode()&0o111, "%s is executable", s)
		// sh -n: the script parses.
		out, err := exec.Command("sh", "-n", filepath.Join(ctrl, s)).CombinedOutput()
		assert.NoError(t, err, "%s: %s", s, out)
	}
	copyright, err := exec.Command("dpkg-deb", "--fsys-tarfile", deb).Output()
	require.NoError(t, err)
	assert.Contains(t, string(copyright), "Copyright: 2026 ISCDesk authors", "the build year is filled in")
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.WriteFile(bin, []byte("x"), 0o755))
	good := Spec{Version: "1.0.0", Arch: "amd64", Agent: bin, CLI: bin, Unit: []byte("[Unit]\n")}
	tests := []struct {
		name, format, wantErr string
		edit                  func(*Spec)
	}{
		{name: "bad version", format: "deb", edit: func(s *Spec) { s.Version = "one" }, wantErr: "MAJOR.MINOR.PATCH"},
		{name: "unknown format", format: "apk-ish", edit: func(*Spec) {}, wantErr: "not known"},
		{name: "no agent binary", format: "rpm", edit: func(s *Spec) { s.Agent = filepath.Join(dir, "none") }, wantErr: "the agent binary"},
		{name: "no unit", format: "deb", edit: func(s *Spec) { s.Unit = nil }, wantErr: "service unit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.edit(&s)
			err := Build(tt.format, s, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}
