package localapi

import (
	"fmt"
	"net"

	"golang.org/x/sys/windows"
)

// hasPeerCreds: the pipe client's token is read per connection.
const hasPeerCreds = true

// peerOf reads the token of the process on the other end of the named pipe c.
func peerOf(c net.Conn) (Peer, error) {
	fc, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return Peer{}, fmt.Errorf("connection %T is not a named pipe; the caller cannot be identified", c)
	}
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(windows.Handle(fc.Fd()), &pid); err != nil {
		return Peer{}, fmt.Errorf("finding the pipe client's process: %w", err)
	}
	proc, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return Peer{}, fmt.Errorf("opening the pipe client's process %d: %w", pid, err)
	}
	defer windows.CloseHandle(proc)
	var tok windows.Token
	if err := windows.OpenProcessToken(proc, windows.TOKEN_QUERY, &tok); err != nil {
		return Peer{}, fmt.Errorf("opening the token of process %d: %w", pid, err)
	}
	defer tok.Close()
	tu, err := tok.GetTokenUser()
	if err != nil {
		return Peer{}, fmt.Errorf("reading the user of process %d: %w", pid, err)
	}
	tg, err := tok.GetTokenGroups()
	if err != nil {
		return Peer{}, fmt.Errorf("reading the groups of process %d: %w", pid, err)
	}
	var groups []string
	for _, g := range tg.AllGroups() {
		if g.Attributes&windows.SE_GROUP_ENABLED != 0 {
			groups = append(groups, g.Sid.String())
		}
	}
	sid := tu.User.Sid.String()
	return Peer{UID: sid, PID: int(pid), Admin: windowsAdmin(sid, groups), Groups: groups}, nil
}
