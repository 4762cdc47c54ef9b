//go:build unix

package update

import (
	"fmt"
	"os"
	"syscall"
)

// Restart replaces this process with exe (the installed binary) and the same arguments: the pid
// stays, so the service manager sees no stop. It returns only on failure.
func Restart(exe string, args, env []string) error {
	argv := append([]string{exe}, args...)
	if err := syscall.Exec(exe, argv, withoutEnv(env, EnvPending)); err != nil {
		return fmt.Errorf("restarting on %s: %w", exe, err)
	}
	return nil
}

func stopSignal(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
