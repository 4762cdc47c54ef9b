package stage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeFiles creates files (relative path to contents) under root.
func writeFiles(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(root, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
}

// assertNothingStaged checks that neither dst nor a partial copy of it exists.
func assertNothingStaged(t *testing.T, dst string) {
	t.Helper()
	_, err := os.Lstat(dst)
	assert.ErrorIs(t, err, os.ErrNotExist, "dst must not exist")
	des, err := os.ReadDir(filepath.Dir(dst))
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	require.NoError(t, err)
	for _, de := range des {
		assert.False(t, strings.Contains(de.Name(), ".partial-"), "partial copy left behind: %s", de.Name())
	}
}

func TestDirCopiesFiles(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"package.yaml":         "id: cadpro\n",
		"payload/a.bin":        strings.Repeat("a", 3<<20), // more than one copy buffer
		"payload/deep/b/c.txt": "c",
		"empty":                "",
	}
	writeFiles(t, src, files)
	require.NoError(t, os.Mkdir(filepath.Join(src, "empty-dir"), 0o755))
	dst := filepath.Join(t.TempDir(), "staging", "cadpro-1.0")

	var last [2]int64
	calls := 0
	err := Dir(context.Background(), src, dst, Options{Progress: func(done, total int64) {
		calls++
		assert.GreaterOrEqual(t, done, last[0], "progress never goes back")
		last = [2]int64{done, total}
	}})
	require.NoError(t, err)

	for rel, want := range files {
		got, err := os.ReadFile(filepath.Join(dst, rel))
		require.NoError(t, err, rel)
		assert.Equal(t, want, string(got), rel)
	}
	fi, err := os.Stat(filepath.Join(dst, "empty-dir"))
	require.NoError(t, err)
	assert.True(t, fi.IsDir())

	_, bytes, err := Size(src)
	require.NoError(t, err)
	assert.Equal(t, [2]int64{bytes, bytes}, last, "the last report is all bytes done")
	assert.Greater(t, calls, 2)
	des, err := os.ReadDir(filepath.Dir(dst))
	require.NoError(t, err)
	require.Len(t, des, 1, "nothing beside the copy, no partial left")
	assert.Equal(t, "cadpro-1.0", des[0].Name())
}

func TestDirRefusesExistingOrNested(t *testing.T) {
	tests := []struct {
		name string
		dst  func(src, tmp string) string
		want string
	}{
		{
			name: "dst exists",
			dst: func(_, tmp string) string {
				p := filepath.Join(tmp, "cadpro")
				require.NoError(t, os.Mkdir(p, 0o700))
				return p
			},
			want: "already exists",
		},
		{
			name: "dst inside the package",
			dst:  func(src, _ string) string { return filepath.Join(src, "payload", "staged") },
			want: "inside the package",
		},
		{
			name: "src is a file",
			dst:  func(_, tmp string) string { return filepath.Join(tmp, "x") },
			want: "is not a folder",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, tmp := t.TempDir(), t.TempDir()
			writeFiles(t, src, map[string]string{"payload/a": "a"})
			if tt.name == "src is a file" {
				src = filepath.Join(src, "payload", "a")
			}
			err := Dir(context.Background(), src, tt.dst(src, tmp), Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestDirLimits(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"too many files", Options{MaxFiles: 2}, "more than 2 files"},
		{"too many bytes", Options{MaxBytes: 10}, "larger than 10 B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := t.TempDir()
			writeFiles(t, src, map[string]string{"a": "aaaa", "b": "bbbb", "c": "cccc"})
			dst := filepath.Join(t.TempDir(), "pkg")
			err := Dir(context.Background(), src, dst, tt.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assertNothingStaged(t, dst)
		})
	}
}

func TestDirCancelled(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "first", "b": "second", "c": "third"})
	dst := filepath.Join(t.TempDir(), "pkg")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := Dir(ctx, src, dst, Options{Progress: func(done, _ int64) {
		if done > 0 {
			cancel() // after the first file
		}
	}})
	require.ErrorIs(t, err, context.Canceled)
	assertNothingStaged(t, dst)
}

func TestDirSourceChanges(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, b string)
		want   string
	}{
		{
			name: "a file grows",
			change: func(t *testing.T, b string) {
				f, err := os.OpenFile(b, os.O_APPEND|os.O_WRONLY, 0)
				require.NoError(t, err)
				_, err = f.WriteString(" and more")
				require.NoError(t, err)
				require.NoError(t, f.Close())
			},
			want: "b changed size while it was being staged",
		},
		{
			name: "a file is swapped",
			change: func(t *testing.T, b string) {
				// Written beside and renamed over, so that it cannot reuse b's inode.
				require.NoError(t, os.WriteFile(b+".new", []byte("other!"), 0o644))
				require.NoError(t, os.Rename(b+".new", b))
			},
			want: "b changed while it was being staged",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := t.TempDir()
			writeFiles(t, src, map[string]string{"a": "first", "b": "second"})
			dst := filepath.Join(t.TempDir(), "pkg")
			changed := false
			err := Dir(context.Background(), src, dst, Options{Progress: func(done, _ int64) {
				if done > 0 && !changed { // "a" is copied, "b" is next
					changed = true
					tt.change(t, filepath.Join(src, "b"))
				}
			}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assertNothingStaged(t, dst)
		})
	}
}

func TestDirRemovesStalePartial(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "a"})
	dst := filepath.Join(t.TempDir(), "pkg")
	stale := dst + ".partial-123"
	writeFiles(t, stale, map[string]string{"half": "copied"})
	other := dst + "2.partial-9" // another package's partial copy is not ours to remove
	require.NoError(t, os.Mkdir(other, 0o700))

	require.NoError(t, Dir(context.Background(), src, dst, Options{}))
	_, err := os.Stat(stale)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.DirExists(t, other)
}

func TestSize(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": "12345", "d/b": "123", "d/e/c": ""})
	files, bytes, err := Size(src)
	require.NoError(t, err)
	assert.Equal(t, 3, files)
	assert.Equal(t, int64(8), bytes)

	_, _, err = Size(filepath.Join(src, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestEnsureSpace(t *testing.T) {
	dir := t.TempDir()
	free, err := FreeSpace(dir)
	require.NoError(t, err)
	require.Positive(t, free)

	require.NoError(t, EnsureSpace(dir, 0))
	need := free + 1<<50 // more than any disk here
	err = EnsureSpace(dir, need)
	require.ErrorIs(t, err, ErrDiskFull)
	assert.Contains(t, err.Error(), fmt.Sprintf("needs %s free in %s, ", formatBytes(need), dir))
	assert.Contains(t, err.Error(), "free some space or move the state folder")

	_, err = FreeSpace(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{2 << 30, "2.0 GiB"},
		{1181116006, "1.1 GiB"},
		{64 << 30, "64.0 GiB"},
		{1 << 62, "4.0 EiB"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatBytes(tt.n), tt.n)
	}
}

func BenchmarkDir1000Files(b *testing.B) {
	src := b.TempDir()
	files := map[string]string{}
	for i := range 1000 {
		files[fmt.Sprintf("d%02d/f%04d", i%20, i)] = strings.Repeat("x", 4096)
	}
	writeFiles(b, src, files)
	out := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		if err := Dir(context.Background(), src, filepath.Join(out, fmt.Sprint(i)), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
