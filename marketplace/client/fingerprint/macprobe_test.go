package fingerprint

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Recorded outputs of the tools on a MacBook (shortened).
const (
	ioregOut = `+-o J314sAP  <class IOPlatformExpertDevice, id 0x100000213, registered, matched, active, busy 0 (3 ms), retain 33>
    {
      "IOPlatformUUID" = "5A1B2C3D-0000-4E5F-8A9B-0C1D2E3F4A5B"
      "IOPlatformSerialNumber" = "C02XK1ABJGH5"
      "model" = <"MacBookPro18,3">
    }
`
	diskutilOut = `   Device Identifier:         disk3s1s1
   Device Node:               /dev/disk3s1s1
   Volume Name:               Macintosh HD
   Mounted:                   Yes
   Volume UUID:               7C5D1F2E-0000-4B1A-9C3D-1E2F3A4B5C6D
   Disk / Partition UUID:     7C5D1F2E-0000-4B1A-9C3D-1E2F3A4B5C6D
`
)

// recordedMac is a macProbe whose tools print the recorded outputs, or fail when broken.
func recordedMac(broken bool) macProbe {
	return macProbe{
		run: func(_ context.Context, name string, args ...string) ([]byte, error) {
			switch {
			case broken:
				return nil, errors.New("exec: not found")
			case name == "ioreg" && strings.Join(args, " ") == "-rd1 -c IOPlatformExpertDevice":
				return []byte(ioregOut), nil
			case name == "diskutil" && strings.Join(args, " ") == "info /":
				return []byte(diskutilOut), nil
			}
			return nil, errors.New("unexpected tool " + name)
		},
		sysctl: func(name string) (string, error) {
			if broken || name != "machdep.cpu.brand_string" {
				return "", errors.New("sysctl: unknown oid")
			}
			return "Apple M1 Pro", nil
		},
	}
}

func TestMacProbe(t *testing.T) {
	eth := iface("en0", "3c:22:fb:01:02:03", net.FlagUp)
	fp, err := compute(context.Background(), fakeMachine(recordedMac(false), eth))
	require.NoError(t, err)
	assert.Equal(t, "3c:22:fb:01:02:03|7C5D1F2E-0000-4B1A-9C3D-1E2F3A4B5C6D|C02XK1ABJGH5|Apple M1 Pro", fp.String())
	assert.Equal(t, Sources{MAC: Source{From: "interface en0"}, Disk: Source{From: "diskutil info / (Volume UUID)"},
		Board: Source{From: "ioreg IOPlatformSerialNumber"}, CPU: Source{From: "sysctl machdep.cpu.brand_string"}}, fp.Sources)

	// Without the tools, the host name stands in (IOPlatformUUID comes from ioreg too).
	fp, err = compute(context.Background(), fakeMachine(recordedMac(true), eth))
	require.NoError(t, err)
	assert.Equal(t, []string{"disk", "board", "CPU"}, fp.Unknown())
	assert.Equal(t, hashed("board", "plant-ws-7"), fp.Board)

	id, from := recordedMac(false).machineID(context.Background())
	assert.Equal(t, "5A1B2C3D-0000-4E5F-8A9B-0C1D2E3F4A5B", id)
	assert.Equal(t, "ioreg IOPlatformUUID", from)
}

func TestValueAfter(t *testing.T) {
	for _, tc := range []struct{ text, key, want string }{
		{ioregOut, `"IOPlatformSerialNumber"`, "C02XK1ABJGH5"},
		{ioregOut, `"IOPlatformUUID"`, "5A1B2C3D-0000-4E5F-8A9B-0C1D2E3F4A5B"},
		{diskutilOut, "Volume UUID", "7C5D1F2E-0000-4B1A-9C3D-1E2F3A4B5C6D"},
		{diskutilOut, "Serial", ""},
		{"", "Volume UUID", ""},
	} {
		assert.Equal(t, tc.want, valueAfter(tc.text, tc.key), "key %s", tc.key)
	}
}
