//go:build unix

package localapi

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListenCreatesFolderAndSocket(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run", "iscdesk")
	sock := filepath.Join(dir, "agent.sock")
	ln, err := Listen(sock, ListenOptions{})
	require.NoError(t, err)
	defer ln.Close()

	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
	fi, err = os.Stat(sock)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSocket, fi.Mode().Type())
	if hasPeerCreds {
		assert.Equal(t, os.FileMode(0o666), fi.Mode().Perm(), "callers are judged per request")
	} else {
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "without peer credentials only the owner may connect")
	}
}

func TestListenMode(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := Listen(sock, ListenOptions{Mode: 0o600})
	require.NoError(t, err)
	defer ln.Close()
	fi, err := os.Stat(sock)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestListenStaleSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	// An agent that died leaves its socket behind: nothing answers on it.
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	require.NoError(t, err)
	old.SetUnlinkOnClose(false)
	require.NoError(t, old.Close())
	require.FileExists(t, sock)

	ln, err := Listen(sock, ListenOptions{})
	require.NoError(t, err, "a stale socket is replaced")
	defer ln.Close()
	c, err := net.Dial("unix", sock)
	require.NoError(t, err)
	c.Close()
}

func TestListenRefuses(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir, sock string)
		want    string
	}{
		{
			name: "a live agent",
			prepare: func(t *testing.T, _, sock string) {
				ln, err := net.Listen("unix", sock)
				require.NoError(t, err)
				t.Cleanup(func() { ln.Close() })
			},
			want: "already listening",
		},
		{
			name: "a file that is not a socket",
			prepare: func(t *testing.T, _, sock string) {
				require.NoError(t, os.WriteFile(sock, []byte("x"), 0o644))
			},
			want: "is not a socket",
		},
		{
			name: "a folder others can write",
			prepare: func(t *testing.T, dir, _ string) {
				require.NoError(t, os.Chmod(dir, 0o777))
			},
			want: "writable by other users",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sock := filepath.Join(dir, "agent.sock")
			tt.prepare(t, dir, sock)
			ln, err := Listen(sock, ListenOptions{})
			if err == nil {
				ln.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), dir, "the error names the place")
		})
	}
}
