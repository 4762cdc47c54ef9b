package agent

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// bootTime is when the machine booted: the kern.boottime sysctl.
func bootTime() (time.Time, error) {
	tv, err := unix.SysctlTimeval("kern.boottime")
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the boot time (sysctl kern.boottime): %w", err)
	}
	return time.Unix(tv.Unix()), nil
}
