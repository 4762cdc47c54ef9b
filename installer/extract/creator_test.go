package extract

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// creators returns every creator this OS can use on a fresh folder; each must pass the same suite.
func creators(t *testing.T) map[string]func(dir string) creator {
	t.Helper()
	open := func(dir string) *os.Root {
		root, err := os.OpenRoot(dir)
		require.NoError(t, err)
		t.Cleanup(func() { root.Close() })
		return root
	}
	return map[string]func(string) creator{
		"root": func(dir string) creator { return rootCreator{open(dir)} },
		"native": func(dir string) creator {
			c, err := newCreator(dir, open(dir))
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, c.close()) })
			return c
		},
	}
}

func TestCreatorMakesFoldersAndFiles(t *testing.T) {
	for name, newC := range creators(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := newC(dir)
			require.NoError(t, c.mkdir("a"))
			require.NoError(t, c.mkdir("a/b"))
			for _, f := range []struct {
				name string
				mode fs.FileMode
			}{{"top.txt", 0o644}, {"a/b/run.sh", 0o755}, {"a/data.bin", 0o644}} {
				w, err := c.create(f.name, f.mode)
				require.NoError(t, err, f.name)
				_, err = io.WriteString(w, "content of "+f.name)
				require.NoError(t, err)
				require.NoError(t, w.Close())
				got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.name)))
				require.NoError(t, err)
				assert.Equal(t, "content of "+f.name, string(got))
				if runtime.GOOS != "windows" {
					fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.name)))
					require.NoError(t, err)
					assert.Equal(t, f.mode, fi.Mode().Perm(), f.name)
				}
			}
			if runtime.GOOS != "windows" {
				fi, err := os.Stat(filepath.Join(dir, "a", "b"))
				require.NoError(t, err)
				assert.Equal(t, fs.FileMode(0o755), fi.Mode().Perm())
			}
		})
	}
}

func TestCreatorRefuses(t *testing.T) {
	outside := t.TempDir()
	for name, newC := range creators(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := newC(dir)
			require.NoError(t, c.mkdir("d"))
			w, err := c.create("d/f", 0o644)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			require.NoError(t, os.Symlink(filepath.Join(outside, "x"), filepath.Join(dir, "d", "link")))
			require.NoError(t, os.Symlink(outside, filepath.Join(dir, "out")))

			for _, bad := range []string{"d/f", "d/link", "..", "d/..", "out/x"} {
				w, err := c.create(bad, 0o644)
				if !assert.Error(t, err, "create %q", bad) {
					w.Close()
				}
			}
			for _, bad := range []string{"d", "..", "out/sub"} {
				assert.Error(t, c.mkdir(bad), "mkdir %q", bad)
			}
			entries, err := os.ReadDir(outside)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing may land outside the folder")
		})
	}
}

func TestCreatorWriteAfterClose(t *testing.T) {
	for name, newC := range creators(t) {
		t.Run(name, func(t *testing.T) {
			c := newC(t.TempDir())
			w, err := c.create("f", 0o644)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			_, err = w.Write([]byte("late"))
			assert.ErrorIs(t, err, fs.ErrClosed)
			assert.Error(t, w.Close())
		})
	}
}
