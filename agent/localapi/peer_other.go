//go:build unix && !linux && !darwin

package localapi

import "net"

// hasPeerCreds: here the peer of a socket is not read; the socket is 0600/0660 instead.
const hasPeerCreds = false

// peerOf trusts whoever got through the socket's file mode (root and the install group).
func peerOf(net.Conn) (Peer, error) {
	return Peer{Trusted: true}, nil
}
