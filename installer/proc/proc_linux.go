package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// stat reads /proc/PID/stat. The command name (field 2) may hold spaces and parentheses, so the
// fields are counted from after the last ')'.
func stat(pid int) (status, error) {
	f, err := readStat(pid)
	if err != nil {
		return status{}, err
	}
	// f[0] is field 3 (state); field 22 (starttime) is f[19].
	if len(f) < 20 {
		return status{}, fmt.Errorf("/proc/%d/stat: %d fields after the command, want at least 20", pid, len(f))
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return status{}, fmt.Errorf("/proc/%d/stat: start time %q: %w", pid, f[19], err)
	}
	state := f[0]
	return status{start: start, running: state != "Z" && state != "X" && state != "x"}, nil
}

// readStat returns the fields of /proc/PID/stat that follow the command name, starting at the state.
func readStat(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name in %q", pid, b)
	}
	return strings.Fields(string(b[i+1:])), nil
}

// pids lists the numeric entries of /proc.
func pids() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]int, 0, len(ents))
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			out = append(out, pid)
		}
	}
	return out
}

// FindByToken returns the live processes whose environment holds exactly TokenEnv=token.
// Processes that exit while /proc is scanned are skipped.
func FindByToken(token string) []int {
	if token == "" {
		return nil
	}
	want := []byte(TokenEnv + "=" + token)
	var found []int
	for _, pid := range pids() {
		if hasEnv(pid, want) {
			found = append(found, pid)
		}
	}
	return found
}

// pfKthread is PF_KTHREAD in the flags of /proc/PID/stat.
const pfKthread = 0x00200000

// execRetries bounds the re-reads of an environment that is empty because its process is in execve.
const execRetries = 50

// hasEnv reports whether the environment of pid holds the entry want.
func hasEnv(pid int, want []byte) bool {
	path := "/proc/" + strconv.Itoa(pid) + "/environ"
	for range execRetries {
		env, err := os.ReadFile(path)
		if err != nil {
			return false // gone, or not ours to read
		}
		if len(env) > 0 {
			return slices.ContainsFunc(bytes.Split(env, []byte{0}), func(kv []byte) bool { return bytes.Equal(kv, want) })
		}
		// Empty: a kernel thread, a zombie, or a process in the middle of execve whose new
		// environment is not mapped yet. Only the last can be a step's, and it is worth the wait:
		// "exec sleep 1000" must not slip through a scan.
		f, err := readStat(pid)
		if err != nil || len(f) < 7 || f[0] == "Z" || f[0] == "X" {
			return false
		}
		if flags, err := strconv.ParseUint(f[6], 10, 64); err != nil || flags&pfKthread != 0 {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return false
}

// Group returns the live (non-zombie) members of process group pgid.
func Group(pgid int) []int {
	if pgid <= 1 || groupGone(pgid) {
		return nil
	}
	var found []int
	for _, pid := range pids() {
		f, err := readStat(pid)
		// f[2] is field 5, the process group.
		if err != nil || len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			found = append(found, pid)
		}
	}
	return found
}

// Command returns the command line of pid for people ("sleep 1000"), or "" when it is gone.
func Command(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err == nil && len(b) > 0 {
		return strings.TrimSpace(string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '})))
	}
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return "?"
		}
		return ""
	}
	return strings.TrimSpace(string(comm))
}
