//go:build unix

package detect

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// keptEnv are the variables detection commands inherit.
var keptEnv = []string{"PATH", "HOME", "LANG"}

// defaultPath is PATH when the agent has none (services often start without one).
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// processTree is the command's process group: the command leads a new group, and cancelling
// kills the whole group, so that children of a hung script die with it.
type processTree struct{}

func ownProcessTree(cmd *exec.Cmd) *processTree {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// cmd.Process is set before exec watches ctx, so Cancel always sees it.
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
	return &processTree{}
}

func (*processTree) started(*os.Process) {}
func (*processTree) release()            {}
