package gui

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func iface(name, mac string, flags net.Flags) net.Interface {
	hw, err := net.ParseMAC(mac)
	if err != nil {
		panic(err) // a typo in the table below
	}
	return net.Interface{Name: name, HardwareAddr: hw, Flags: flags}
}

func TestPickMAC(t *testing.T) {
	up := net.FlagUp
	for _, tc := range []struct {
		name   string
		ifaces []net.Interface
		want   string
	}{
		{"none", nil, ""},
		{"loopback only", []net.Interface{{Name: "lo", Flags: net.FlagLoopback | up}}, ""},
		{"burned-in beats locally administered", []net.Interface{
			iface("eth0", "02:fc:00:00:00:01", up), iface("eth1", "00:1A:2B:3C:4D:5E", 0)}, "00:1a:2b:3c:4d:5e"},
		{"up beats down among equals", []net.Interface{
			iface("ifb0", "fe:7b:b9:74:f3:60", 0), iface("eth0", "02:fc:00:00:00:01", up)}, "02:fc:00:00:00:01"},
		{"name order breaks ties, whatever the list order", []net.Interface{
			iface("enp2s0", "00:00:00:00:00:02", up), iface("enp1s0", "00:00:00:00:00:01", up)}, "00:00:00:00:00:01"},
		{"virtual adapters are skipped", []net.Interface{
			iface("docker0", "00:42:ac:11:00:02", up), iface("veth1", "00:42:ac:11:00:03", up), iface("wlan0", "02:11:22:33:44:55", 0)}, "02:11:22:33:44:55"},
		{"zero, multicast and long addresses are skipped", []net.Interface{
			iface("a0", "00:00:00:00:00:00", up), iface("b0", "01:00:5e:00:00:01", up),
			iface("c0", "00:00:00:00:fe:80:00:00", up)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, pickMAC(tc.ifaces))
		})
	}
}

func TestCleanPart(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", unknownPart},
		{"  To Be Filled By O.E.M.  ", unknownPart},
		{"None", unknownPart},
		{"S3Z9NB0K|12", "S3Z9NB0K/12"},
		{"Intel(R)  Core(TM)\ti7\n", "Intel(R) Core(TM) i7"},
		{"bad\xffbyte", "badbyte"},
		{strings.Repeat("é", 100), strings.Repeat("é", 64)}, // 128 bytes, cut on a rune boundary
	} {
		assert.Equal(t, tc.want, cleanPart(tc.in), "cleanPart(%q)", tc.in)
	}
}

type fakeProbe struct{ disk, board, cpu string }

func (p fakeProbe) diskID(context.Context) string  { return p.disk }
func (p fakeProbe) boardID(context.Context) string { return p.board }
func (p fakeProbe) cpuID(context.Context) string   { return p.cpu }

func TestFingerprintFrom(t *testing.T) {
	ifaces := []net.Interface{iface("eth0", "00-1A-2B-3C-4D-5E", net.FlagUp)}
	fp, err := fingerprintFrom(context.Background(), ifaces, fakeProbe{disk: "WD-123", board: "", cpu: "AMD EPYC"})
	require.NoError(t, err)
	assert.Equal(t, "00:1a:2b:3c:4d:5e|WD-123|unknown|AMD EPYC", fp.String())
	assert.Equal(t, []string{"board"}, fp.Unknown())

	fp, err = fingerprintFrom(context.Background(), nil, fakeProbe{})
	require.NoError(t, err)
	assert.Equal(t, []string{"network adapter", "disk", "board", "CPU"}, fp.Unknown())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = fingerprintFrom(ctx, ifaces, fakeProbe{})
	assert.ErrorIs(t, err, context.Canceled)
}

// TestDeviceFingerprintHere reads this machine: four parts, none with the separator.
func TestDeviceFingerprintHere(t *testing.T) {
	fp, err := DeviceFingerprint(context.Background())
	require.NoError(t, err)
	parts := strings.Split(fp.String(), "|")
	require.Len(t, parts, 4)
	for _, p := range parts {
		assert.NotEmpty(t, p)
	}
}

func TestValueAfter(t *testing.T) {
	ioreg := "+-o J314sAP  <class IOPlatformExpertDevice>\n    {\n      \"IOPlatformUUID\" = \"5A1B\"\n      \"IOPlatformSerialNumber\" = \"C02XK1ABJGH5\"\n    }\n"
	diskutil := "   Device Identifier:         disk3s1s1\n   Volume UUID:               7C5D1F2E-0000-4B1A\n   Disk / Partition UUID:     X\n"
	for _, tc := range []struct{ text, key, want string }{
		{ioreg, `"IOPlatformSerialNumber"`, "C02XK1ABJGH5"},
		{diskutil, "Volume UUID", "7C5D1F2E-0000-4B1A"},
		{diskutil, "Serial", ""},
		{"", "Volume UUID", ""},
	} {
		assert.Equal(t, tc.want, valueAfter(tc.text, tc.key), "key %s", tc.key)
	}
}
