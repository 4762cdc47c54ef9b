package agent

import (
	"time"

	"golang.org/x/sys/windows"
)

// bootTime is when the machine booted: now minus the tick count. The result moves by a few
// milliseconds between calls, far less than the time from a boot to an install's end.
func bootTime() (time.Time, error) {
	return time.Now().Add(-windows.DurationSinceBoot()), nil
}
