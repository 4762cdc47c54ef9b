//go:build linux || darwin

package localapi

import (
	"fmt"
	"net"
	"strconv"
)

// hasPeerCreds: linux and darwin report the peer of a unix socket, so the socket may be 0666.
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
	var (
		uid     uint32
		p       Peer
		credErr error
	)
	if err := raw.Control(func(fd uintptr) { uid, p, credErr = peerCred(int(fd)) }); err != nil {
		return Peer{}, fmt.Errorf("reading the caller's credentials: %w", err)
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("reading the caller's credentials (%s): %w", peerCredOption, credErr)
	}
	p.UID = strconv.FormatUint(uint64(uid), 10)
	p.Admin = uid == 0
	return p, nil
}
