// Package atomicfile replaces files so that a reader, a crash or a power loss sees either the old
// contents or the new ones, never a mix: temp file in the same folder, write, check length, fsync,
// close, rename, fsync the folder (the order of restic's local backend Save).
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile atomically replaces path with data, with permissions perm.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write atomically replaces path with what fill writes, with permissions perm. If fill or any step
// fails, the temp file is removed and the file at path is left as it was.
func Write(path string, perm os.FileMode, fill func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// Refuse to replace a folder or a device: rename would fail late or do something surprising.
	if fi, statErr := os.Lstat(path); statErr == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("writing %s: it exists and is not a regular file (%s); move it away", path, fi.Mode().Type())
	}

	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: creating a temp file in %s: %w", path, dir, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close() // may already be closed; the first error is the one to report
			_ = os.Remove(tmp)
		}
	}()

	// CreateTemp uses 0600; Chmod sets perm exactly, without the umask.
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: setting mode %v on %s: %w", path, perm, tmp, err)
	}
	cw := &countingWriter{w: f}
	if err := fill(cw); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// A short write that fill did not notice, or a file that something else truncated, is caught here.
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("writing %s: checking %s: %w", path, tmp, err)
	}
	if fi.Size() != cw.n {
		return fmt.Errorf("writing %s: wrote %d bytes but %s holds %d", path, cw.n, tmp, fi.Size())
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: flushing %s to disk: %w", path, tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: closing %s: %w", path, tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: renaming %s into place: %w", path, tmp, err)
	}
	// The rename is only durable once the folder entry is on disk.
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
