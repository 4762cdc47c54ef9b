//go:build !windows

package atomicfile

import (
	"fmt"
	"os"
)

// SyncDir flushes dir's entries (creations, renames, removals) to disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening folder %s to flush it: %w", dir, err)
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return fmt.Errorf("flushing folder %s to disk: %w", dir, err)
	}
	if err := d.Close(); err != nil {
		return fmt.Errorf("closing folder %s: %w", dir, err)
	}
	return nil
}
