//go:build unix

package examples_test

import (
	"os/exec"
	"syscall"
)

// newProcessGroup makes cmd the leader of its own process group, as the agent runs install steps.
func newProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup sends SIGKILL to cmd's whole group: the shell and whatever it started.
func killProcessGroup(cmd *exec.Cmd) error {
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
