package localapi

import (
	"fmt"
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// hasPeerCreds: linux reports the peer of a unix socket (SO_PEERCRED), so the socket may be 0666.
const hasPeerCreds = true

// peerOf asks the kernel who is on the other end of c: the credentials the peer had at connect().
func peerOf(c net.Conn) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, fmt.Errorf("connection from %s is not a unix socket; the caller cannot be identified", c.RemoteAddr())
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, fmt.Errorf("reading the caller's credentials: %w", err)
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Peer{}, fmt.Errorf("reading the caller's credentials: %w", err)
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("reading the caller's credentials (SO_PEERCRED): %w", credErr)
	}
	return Peer{
		UID:   strconv.FormatUint(uint64(cred.Uid), 10),
		GID:   strconv.FormatUint(uint64(cred.Gid), 10),
		PID:   int(cred.Pid),
		Admin: cred.Uid == 0,
	}, nil
}
