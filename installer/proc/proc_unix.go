//go:build linux || darwin

package proc

import (
	"errors"
	"fmt"
	"syscall"
)

// KillGroup sends SIGKILL to the process group pid (the step's leader was started with Setpgid, so its
// pid is the group id). A group that is already gone is not an error.
func KillGroup(pid int) error {
	if err := checkKillable(pid); err != nil {
		return err
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process group %d: %w", pid, err)
	}
	return nil
}

// groupGone reports, with one syscall instead of a scan of every process, that no process (not even
// a zombie) is left in group pgid.
func groupGone(pgid int) bool {
	return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}
