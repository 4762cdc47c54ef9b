//go:build !windows

package stage

import (
	"errors"
	"syscall"
)

// isDiskFull reports whether err is the file system running out of room (or of the user's quota).
func isDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
