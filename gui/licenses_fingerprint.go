package gui

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fingerprint identifies the device a license is bound to, as the marketplace takes it:
// "MAC|disk|board|cpu". A part this OS does not reveal is "unknown", so the dialog can say so.
type Fingerprint struct {
	MAC, Disk, Board, CPU string
}

// unknownPart stands for a part of the fingerprint that could not be read.
const unknownPart = "unknown"

// maxPartLen is the marketplace's limit on each part (marketplace/license maxFieldLen).
const maxPartLen = 128

// String gives the "MAC|disk|board|cpu" form that a license application carries.
func (f Fingerprint) String() string {
	return f.MAC + "|" + f.Disk + "|" + f.Board + "|" + f.CPU
}

// Unknown lists the parts that could not be read (by name), for the Apply dialog's note.
func (f Fingerprint) Unknown() []string {
	var out []string
	for _, p := range []struct{ name, v string }{{"network adapter", f.MAC}, {"disk", f.Disk}, {"board", f.Board}, {"CPU", f.CPU}} {
		if p.v == unknownPart {
			out = append(out, p.name)
		}
	}
	return out
}

// hardwareProbe reads the per-OS parts of the fingerprint; each returns "" when it finds nothing.
type hardwareProbe interface {
	diskID(ctx context.Context) string
	boardID(ctx context.Context) string
	cpuID(ctx context.Context) string
}

// DeviceFingerprint reads this device's fingerprint: the MAC address of its first physical
// network adapter and the disk, board and CPU identifiers the OS reveals without extra tools.
// It fails only when ctx ends; parts that cannot be read are "unknown".
func DeviceFingerprint(ctx context.Context) (Fingerprint, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		ifaces = nil // an unreadable interface list leaves the MAC unknown, which the dialog shows
	}
	return fingerprintFrom(ctx, ifaces, newHardwareProbe())
}

// fingerprintFrom builds a fingerprint from the interfaces and what probe reads.
func fingerprintFrom(ctx context.Context, ifaces []net.Interface, probe hardwareProbe) (Fingerprint, error) {
	fp := Fingerprint{MAC: pickMAC(ifaces)}
	fp.Disk = cleanPart(probe.diskID(ctx))
	fp.Board = cleanPart(probe.boardID(ctx))
	fp.CPU = cleanPart(probe.cpuID(ctx))
	if fp.MAC == "" {
		fp.MAC = unknownPart
	}
	if err := ctx.Err(); err != nil {
		return Fingerprint{}, fmt.Errorf("reading the device fingerprint: %w", err)
	}
	return fp, nil
}

// virtualPrefixes name adapters that come and go with containers, VPNs and hypervisors: a
// license bound to one would break when it goes.
var virtualPrefixes = []string{"veth", "docker", "br-", "virbr", "vmnet", "vboxnet", "tun", "tap", "ifb", "wg", "zt", "utun", "awdl", "llw", "bridge"}

// pickMAC chooses the adapter whose MAC stands for the device, the same one on every run: a
// burned-in (universally administered) address before a locally administered one, an adapter
// that is up before one that is down, then by name. It returns "" when there is none.
func pickMAC(ifaces []net.Interface) string {
	type cand struct {
		name  string
		mac   net.HardwareAddr
		score int
	}
	var cands []cand
	for _, ifc := range ifaces {
		mac := ifc.HardwareAddr
		if ifc.Flags&net.FlagLoopback != 0 || len(mac) != 6 || isZero(mac) || mac[0]&1 == 1 { // multicast bit: not an adapter
			continue
		}
		if slices.ContainsFunc(virtualPrefixes, func(p string) bool { return strings.HasPrefix(strings.ToLower(ifc.Name), p) }) {
			continue
		}
		score := 0
		if mac[0]&2 == 0 { // universally administered
			score += 2
		}
		if ifc.Flags&net.FlagUp != 0 {
			score++
		}
		cands = append(cands, cand{ifc.Name, mac, score})
	}
	if len(cands) == 0 {
		return ""
	}
	best := slices.MinFunc(cands, func(a, b cand) int {
		if a.score != b.score {
			return b.score - a.score
		}
		return strings.Compare(a.name, b.name)
	})
	return best.mac.String() // lower-case colon form, as the marketplace normalises it
}

func isZero(b []byte) bool {
	return !slices.ContainsFunc(b, func(c byte) bool { return c != 0 })
}

// placeholders are what firmware writes where a vendor left a serial number empty.
var placeholders = []string{"", "none", "default string", "to be filled by o.e.m.", "not specified", "not applicable",
	"system serial number", "0", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"}

// cleanPart makes v fit a fingerprint part: no separator, no control characters, single
// spaces, at most maxPartLen bytes; a placeholder or nothing is "unknown".
func cleanPart(v string) string {
	v = strings.Map(func(r rune) rune {
		switch {
		case r == '|':
			return '/'
		case unicode.IsControl(r) || unicode.IsSpace(r):
			return ' '
		case r == unicode.ReplacementChar:
			return -1
		}
		return r
	}, strings.ToValidUTF8(v, ""))
	v = strings.Join(strings.Fields(v), " ")
	if slices.Contains(placeholders, strings.ToLower(v)) {
		return unknownPart
	}
	for len(v) > maxPartLen {
		_, size := utf8.DecodeLastRuneInString(v)
		v = v[:len(v)-size]
	}
	return v
}

// valueAfter finds the first line of a tool's output that starts with key and returns what
// follows, without the ":" or "=" and quotes: `Volume UUID:   AB-12` and `"IOPlatformSerialNumber" = "C02X"`.
func valueAfter(text, key string) string {
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), key)
		if !ok {
			continue
		}
		rest = strings.TrimLeft(strings.TrimSpace(rest), ":=")
		return strings.Trim(strings.TrimSpace(rest), `"`)
	}
	return ""
}
