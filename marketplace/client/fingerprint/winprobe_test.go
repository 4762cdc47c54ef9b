package fingerprint

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeWindows is a winProbe over a registry (key\name → value) and one volume serial.
func fakeWindows(reg map[string]string, serial uint32) winProbe {
	return winProbe{
		regString:    func(path, name string) string { return reg[path+`\`+name] },
		systemVolume: `C:\`,
		volumeSerial: func(root string) (uint32, error) {
			if root != `C:\` || serial == 0 {
				return 0, errors.New("The system cannot find the path specified.")
			}
			return serial, nil
		},
	}
}

func TestWindowsProbe(t *testing.T) {
	eth := iface("Ethernet", "00-15-5D-01-02-03", net.FlagUp)
	full := map[string]string{
		biosKey + `\BaseBoardManufacturer`: "LENOVO",
		biosKey + `\BaseBoardProduct`:      "20XW00A1GE",
		cpuKey + `\ProcessorNameString`:    "11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz   ",
		guidKey + `\MachineGuid`:           "b3c1f0a2-1111-2222-3333-444455556666",
	}
	for _, tc := range []struct {
		name    string
		reg     map[string]string
		serial  uint32
		want    string
		unknown []string
	}{
		{"a laptop", full, 0x1A2B3C4D,
			"00:15:5d:01:02:03|1A2B-3C4D|LENOVO 20XW00A1GE|11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz", nil},
		{"no volume serial, no BIOS key: MachineGuid stands in", map[string]string{guidKey + `\MachineGuid`: "b3c1"}, 0,
			"00:15:5d:01:02:03|" + hashed("disk", "b3c1") + "|" + hashed("board", "b3c1") + "|" + hashed("cpu", "b3c1"), []string{"disk", "board", "CPU"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp, err := compute(context.Background(), fakeMachine(fakeWindows(tc.reg, tc.serial), eth))
			require.NoError(t, err)
			assert.Equal(t, tc.want, fp.String())
			assert.Equal(t, tc.unknown, fp.Unknown())
		})
	}
}

func TestFormatVolumeSerial(t *testing.T) {
	for serial, want := range map[uint32]string{0x1A2B3C4D: "1A2B-3C4D", 0x0000000F: "0000-000F", 0xFFFFFFFF: "FFFF-FFFF"} {
		assert.Equal(t, want, formatVolumeSerial(serial))
	}
}
