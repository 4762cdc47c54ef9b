// Package fingerprint computes the device fingerprint a marketplace license is bound to:
// "MAC|disk|board|cpu", the MAC address of the first non-loopback interface, the system disk's
// serial or id, the main board's serial (or the machine's UUID) and a hash of the processor's model
// and features.
//
// Each part has fallbacks, so that a machine without DMI tables or disk serials (a VM, a
// container) still gets a stable fingerprint: Parts says where each part came from. Only the MAC
// is required; a machine without a network interface must be given a fingerprint by hand.
package fingerprint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// Fingerprint is the four parts of a device's identity, in the marketplace's order.
type Fingerprint struct {
	MAC   string `json:"mac"`
	Disk  string `json:"disk"`
	Board string `json:"board"`
	CPU   string `json:"cpu"`
	// Sources says where each part came from, e.g. "disk": "/sys/block/vda/serial".
	Sources map[string]string `json:"sources"`
}

// String is the marketplace's form, "MAC|disk|board|cpu".
func (f Fingerprint) String() string {
	return f.MAC + "|" + f.Disk + "|" + f.Board + "|" + f.CPU
}

// Machine is where Compute reads from: the real machine, or a folder tree and a list of
// interfaces in tests.
type Machine struct {
	// Root is prepended to every file path read (/sys/..., /proc/..., /etc/machine-id); "" is "/".
	Root string
	// Interfaces lists the network interfaces; net.Interfaces when nil.
	Interfaces func() ([]net.Interface, error)
	// Hostname names the machine for the last fallbacks; os.Hostname when nil.
	Hostname func() (string, error)
}

// ErrNoMAC means no interface has a hardware address to bind a license to.
var ErrNoMAC = errors.New("no network interface with a MAC address (besides loopback)")

// maxPart is the marketplace's limit on each part.
const maxPart = 128

// Compute reads this machine's fingerprint.
func Compute(m Machine) (Fingerprint, error) {
	if m.Interfaces == nil {
		m.Interfaces = net.Interfaces
	}
	if m.Hostname == nil {
		m.Hostname = os.Hostname
	}
	f := Fingerprint{Sources: map[string]string{}}
	mac, src, err := m.mac()
	if err != nil {
		return Fingerprint{}, fmt.Errorf("computing the device fingerprint: %w; give one with --fingerprint MAC|disk|board|cpu", err)
	}
	f.MAC, f.Sources["mac"] = mac, src
	for _, part := range []struct {
		name  string
		value *string
		read  []func() (string, string)
	}{
		{"disk", &f.Disk, []func() (string, string){m.diskID, m.machineIDFallback("disk")}},
		{"board", &f.Board, []func() (string, string){m.boardID, m.machineIDFallback("board")}},
		{"cpu", &f.CPU, []func() (string, string){m.cpuID, m.hostFallback("cpu")}},
	} {
		for _, read := range part.read {
			if v, src := read(); v != "" {
				*part.value, f.Sources[part.name] = clean(v), src
				break
			}
		}
	}
	return f, nil
}

// mac is the address of the first interface, by index, that is not loopback and has a 48-bit,
// non-zero hardware address.
func (m Machine) mac() (string, string, error) {
	ifaces, err := m.Interfaces()
	if err != nil {
		return "", "", fmt.Errorf("listing the network interfaces: %w", err)
	}
	for _, ifc := range ifaces {
		hw := ifc.HardwareAddr
		if ifc.Flags&net.FlagLoopback != 0 || len(hw) != 6 || allZero(hw) {
			continue
		}
		return hw.String(), "interface " + ifc.Name, nil
	}
	return "", "", ErrNoMAC
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// path is a path on the machine.
func (m Machine) path(p string) string {
	if m.Root == "" {
		return p
	}
	return filepath.Join(m.Root, p)
}

// readValue reads a small file and trims it; "" when it is missing, unreadable or a placeholder.
func (m Machine) readValue(p string) string {
	data, err := os.ReadFile(m.path(p))
	if err != nil {
		return ""
	}
	v := strings.TrimSpace(string(data))
	if placeholder(v) {
		return ""
	}
	return v
}

// placeholder reports the values firmware writes where it has no serial.
func placeholder(v string) bool {
	switch strings.ToLower(strings.Trim(v, ". ")) {
	case "", "0", "none", "default string", "to be filled by o.e.m", "not specified", "not applicable",
		"system serial number", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff":
		return true
	}
	return false
}

// machineIDFallback uses a hash of /etc/machine-id (the systemd machine id), then of the host
// name, with the part's name mixed in so that the parts differ.
func (m Machine) machineIDFallback(part string) func() (string, string) {
	return func() (string, string) {
		for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
			if id := m.readValue(p); id != "" {
				return hashed(part, id), "hash of " + p
			}
		}
		return m.hostFallback(part)()
	}
}

// hostFallback is the last resort: a hash of the host name.
func (m Machine) hostFallback(part string) func() (string, string) {
	return func() (string, string) {
		h, err := m.Hostname()
		if err != nil || h == "" {
			h = "unknown-host"
		}
		return hashed(part, h), "hash of the host name"
	}
}

// hashed is a short, stable stand-in for a part: the hex of the first 16 bytes of SHA-256.
func hashed(part, value string) string {
	sum := sha256.Sum256([]byte(part + "\x00" + value))
	return hex.EncodeToString(sum[:16])
}

// clean makes a part acceptable to the marketplace: printable, without the separator, 128 bytes
// at most.
func clean(v string) string {
	v = strings.Map(func(r rune) rune {
		if r == '|' || !unicode.IsPrint(r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(v))
	if len(v) > maxPart {
		v = strings.ToValidUTF8(v[:maxPart], "") // a rune cut in two is dropped
	}
	return v
}
