package fingerprint

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/license"
)

func iface(name, mac string, flags net.Flags) net.Interface {
	hw, err := net.ParseMAC(mac)
	if err != nil {
		panic(err) // a typo in a table below
	}
	return net.Interface{Name: name, HardwareAddr: hw, Flags: flags}
}

func TestPickMAC(t *testing.T) {
	up := net.FlagUp
	for _, tc := range []struct {
		name         string
		ifaces       []net.Interface
		want, source string
	}{
		{"none", nil, "", ""},
		{"loopback only", []net.Interface{{Name: "lo", Flags: net.FlagLoopback | up}}, "", ""},
		{"burned-in beats locally administered", []net.Interface{
			iface("eth0", "02:fc:00:00:00:01", up), iface("eth1", "00:1A:2B:3C:4D:5E", 0)}, "00:1a:2b:3c:4d:5e", "interface eth1"},
		{"up or down does not matter, so Wi-Fi switched off keeps the pick", []net.Interface{
			iface("wlan0", "00:1b:00:00:00:02", up), iface("enp1s0", "00:1b:00:00:00:01", 0)}, "00:1b:00:00:00:01", "interface enp1s0"},
		{"name order breaks ties, whatever the list order", []net.Interface{
			iface("enp2s0", "00:00:00:00:00:02", up), iface("enp1s0", "00:00:00:00:00:01", up)}, "00:00:00:00:00:01", "interface enp1s0"},
		{"virtual adapters are skipped", []net.Interface{
			iface("docker0", "00:42:ac:11:00:02", up), iface("veth1", "00:42:ac:11:00:03", up),
			iface("vEthernet (WSL)", "00:15:5d:00:00:01", up), iface("wlan0", "02:11:22:33:44:55", 0)}, "02:11:22:33:44:55", "interface wlan0"},
		{"zero, multicast and long addresses are skipped", []net.Interface{
			iface("a0", "00:00:00:00:00:00", up), iface("b0", "01:00:5e:00:00:01", up),
			iface("c0", "00:00:00:00:fe:80:00:00", up)}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mac, src := pickMAC(tc.ifaces)
			assert.Equal(t, tc.want, mac)
			assert.Equal(t, tc.source, src)
		})
	}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"  To Be Filled By O.E.M.  ", ""},
		{"None", ""},
		{"Default string\n", ""},
		{"  WD-123\n", "WD-123"},
		{"S3Z9NB0K|12", "S3Z9NB0K/12"},
		{"Intel(R)  Core(TM)\ti7\n", "Intel(R) Core(TM) i7"},
		{"x\x00y", "x y"},
		{"bad\xffbyte", "badbyte"},
		{strings.Repeat("d", 200), strings.Repeat("d", 128)},
		{strings.Repeat("é", 100), strings.Repeat("é", 64)}, // 128 bytes, cut on a rune boundary
		{strings.Repeat("d", 127) + " e", strings.Repeat("d", 127)},
	} {
		assert.Equal(t, tc.want, clean(tc.in), "clean(%q)", tc.in)
	}
}

// fakeProbe answers from the map (keys disk, board, cpu, machine id), with the source "fake <key>".
type fakeProbe map[string]string

func (p fakeProbe) answer(key string) (string, string) {
	if p[key] == "" {
		return "", ""
	}
	return p[key], "fake " + key
}

func (p fakeProbe) disk(context.Context) (string, string)      { return p.answer("disk") }
func (p fakeProbe) board(context.Context) (string, string)     { return p.answer("board") }
func (p fakeProbe) cpu(context.Context) (string, string)       { return p.answer("cpu") }
func (p fakeProbe) machineID(context.Context) (string, string) { return p.answer("machine id") }

func fakeMachine(p probe, ifaces ...net.Interface) machine {
	return machine{
		interfaces: func() ([]net.Interface, error) { return ifaces, nil },
		hostname:   func() (string, error) { return "plant-ws-7", nil },
		probe:      p,
	}
}

