package localapi

import (
	"strconv"

	"golang.org/x/sys/unix"
)

const peerCredOption = "SO_PEERCRED"

// peerCred reads the peer's uid, and its gid and pid, with SO_PEERCRED. Its groups are looked up
// by uid later, as linux does not report them here.
func peerCred(fd int) (uint32, Peer, error) {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return 0, Peer{}, err
	}
	return cred.Uid, Peer{GID: strconv.FormatUint(uint64(cred.Gid), 10), PID: int(cred.Pid)}, nil
}
