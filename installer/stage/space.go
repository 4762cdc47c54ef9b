package stage

import (
	"errors"
	"fmt"
)

// ErrDiskFull is wrapped by the errors of EnsureSpace and Dir when there is not enough room.
var ErrDiskFull = errors.New("not enough disk space")

// EnsureSpace checks that dir's file system has at least need bytes free for this process.
func EnsureSpace(dir string, need int64) error {
	free, err := FreeSpace(dir)
	if err != nil {
		return err
	}
	if free < need {
		return fmt.Errorf("needs %s free in %s, %s free; free some space or move the state folder: %w",
			formatBytes(need), dir, formatBytes(free), ErrDiskFull)
	}
	return nil
}

// formatBytes writes n for people, in binary units: "512 B", "1.1 GiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