func TestCompute(t *testing.T) {
	eth := iface("eth0", "00-1A-2B-3C-4D-5E", net.FlagUp)
	fromID := func(part string) string { return hashed(part, "3d1219c7c4c5404a") }
	fromHost := func(part string) string { return hashed(part, "plant-ws-7") }
	for _, tc := range []struct {
		name    string
		probe   fakeProbe
		want    string
		sources Sources
		unknown []string
	}{
		{
			name:  "every part read",
			probe: fakeProbe{"disk": "WD-123", "board": "Dell Inc. 0X8DXD", "cpu": "AMD EPYC 7B13", "machine id": "3d1219c7c4c5404a"},
			want:  "00:1a:2b:3c:4d:5e|WD-123|Dell Inc. 0X8DXD|AMD EPYC 7B13",
			sources: Sources{MAC: Source{From: "interface eth0"}, Disk: Source{From: "fake disk"},
				Board: Source{From: "fake board"}, CPU: Source{From: "fake cpu"}},
		},
		{
			name:  "a placeholder board: the machine id stands in",
			probe: fakeProbe{"disk": "WD-123", "board": "To be filled by O.E.M.", "cpu": "AMD EPYC 7B13", "machine id": "3d1219c7c4c5404a"},
			want:  "00:1a:2b:3c:4d:5e|WD-123|" + fromID("board") + "|AMD EPYC 7B13",
			sources: Sources{MAC: Source{From: "interface eth0"}, Disk: Source{From: "fake disk"},
				Board: Source{From: "hash of fake machine id", StandIn: true}, CPU: Source{From: "fake cpu"}},
			unknown: []string{"board"},
		},
		{
			name:  "nothing but the host name",
			probe: fakeProbe{},
			want:  "00:1a:2b:3c:4d:5e|" + fromHost("disk") + "|" + fromHost("board") + "|" + fromHost("cpu"),
			sources: Sources{MAC: Source{From: "interface eth0"}, Disk: Source{From: "hash of the host name", StandIn: true},
				Board: Source{From: "hash of the host name", StandIn: true}, CPU: Source{From: "hash of the host name", StandIn: true}},
			unknown: []string{"disk", "board", "CPU"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := fakeMachine(tc.probe, eth)
			fp, err := compute(context.Background(), m)
			require.NoError(t, err)
			assert.Equal(t, tc.want, fp.String())
			assert.Equal(t, tc.sources, fp.Sources)
			assert.Equal(t, tc.unknown, fp.Unknown())

			parsed, err := license.ParseFingerprint(fp.String())
			require.NoError(t, err, "the marketplace's parser refuses %q", fp)
			assert.Equal(t, fp.String(), parsed.String(), "the marketplace keeps the fingerprint as it is")

			again, err := compute(context.Background(), m)
			require.NoError(t, err)
			assert.Equal(t, fp, again, "one machine's fingerprint is stable")
		})
	}
}

func TestComputeFails(t *testing.T) {
	eth := iface("eth0", "00:1a:2b:3c:4d:5e", net.FlagUp)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	noList := fakeMachine(fakeProbe{})
	noList.interfaces = func() ([]net.Interface, error) { return nil, errors.New("netlink: permission denied") }
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		m      machine
		is     error
		saying string
	}{
		{"only loopback and virtual adapters", context.Background(),
			fakeMachine(fakeProbe{}, net.Interface{Name: "lo", Flags: net.FlagLoopback}, iface("docker0", "00:42:ac:11:00:02", 0)),
			ErrNoMAC, "no network adapter with a MAC address"},
		{"the adapters cannot be listed", context.Background(), noList, nil, "listing the network adapters: netlink: permission denied"},
		{"the context ends", cancelled, fakeMachine(fakeProbe{}, eth), context.Canceled, "reading the device fingerprint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compute(tc.ctx, tc.m)
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Contains(t, err.Error(), tc.saying)
		})
	}
}

// On this machine, whatever it is, Compute gives a stable fingerprint the marketplace accepts.
func TestComputeHere(t *testing.T) {
	fp, err := Compute(context.Background())
	if errors.Is(err, ErrNoMAC) {
		t.Skip("this machine has no network adapter with a MAC address")
	}
	require.NoError(t, err)
	parsed, err := license.ParseFingerprint(fp.String())
	require.NoError(t, err, "the marketplace's parser refuses %q", fp)
	assert.Equal(t, fp.String(), parsed.String())
	for name, src := range map[string]Source{"mac": fp.Sources.MAC, "disk": fp.Sources.Disk, "board": fp.Sources.Board, "cpu": fp.Sources.CPU} {
		assert.NotEmpty(t, src.From, "where the %s part came from", name)
	}
	again, err := Compute(context.Background())
	require.NoError(t, err)
	assert.Equal(t, fp, again)
}
