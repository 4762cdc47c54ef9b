package fetch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// smallDisk mounts a tmpfs of the given size, or skips.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); needs CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// fill writes a file until the disk is full. It runs on the server's goroutine, so it returns its
// error rather than failing the test itself.
func fill(path string) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	defer file.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := file.Write(buf); err != nil {
			if errors.Is(err, unix.ENOSPC) {
				return nil
			}
			return fmt.Errorf("filling the disk: %w", err)
		}
	}
}

func TestDiskSpace(t *testing.T) {
	disk := smallDisk(t, "4m")

	t.Run("not enough space before downloading", func(t *testing.T) {
		v, c := testFile(31, 6<<20)
		s := newServer(t, v, nil)
		f := &Fetcher{CacheDir: filepath.Join(disk, "a")}
		_, err := f.Fetch(t.Context(), Request{URLs: []string{s.URL}, Size: c.size, SHA256: c.sha256()})
		require.ErrorIs(t, err, ErrNoSpace)
		assert.Contains(t, err.Error(), f.CacheDir)
		assert.EqualValues(t, 0, s.requests.Load(), "nothing is requested")
	})

	t.Run("disk fills while writing, then resumes", func(t *testing.T) {
		const size = 3 << 20
		v, c := testFile(32, size)
		filler := filepath.Join(disk, "filler")
		f := &Fetcher{CacheDir: filepath.Join(disk, "b"), ReadTimeout: time.Minute}
		r := Request{Size: size, SHA256: c.sha256()}
		part := filepath.Join(f.CacheDir, r.SHA256+".partial")
		// Fill the disk once the client has written what it was sent, so that there is something to resume.
		hook := func() {
			deadline := time.Now().Add(time.Minute)
			for fi, err := os.Stat(part); err != nil || fi.Size() < size/3; fi, err = os.Stat(part) {
				if time.Now().After(deadline) {
					t.Errorf("the client did not write %d bytes in time", size/3)
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := fill(filler); err != nil {
				t.Error(err)
			}
		}
		s := newServer(t, v, func(n int) reply {
			if n == 0 {
				return reply{hookAt: size / 3, hook: hook}
			}
			return reply{}
		})
		r.URLs = []string{s.URL}
		_, err := f.Fetch(t.Context(), r)
		require.ErrorIs(t, err, ErrDiskFull)
		assert.Contains(t, err.Error(), part)
		assert.Contains(t, err.Error(), "free some space")
		require.FileExists(t, part, "the partial file is kept")

		require.NoError(t, os.Remove(filler))
		path, err := f.Fetch(t.Context(), r)
		require.NoError(t, err)
		requireVerified(t, path, c)
		assert.NotEmpty(t, s.header(int(s.requests.Load())-1).Get("Range"), "the second fetch resumed")
	})
}
