// Package fingerprint computes the device fingerprint a marketplace license is bound to,
// "MAC|disk|board|cpu". It is the one implementation the CLI and the desktop app share, so a
// license applied for from either matches this machine.
//
// Every part is read from sources any user may read, never from root-only ones (DMI serials on
// Linux): a fingerprint computed with sudo must equal the one the desktop user's app computes.
// A part the machine does not reveal is stood in for by a hash of the machine's id (machine-id,
// MachineGuid, IOPlatformUUID), else of its host name; Sources says where each part came from.
// Only the MAC is required.
package fingerprint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fingerprint is the four parts of a device's identity, in the marketplace's order.
type Fingerprint struct {
	MAC     string  `json:"mac"`
	Disk    string  `json:"disk"`
	Board   string  `json:"board"`
	CPU     string  `json:"cpu"`
	Sources Sources `json:"sources"`
}

// Sources says where each part of a Fingerprint came from.
type Sources struct {
	MAC   Source `json:"mac"`
	Disk  Source `json:"disk"`
	Board Source `json:"board"`
	CPU   Source `json:"cpu"`
}

// Source is where one part came from.
type Source struct {
	// From names the place: "interface eth0", "/sys/block/nvme0n1/device/serial", "hash of /etc/machine-id".
	From string `json:"from"`
	// StandIn is set when the machine did not reveal the part and a hash of its id stands in.
	StandIn bool `json:"stand_in,omitempty"`
}

// String is the marketplace's form, "MAC|disk|board|cpu".
func (f Fingerprint) String() string {
	return f.MAC + "|" + f.Disk + "|" + f.Board + "|" + f.CPU
}

// Unknown names the parts this machine did not reveal ("disk", "board", "CPU"), whose values
// are stand-ins; nil when every part was read from the hardware.
func (f Fingerprint) Unknown() []string {
	var out []string
	for _, p := range []struct {
		name string
		src  Source
	}{{"disk", f.Sources.Disk}, {"board", f.Sources.Board}, {"CPU", f.Sources.CPU}} {
		if p.src.StandIn {
			out = append(out, p.name)
		}
	}
	return out
}

// ErrNoMAC means no network adapter has a hardware address to bind a license to.
var ErrNoMAC = errors.New("no network adapter with a MAC address (besides loopback and virtual ones); connect or enable one")

// maxPart is the marketplace's limit on each part (marketplace/license maxFieldLen).
const maxPart = 128

// probe reads the parts an OS keeps in its own places. Each method returns the value and where
// it came from, or "" when the machine does not say.
type probe interface {
	disk(ctx context.Context) (value, source string)
	board(ctx context.Context) (value, source string)
	cpu(ctx context.Context) (value, source string)
	// machineID is the OS installation's id, hashed into the stand-ins.
	machineID(ctx context.Context) (value, source string)
}

// machine is what compute reads: the real machine, or fakes in tests.
type machine struct {
	interfaces func() ([]net.Interface, error)
	hostname   func() (string, error)
	probe      probe
}

// Compute reads this machine's fingerprint. It fails when no adapter has a MAC address, the
// adapters cannot be listed, or ctx ends.
func Compute(ctx context.Context) (Fingerprint, error) {
	return compute(ctx, machine{interfaces: net.Interfaces, hostname: os.Hostname, probe: newProbe()})
}

func compute(ctx context.Context, m machine) (Fingerprint, error) {
	ifaces, err := m.interfaces()
	if err != nil {
		return Fingerprint{}, fmt.Errorf("reading the device fingerprint: listing the network adapters: %w", err)
	}
	var f Fingerprint
	f.MAC, f.Sources.MAC.From = pickMAC(ifaces)
	if f.MAC == "" {
		return Fingerprint{}, fmt.Errorf("reading the device fingerprint: %w", ErrNoMAC)
	}
	var standIn func(part string) (string, Source) // made when first needed: on a Mac it runs ioreg
	for _, p := range []struct {
		name  string
		value *string
		src   *Source
		read  func(context.Context) (string, string)
	}{
		{"disk", &f.Disk, &f.Sources.Disk, m.probe.disk},
		{"board", &f.Board, &f.Sources.Board, m.probe.board},
		{"cpu", &f.CPU, &f.Sources.CPU, m.probe.cpu},
	} {
		v, src := p.read(ctx)
		if v = clean(v); v != "" {
			*p.value, *p.src = v, Source{From: src}
			continue
		}
		if standIn == nil {
			standIn = m.standIn(ctx)
		}
		*p.value, *p.src = standIn(p.name)
	}
	if err := ctx.Err(); err != nil { // a tool cut short may have left a part to a stand-in
		return Fingerprint{}, fmt.Errorf("reading the device fingerprint: %w", err)
	}
	return f, nil
}

// standIn returns the maker of stand-ins: a hash of the machine id, else of the host name, with
// the part's name mixed in so that the parts differ.
func (m machine) standIn(ctx context.Context) func(part string) (string, Source) {
	id, src := m.probe.machineID(ctx)
	if id = clean(id); id == "" {
		h, err := m.hostname()
		if err != nil || h == "" {
			h = "unknown-host"
		}
		id, src = h, "the host name"
	}
	return func(part string) (string, Source) {
		return hashed(part, id), Source{From: "hash of " + src, StandIn: true}
	}
}

// hashed is a short, stable stand-in for a part: the hex of the first 16 bytes of SHA-256.
func hashed(part, value string) string {
	sum := sha256.Sum256([]byte(part + "\x00" + value))
	return hex.EncodeToString(sum[:16])
}

// placeholders are what firmware writes where a vendor left a field empty.
var placeholders = []string{"", "0", "none", "unknown", "default string", "to be filled by o.e.m.", "not specified",
	"not applicable", "system serial number", "system product name", "system manufacturer", "o.e.m.", "oem",
	"type1productconfigid", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"}

// clean makes v fit a fingerprint part: valid UTF-8 without the separator or control
// characters, single spaces, at most maxPart bytes; "" for a placeholder.
func clean(v string) string {
	v = strings.Map(func(r rune) rune {
		switch {
		case r == '|':
			return '/'
		case unicode.IsControl(r) || unicode.IsSpace(r):
			return ' '
		case !unicode.IsPrint(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(v, ""))
	v = strings.Join(strings.Fields(v), " ")
	if slices.Contains(placeholders, strings.ToLower(v)) {
		return ""
	}
	for len(v) > maxPart { // cut on a rune boundary
		_, size := utf8.DecodeLastRuneInString(v)
		v = strings.TrimRight(v[:len(v)-size], " ")
	}
	return v
}
