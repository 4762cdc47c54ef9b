package fingerprint

import (
	"net"
	"slices"
	"strings"
)

// virtualPrefixes name adapters that come and go with containers, VPNs and hypervisors (in
// lower case): a license bound to one would break when it goes.
var virtualPrefixes = []string{"veth", "docker", "br-", "virbr", "vnet", "vmnet", "vboxnet", "virtualbox", "vmware",
	"lxc", "cni", "flannel", "cali", "vxlan", "dummy", "tun", "tap", "ifb", "wg", "zt", "utun", "awdl", "llw", "anpi", "bridge"}

// pickMAC chooses the adapter whose MAC stands for the device, the same one on every run: a
// burned-in (universally administered) address before a locally administered one, then by name.
// Whether an adapter is up is not asked: Wi-Fi switched off must not move the license. It
// returns "" when no adapter qualifies.
func pickMAC(ifaces []net.Interface) (mac, source string) {
	var best *net.Interface
	better := func(a, b *net.Interface) bool {
		if la, lb := a.HardwareAddr[0]&2 != 0, b.HardwareAddr[0]&2 != 0; la != lb {
			return lb
		}
		return a.Name < b.Name
	}
	for i := range ifaces {
		ifc := &ifaces[i]
		hw := ifc.HardwareAddr
		if ifc.Flags&net.FlagLoopback != 0 || len(hw) != 6 || isZero(hw) || hw[0]&1 != 0 { // multicast bit: not an adapter
			continue
		}
		if slices.ContainsFunc(virtualPrefixes, func(p string) bool { return strings.HasPrefix(strings.ToLower(ifc.Name), p) }) {
			continue
		}
		if best == nil || better(ifc, best) {
			best = ifc
		}
	}
	if best == nil {
		return "", ""
	}
	return best.HardwareAddr.String(), "interface " + best.Name // lower-case colon form, as the marketplace normalises it
}

func isZero(b []byte) bool {
	return !slices.ContainsFunc(b, func(c byte) bool { return c != 0 })
}
