package localapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const nobodyID = 65534

// TestAccessByIdentity calls the API from a child process running as uid 65534 (nobody): it may
// read, and it may install only when the install group includes it.
func TestAccessByIdentity(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it runs a child process as uid 65534 and creates a group")
	}
	if _, err := user.LookupId("65534"); err != nil {
		t.Skipf("no user with uid 65534 on this machine: %v", err)
	}
	nogroup, err := user.LookupGroupId("65534")
	if err != nil {
		t.Skipf("no group with gid 65534 on this machine: %v", err)
	}
	for _, tool := range []string{"groupadd", "groupdel", "usermod"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is missing: %v", tool, err)
		}
	}
	dir := reachableDir(t)
	bin := copyTestBinary(t, dir)
	group := tempGroup(t)

	tests := []struct {
		name    string
		policy  Policy
		setup   func(t *testing.T)
		allowed bool
	}{
		{name: "not in the install group", policy: Policy{InstallGroup: group}},
		{name: "no install group", policy: Policy{}},
		{name: "the install group is its primary group", policy: Policy{InstallGroup: nogroup.Name}, allowed: true},
		{name: "added to the install group with usermod -aG", policy: Policy{InstallGroup: group}, allowed: true,
			setup: func(t *testing.T) { run(t, "usermod", "-aG", group, "nobody") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			sock := filepath.Join(dir, "agent.sock")
			ts := startServerOn(t, sock, tt.policy)
			rep := runAsNobody(t, bin, dir, sock)

			assert.Equal(t, http.StatusOK, rep.StatusCode, "everyone may read the status")
			assert.Equal(t, "65534", rep.Caller.UID, "the caller is known by its uid")
			assert.Equal(t, "nobody", rep.Caller.User)
			assert.Equal(t, tt.allowed, rep.Caller.CanInstall)
			if tt.allowed {
				assert.Equal(t, http.StatusAccepted, rep.SubmitCode)
				assert.Len(t, ts.b.Submitted(), 1)
				return
			}
			assert.Equal(t, http.StatusForbidden, rep.SubmitCode)
			assert.Equal(t, "forbidden", rep.SubmitError.Code)
			assert.Empty(t, ts.b.Submitted(), "a refused job never reaches the backend")
			if tt.policy.InstallGroup != "" {
				assert.Equal(t, `installing needs root or membership of the group "`+group+`"; ask IT: usermod -aG `+group+` nobody, then log in again`,
					rep.SubmitError.Error)
			} else {
				assert.Equal(t, "installing needs root; run the command with sudo", rep.SubmitError.Error)
			}
		})
	}
}

func runAsNobody(t *testing.T, bin, dir, sock string) childReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = []string{childSocketEnv + "=" + sock, "HOME=/"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyID, Gid: nobodyID}}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "child: %s", stderr.String())
	var rep childReport
	require.NoError(t, json.Unmarshal(out, &rep), "child said: %s", out)
	return rep
}

// reachableDir is a temp folder that uid 65534 may enter (t.TempDir is 0700).
func reachableDir(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir
}

// copyTestBinary puts this test binary where uid 65534 can run it (the build cache is private).
func copyTestBinary(t *testing.T, dir string) string {
	self, err := os.Executable()
	require.NoError(t, err)
	src, err := os.Open(self)
	require.NoError(t, err)
	defer src.Close()
	bin := filepath.Join(dir, "localapi.test")
	dst, err := os.OpenFile(bin, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
	return bin
}

// tempGroup creates a group for this test and deletes it (and its memberships) afterwards.
func tempGroup(t *testing.T) string {
	b := make([]byte, 4)
	_, err := rand.Read(b)
	require.NoError(t, err)
	name := "isctest-" + hex.EncodeToString(b)
	run(t, "groupadd", name)
	t.Cleanup(func() { run(t, "groupdel", name) })
	return name
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
}
