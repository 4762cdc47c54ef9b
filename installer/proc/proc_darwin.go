package proc

import (
	"golang.org/x/sys/unix"
)

// szomb is SZOMB from <sys/proc.h>: exited, not yet reaped.
const szomb = 5

func stat(pid int) (status, error) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return status{}, err
	}
	t := kp.Proc.P_starttime
	return status{
		start:   uint64(t.Sec)*1_000_000 + uint64(t.Usec),
		running: kp.Proc.P_stat != szomb,
	}, nil
}

// Group returns the live (non-zombie) members of process group pgid.
func Group(pgid int) []int {
	if pgid <= 1 || groupGone(pgid) {
		return nil
	}
	kps, err := unix.SysctlKinfoProcSlice("kern.proc.pgrp", pgid)
	if err != nil {
		return nil
	}
	var found []int
	for _, kp := range kps {
		if kp.Proc.P_stat != szomb {
			found = append(found, int(kp.Proc.P_pid))
		}
	}
	return found
}

// Command returns the command name of pid for people, or "" when it is gone.
func Command(pid int) string {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return ""
	}
	return unix.ByteSliceToString(kp.Proc.P_comm[:])
}
