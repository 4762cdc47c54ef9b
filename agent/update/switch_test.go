//go:build unix

package update

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// script is a "new agent" written in sh: it does what a release on trial might do.
func script(body string) []byte { return []byte("#!/bin/sh\n" + body + "\n") }

func TestSwitch(t *testing.T) {
	t.Parallel()
	healthy := func(version string) func(stateDir string) []byte {
		return func(stateDir string) []byte {
			return script(fmt.Sprintf(`printf '{"pid":%%d,"version":"%s"}' $$ > %s.tmp && mv %s.tmp %s
trap 'exit 0' TERM
while :; do sleep 0.05; done`, version, filepath.Join(stateDir, HealthFile), filepath.Join(stateDir, HealthFile), filepath.Join(stateDir, HealthFile)))
		}
	}
	cases := []struct {
		name    string
		binary  func(stateDir string) []byte
		noDir   bool   // the binary's folder is gone: selfupdate cannot write
		reason  string // "" for a confirmed switch
		errText string
	}{
		{name: "serves and stops when asked", binary: healthy("2.0.0")},
		{name: "reports another version", binary: healthy("1.5.0"), reason: "reports version 1.5.0"},
		{name: "exits at start", binary: func(string) []byte { return script("exit 1") }, reason: "exited before it served"},
		{name: "never serves", binary: func(string) []byte { return script("while :; do sleep 0.05; done") }, reason: "did not serve within"},
		{name: "binary folder missing", binary: func(string) []byte { return script("exit 0") }, noDir: true, errText: "the old binary is unchanged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, stateDir := t.TempDir(), t.TempDir()
			exe := filepath.Join(dir, "bin", "iscdesk-agent")
			if !tc.noDir {
				require.NoError(t, os.MkdirAll(filepath.Dir(exe), 0o755))
				require.NoError(t, os.WriteFile(exe, []byte("old agent"), 0o755))
			}
			bin := tc.binary(stateDir)
			sw := Switcher{Exe: exe, StateDir: stateDir, From: "1.0.0", HealthTimeout: 2 * time.Second, StopGrace: 10 * time.Second}
			err := sw.Switch(context.Background(), &Staged{Release: api.AgentRelease{Version: "2.0.0"}, Binary: bin, Sum: sha256.Sum256(bin)})
			rec, rerr := loadRecord(stateDir)
			require.NoError(t, rerr)
			assert.Nil(t, rec.Pending, "no switch is left pending")

			switch {
			case tc.errText != "":
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.errText)
				assert.Empty(t, rec.Failed, "a write error is not the version's fault")
				return
			case tc.reason == "":
				require.NoError(t, err)
				got, _ := os.ReadFile(exe)
				assert.Equal(t, bin, got)
				old, _ := os.ReadFile(OldPath(exe))
				assert.Equal(t, "old agent", string(old), "the previous binary is kept for a manual rollback")
				assert.Contains(t, rec.Last, "updated from 1.0.0 to 2.0.0")
				return
			}
			var he *HealthError
			require.ErrorAs(t, err, &he)
			assert.Contains(t, he.Reason, tc.reason)
			got, _ := os.ReadFile(exe)
			assert.Equal(t, "old agent", string(got), "the old binary is back")
			_, err = os.Stat(OldPath(exe))
			assert.ErrorIs(t, err, os.ErrNotExist)
			f, failed := rec.failed("2.0.0")
			require.True(t, failed)
			assert.Contains(t, f.Reason, tc.reason)
		})
	}
}

func TestSwitchInterrupted(t *testing.T) {
	t.Parallel()
	dir, stateDir := t.TempDir(), t.TempDir()
	exe := filepath.Join(dir, "iscdesk-agent")
	require.NoError(t, os.WriteFile(exe, []byte("old agent"), 0o755))
	bin := script("while :; do sleep 0.05; done")
	ctx, cancel := context.WithCancel(context.Background())
	sw := Switcher{Exe: exe, StateDir: stateDir, From: "1.0.0", HealthTimeout: time.Minute}
	go func() {
		// The stop comes once the trial runs: the binary is swapped by then. Polled, with a deadline.
		defer cancel()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
			if got, _ := os.ReadFile(exe); string(got) == string(bin) {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	err := sw.Switch(ctx, &Staged{Release: api.AgentRelease{Version: "2.0.0"}, Binary: bin, Sum: sha256.Sum256(bin)})
	require.ErrorIs(t, err, context.Canceled)
	got, _ := os.ReadFile(exe)
	assert.Equal(t, "old agent", string(got))
	rec, err := loadRecord(stateDir)
	require.NoError(t, err)
	assert.Empty(t, rec.Failed, "an interrupted trial does not mark the version as failed")
	assert.Nil(t, rec.Pending)
}
