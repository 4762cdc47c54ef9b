package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entries lists the names in dir, to see that no temp file is left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name string
		old  []byte // nil: no file before
		data []byte
		perm os.FileMode
	}{
		{name: "new file", data: []byte("hello"), perm: 0o600},
		{name: "replaces a longer file", old: []byte("a much longer old content"), data: []byte("new"), perm: 0o644},
		{name: "empty data", old: []byte("old"), data: []byte{}, perm: 0o640},
		{name: "executable", data: []byte("#!/bin/sh\n"), perm: 0o755},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			if tt.old != nil {
				require.NoError(t, os.WriteFile(path, tt.old, 0o600))
			}
			require.NoError(t, WriteFile(path, tt.data, tt.perm))

			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, tt.data, got)
			if runtime.GOOS != "windows" {
				fi, err := os.Stat(path)
				require.NoError(t, err)
				assert.Equal(t, tt.perm, fi.Mode().Perm(), "mode must be perm exactly, whatever the umask")
			}
			assert.Equal(t, []string{"f"}, entries(t, dir))
		})
	}
}

func TestWriteFailureKeepsOldFile(t *testing.T) {
	errFill := errors.New("source went away")
	tests := []struct {
		name    string
		fill    func(io.Writer) error
		wantErr error
	}{
		{
			name:    "fill fails before writing",
			fill:    func(io.Writer) error { return errFill },
			wantErr: errFill,
		},
		{
			name: "fill fails half way",
			fill: func(w io.Writer) error {
				_, _ = w.Write([]byte("half of the new"))
				return errFill
			},
			wantErr: errFill,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "settings.json")
			require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))

			err := Write(path, 0o600, tt.fill)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), path)

			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, "old", string(got))
			assert.Equal(t, []string{"settings.json"}, entries(t, dir), "the temp file must be removed")
		})
	}
}

func TestWriteRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(target, 0o700))

	err := WriteFile(target, []byte("x"), 0o600)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a regular file")
	assert.Equal(t, []string{"sub"}, entries(t, dir))
}

func TestWriteMissingFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "f")
	err := WriteFile(path, []byte("x"), 0o600)
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), path)
}

func TestSyncDir(t *testing.T) {
	require.NoError(t, SyncDir(t.TempDir()))
	if runtime.GOOS != "windows" {
		err := SyncDir(filepath.Join(t.TempDir(), "missing"))
		require.ErrorIs(t, err, os.ErrNotExist)
	}
}

func BenchmarkWriteFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "f")
	data := make([]byte, 4096)
	for b.Loop() {
		if err := WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
}
