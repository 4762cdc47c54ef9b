//go:build !linux && !darwin && !windows

package agent

import (
	"errors"
	"time"
)

// bootTime is unknown here; a reboot asked for is then shown until the job is forgotten.
func bootTime() (time.Time, error) {
	return time.Time{}, errors.New("the boot time is not known on this system")
}
