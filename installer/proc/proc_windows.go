package proc

import (
	"errors"
	"fmt"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
)

// stillActive is STILL_ACTIVE, the exit code GetExitCodeProcess reports for a running process.
const stillActive = 259

func stat(pid int) (status, error) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return status{}, err
	}
	defer windows.CloseHandle(h)
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return status{}, err
	}
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return status{}, err
	}
	return status{
		start:   uint64(created.HighDateTime)<<32 | uint64(created.LowDateTime),
		running: code == stillActive,
	}, nil
}

// KillGroup terminates pid and every process it started, directly or not. The step's job object
// normally did this already; this is for recovery, when the job handle died with the agent.
func KillGroup(pid int) error {
	if err := checkKillable(pid); err != nil {
		return err
	}
	var errs []error
	for _, p := range tree(pid) {
		h, err := windows.OpenProcess(windows.PROCESS_TERMINATE, false, uint32(p))
		if err != nil {
			continue // gone already
		}
		if err := windows.TerminateProcess(h, 1); err != nil {
			errs = append(errs, fmt.Errorf("terminate pid %d: %w", p, err))
		}
		windows.CloseHandle(h)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kill process tree %d: %w", pid, err)
	}
	return nil
}

// tree returns root and its descendants. A child must have started after its parent: a parent pid
// that was reused does not make a stranger part of the tree.
func tree(root int) []int {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return []int{root}
	}
	defer windows.CloseHandle(snap)
	children := map[int][]int{}
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		children[int(e.ParentProcessID)] = append(children[int(e.ParentProcessID)], int(e.ProcessID))
	}
	out := []int{root}
	seen := map[int]bool{root: true}
	for i := 0; i < len(out); i++ {
		parent, perr := stat(out[i])
		for _, c := range children[out[i]] {
			if seen[c] {
				continue
			}
			if child, cerr := stat(c); perr == nil && cerr == nil && child.start < parent.start {
				continue
			}
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// Group returns nil on windows: processes of a step are found through its job object.
func Group(pgid int) []int { return nil }

// Command returns the executable name of pid for people, or "" when it is gone.
func Command(pid int) string {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err != nil {
		return ""
	}
	return filepath.Base(windows.UTF16ToString(buf[:n]))
}
