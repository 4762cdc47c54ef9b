// Package proc identifies processes by pid and start time, so that the engine can tell after a crash
// whether a pid it journaled is still the step it started or a stranger that reused the number, and
// finds and kills the processes of a step.
package proc

import "fmt"

// TokenEnv is the environment variable that carries a step's token. Every process of a step inherits
// it, including those that leave the step's process group (setsid, double fork), so FindByToken finds them.
const TokenEnv = "ISCDESK_STEP"

// StartTime returns an OS-specific, opaque start time of the process pid: comparable for equality
// only (clock ticks since boot on linux, microseconds since the epoch on darwin, a FILETIME on windows).
func StartTime(pid int) (uint64, error) {
	if pid <= 0 {
		return 0, fmt.Errorf("start time of pid %d: not a valid pid", pid)
	}
	st, err := stat(pid)
	if err != nil {
		return 0, fmt.Errorf("start time of pid %d: %w", pid, err)
	}
	return st.start, nil
}

// Alive reports whether pid is running and is the process that started at start: a reused pid or a
// zombie (exited, not yet reaped) is not alive.
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := stat(pid)
	return err == nil && st.running && st.start == start
}

// status is what the per-OS code reads about one process.
type status struct {
	start   uint64
	running bool // false for a zombie
}

// checkKillable refuses pids whose signalling would hit more than one process tree: on unix kill(-1)
// is every process and kill(-0) our own group.
func checkKillable(pid int) error {
	if pid <= 1 {
		return fmt.Errorf("kill process group %d: refusing, not a step's process group", pid)
	}
	return nil
}
