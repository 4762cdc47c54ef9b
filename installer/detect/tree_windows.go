//go:build windows

package detect

import (
	"os"
	"os/exec"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// keptEnv are the variables detection commands inherit; Windows programs break without SystemRoot
// and friends.
var keptEnv = []string{
	"PATH", "PATHEXT", "HOME", "LANG", "SystemRoot", "SystemDrive", "windir", "ComSpec", "TEMP", "TMP",
	"USERPROFILE", "ProgramData", "ProgramFiles", "ProgramFiles(x86)", "ProgramW6432",
}

// defaultPath is empty: Windows always gives a service a PATH.
const defaultPath = ""

// processTree is a job object holding the command and its children: cancelling terminates the
// job, and closing it kills what is left (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE).
type processTree struct {
	mu  sync.Mutex // guards job
	job windows.Handle
}

func ownProcessTree(cmd *exec.Cmd) *processTree {
	t := &processTree{}
	cmd.Cancel = func() error {
		t.mu.Lock()
		job := t.job
		t.mu.Unlock()
		if job != 0 && windows.TerminateJobObject(job, 1) == nil {
			return nil
		}
		return cmd.Process.Kill() // not (yet) in a job: kill the process alone
	}
	return t
}

// started puts p in a new job. On failure the tree is just p, which cancelling still kills.
func (t *processTree) started(p *os.Process) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(p.Pid))
	if err != nil {
		windows.CloseHandle(job)
		return
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		windows.CloseHandle(job)
		return
	}
	t.mu.Lock()
	t.job = job
	t.mu.Unlock()
}

func (t *processTree) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job != 0 {
		windows.CloseHandle(t.job)
		t.job = 0
	}
}
