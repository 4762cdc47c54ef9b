package run

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/iscdesk/iscdesk/installer/proc"
)

// jobTree is a step inside a job object that kills its processes when its last handle closes, so
// nothing of the step outlives the agent either.
type jobTree struct {
	job windows.Handle
}

// startTree creates the process suspended, puts it in the job, then lets it run: a process that
// started running first could create children outside the job.
func startTree(cmd *exec.Cmd, token string) (tree, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("create job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return nil, fmt.Errorf("set up job object: %w", err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CmdLine:       commandLine(cmd.Args),
		CreationFlags: windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP,
	}
	if err := cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return nil, err
	}
	if err := assignAndResume(job, uint32(cmd.Process.Pid)); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		windows.CloseHandle(job)
		return nil, err
	}
	return &jobTree{job: job}, nil
}

func assignAndResume(job windows.Handle, pid uint32) error {
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, pid)
	if err != nil {
		return fmt.Errorf("open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		return fmt.Errorf("assign process %d to its job object: %w", pid, err)
	}
	// os.StartProcess does not return the main thread's handle, so find it.
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return fmt.Errorf("resume process %d: %w", pid, err)
	}
	defer windows.CloseHandle(snap)
	resumed := 0
	var e windows.ThreadEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	for err = windows.Thread32First(snap, &e); err == nil; err = windows.Thread32Next(snap, &e) {
		if e.OwnerProcessID != pid {
			continue
		}
		th, err := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, e.ThreadID)
		if err != nil {
			return fmt.Errorf("resume process %d: open thread %d: %w", pid, e.ThreadID, err)
		}
		_, err = windows.ResumeThread(th)
		windows.CloseHandle(th)
		if err != nil {
			return fmt.Errorf("resume process %d: thread %d: %w", pid, e.ThreadID, err)
		}
		resumed++
	}
	if resumed == 0 {
		return fmt.Errorf("resume process %d: no thread found", pid)
	}
	return nil
}

func (j *jobTree) stop() error { return j.kill() }

func (j *jobTree) kill() error { return windows.TerminateJobObject(j.job, 1) }

// processIDList is JOBOBJECT_BASIC_PROCESS_ID_LIST with room for maxJobPIDs entries.
type processIDList struct {
	assigned, listed uint32
	ids              [maxJobPIDs]uintptr
}

const maxJobPIDs = 1024

func (j *jobTree) survivors() []StrayProcess {
	var l processIDList
	err := windows.QueryInformationJobObject(j.job, windows.JobObjectBasicProcessIdList,
		uintptr(unsafe.Pointer(&l)), uint32(unsafe.Sizeof(l)), nil)
	if err != nil && !errors.Is(err, windows.ERROR_MORE_DATA) {
		return nil
	}
	out := make([]StrayProcess, 0, l.listed)
	for _, id := range l.ids[:min(l.listed, maxJobPIDs)] {
		out = append(out, StrayProcess{PID: int(id), Command: proc.Command(int(id))})
	}
	return out
}

func (j *jobTree) release() error { return windows.CloseHandle(j.job) }
