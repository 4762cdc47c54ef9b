//go:build !windows

package stage

import (
	"context"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestDirModesAndSymlinks(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"setup.sh": "#!/bin/sh\n", "data/readme.txt": "hi", "data/secret": "s", "data/shared": "w", "ro/file": "r",
	})
	modes := map[string]fs.FileMode{
		"setup.sh":        0o755 | fs.ModeSetuid | fs.ModeSetgid,
		"data/readme.txt": 0o644,
		"data/secret":     0o600,
		"data/shared":     0o666, // world-writable: others lose write
		"ro":              0o555,
		"data":            0o777 | fs.ModeSticky,
	}
	for rel, m := range modes {
		require.NoError(t, os.Chmod(filepath.Join(src, rel), m))
	}
	links := map[string]string{
		"bin/setup":  "../setup.sh", // to a file one level up
		"docs":       "data",        // to a folder
		"data/again": "../data/./readme.txt",
	}
	require.NoError(t, os.Mkdir(filepath.Join(src, "bin"), 0o755))
	for rel, target := range links {
		require.NoError(t, os.Symlink(target, filepath.Join(src, rel)))
	}
	parent := filepath.Join(t.TempDir(), "packages")
	dst := filepath.Join(parent, "cadpro")

	require.NoError(t, Dir(context.Background(), src, dst, Options{}))

	want := map[string]fs.FileMode{
		"setup.sh": 0o755, "data/readme.txt": 0o644, "data/secret": 0o600, "data/shared": 0o644,
		"ro": fs.ModeDir | 0o555, "data": fs.ModeDir | 0o755, "ro/file": 0o644,
	}
	for rel, m := range want {
		fi, err := os.Lstat(filepath.Join(dst, rel))
		require.NoError(t, err, rel)
		assert.Equal(t, m, fi.Mode(), "mode of %s", rel)
	}
	for rel, target := range links {
		got, err := os.Readlink(filepath.Join(dst, rel))
		require.NoError(t, err, rel)
		assert.Equal(t, target, got, rel)
	}
	data, err := os.ReadFile(filepath.Join(dst, "docs", "readme.txt"))
	require.NoError(t, err)
	assert.Equal(t, "hi", string(data), "the folder link works in the copy")

	for _, p := range []string{dst, parent} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, fs.ModeDir|0o700, fi.Mode(), "%s is root-only", p)
	}
}

func TestDirRejects(t *testing.T) {
	tests := []struct {
		name  string
		make  func(t *testing.T, src string) // creates the offending entry
		rel   string                         // its path, which the error must name
		want  string
		root  bool // needs root
		mknod bool
	}{
		{
			name: "absolute symlink",
			make: func(t *testing.T, src string) { symlink(t, "/etc/passwd", filepath.Join(src, "payload", "passwd")) },
			rel:  "payload/passwd", want: "points to the absolute path /etc/passwd",
		},
		{
			name: "symlink out of the package",
			make: func(t *testing.T, src string) { symlink(t, "../../outside", filepath.Join(src, "payload", "out")) },
			rel:  "payload/out", want: "does not resolve inside the package",
		},
		{
			name: "symlink to the folder above",
			make: func(t *testing.T, src string) { symlink(t, "../..", filepath.Join(src, "payload", "up")) },
			rel:  "payload/up", want: "points outside the package",
		},
		{
			name: "symlink that looks inside but goes through a link",
			make: func(t *testing.T, src string) {
				symlink(t, ".", filepath.Join(src, "here")) // fine on its own
				symlink(t, "../here/..", filepath.Join(src, "payload", "sneaky"))
			},
			rel: "payload/sneaky", want: "points outside the package",
		},
		{
			name: "dangling symlink",
			make: func(t *testing.T, src string) { symlink(t, "missing", filepath.Join(src, "payload", "gone")) },
			rel:  "payload/gone", want: "does not resolve",
		},
		{
			name: "fifo",
			make: func(t *testing.T, src string) {
				require.NoError(t, unix.Mkfifo(filepath.Join(src, "payload", "pipe"), 0o644))
			},
			rel: "payload/pipe", want: "is a named pipe (fifo)",
		},
		{
			name: "socket",
			make: func(t *testing.T, src string) {
				l, err := net.Listen("unix", filepath.Join(src, "payload", "sock"))
				require.NoError(t, err)
				t.Cleanup(func() { _ = l.Close() })
			},
			rel: "payload/sock", want: "is a socket",
		},
		{
			name: "character device",
			make: func(t *testing.T, src string) {
				dev := int(unix.Mkdev(1, 3)) // like /dev/null
				require.NoError(t, unix.Mknod(filepath.Join(src, "payload", "null"), unix.S_IFCHR|0o644, dev))
			},
			rel: "payload/null", want: "is a character device", root: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Geteuid() != 0 {
				t.Skip("creating a device file needs root")
			}
			src := filepath.Join(t.TempDir(), "pkg")
			writeFiles(t, src, map[string]string{"a": "a", "payload/b": "b"})
			tt.make(t, src)
			dst := filepath.Join(t.TempDir(), "staged")

			err := Dir(context.Background(), src, dst, Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.rel)
			assert.Contains(t, err.Error(), tt.want)
			assertNothingStaged(t, dst)
		})
	}
}

func symlink(t *testing.T, target, at string) {
	t.Helper()
	require.NoError(t, os.Symlink(target, at))
}

// mountTiny mounts a 1 MiB tmpfs for the disk-full tests, or skips.
func mountTiny(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs to fill needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the disk-full path is not tested", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

func TestDirDiskFull(t *testing.T) {
	mnt := mountTiny(t)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"small": "x", "big.bin": strings.Repeat("b", 2<<20)})

	tests := []struct {
		name string
		o    Options
		want []string
		errs []error
	}{
		{
			name: "the space check refuses before copying",
			o:    Options{},
			want: []string{"needs 2.2 MiB free in " + filepath.Join(mnt, "packages"), "free some space or move the state folder"},
			errs: []error{ErrDiskFull},
		},
		{
			name: "the disk fills while copying",
			o:    Options{skipSpaceCheck: true},
			want: []string{"the disk is full in " + filepath.Join(mnt, "packages"), "needs about 2.2 MiB", "free some space or move the state folder"},
			errs: []error{ErrDiskFull, syscall.ENOSPC},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(mnt, "packages", "cadpro")
			err := Dir(context.Background(), src, dst, tt.o)
			require.Error(t, err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
			for _, target := range tt.errs {
				assert.ErrorIs(t, err, target)
			}
			assertNothingStaged(t, dst)
			free, err := FreeSpace(mnt)
			require.NoError(t, err)
			assert.Greater(t, free, int64(900<<10), "the partial copy's space is given back")
		})
	}
}
