//go:build !windows

package stage

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// FreeSpace returns the bytes of dir's file system that an unprivileged user may still use.
// Root may use the reserved blocks too; counting without them keeps a margin for the system.
func FreeSpace(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("reading the free space of %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil // the field types differ per OS
}
