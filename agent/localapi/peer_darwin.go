package localapi

import (
	"fmt"
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// hasPeerCreds: darwin reports the peer of a unix socket (LOCAL_PEERCRED), so the socket may be 0666.
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
	var cred *unix.Xucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil {
		return Peer{}, fmt.Errorf("reading the caller's credentials: %w", err)
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("reading the caller's credentials (LOCAL_PEERCRED): %w", credErr)
	}
	p := Peer{UID: strconv.FormatUint(uint64(cred.Uid), 10), Admin: cred.Uid == 0}
	n := min(int(cred.Ngroups), len(cred.Groups))
	for i, g := range cred.Groups[:n] {
		s := strconv.FormatUint(uint64(g), 10)
		if i == 0 {
			p.GID = s // the effective gid comes first
		}
		p.Groups = append(p.Groups, s)
	}
	return p, nil
}
