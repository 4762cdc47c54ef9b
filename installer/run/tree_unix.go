//go:build linux || darwin

package run

import (
	"errors"
	"os/exec"
	"syscall"

	"github.com/iscdesk/iscdesk/installer/proc"
)

// groupTree is a step whose leader was started in a new process group. Processes that leave the
// group (setsid, double fork) are still found by the token in their environment (linux only).
type groupTree struct {
	pgid  int
	token string
}

func startTree(cmd *exec.Cmd, token string) (tree, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &groupTree{pgid: cmd.Process.Pid, token: token}, nil
}

func (g *groupTree) stop() error {
	if err := syscall.Kill(-g.pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

func (g *groupTree) kill() error {
	errs := []error{proc.KillGroup(g.pgid)}
	for _, pid := range proc.FindByToken(g.token) {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (g *groupTree) survivors() []StrayProcess {
	seen := map[int]bool{}
	var out []StrayProcess
	for _, pid := range append(proc.Group(g.pgid), proc.FindByToken(g.token)...) {
		if !seen[pid] {
			seen[pid] = true
			out = append(out, StrayProcess{PID: pid, Command: proc.Command(pid)})
		}
	}
	return out
}

func (g *groupTree) release() error { return nil }
