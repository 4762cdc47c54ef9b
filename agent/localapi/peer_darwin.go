package localapi

import (
	"strconv"

	"golang.org/x/sys/unix"
)

const peerCredOption = "LOCAL_PEERCRED"

// peerCred reads the peer's uid and groups with LOCAL_PEERCRED; darwin reports no pid there.
func peerCred(fd int) (uint32, Peer, error) {
	cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return 0, Peer{}, err
	}
	var p Peer
	n := min(int(cred.Ngroups), len(cred.Groups))
	for i, g := range cred.Groups[:n] {
		s := strconv.FormatUint(uint64(g), 10)
		if i == 0 {
			p.GID = s // the effective gid comes first
		}
		p.Groups = append(p.Groups, s)
	}
	return cred.Uid, p, nil
}
