package gui

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeTree creates files (path → content) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
	}
}

func TestSysfsProbe(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name             string
		files            map[string]string
		disk, board, cpu string
	}{
		{
			name: "a PC read by root",
			files: map[string]string{
				"sys/block/loop0/serial":        "loopy",
				"sys/block/sdb/device/serial":   "second",
				"sys/block/sda/device/wwid":     "t10.ATA     Samsung SSD 860   S3Z9NB0K\n",
				"sys/class/dmi/id/board_serial": "BSN-42\n",
				"sys/class/dmi/id/product_uuid": "4c4c4544-0042",
				"proc/cpuinfo":                  "processor\t: 0\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n",
			},
			disk: "t10.ATA     Samsung SSD 860   S3Z9NB0K", board: "BSN-42", cpu: "AMD EPYC 7B13",
		},
		{
			name: "a user may not read DMI serials: vendor and model stand in",
			files: map[string]string{
				"sys/block/nvme0n1/device/serial": "  ",
				"sys/block/nvme0n1/wwid":          "eui.0025388b91b0a1b2",
				"sys/class/dmi/id/board_serial":   "",
				"sys/class/dmi/id/board_vendor":   "Dell Inc.",
				"sys/class/dmi/id/board_name":     "0X8DXD",
				"proc/cpuinfo":                    "model name : Intel(R) Core(TM) i7\n",
			},
			disk: "eui.0025388b91b0a1b2", board: "Dell Inc. 0X8DXD", cpu: "Intel(R) Core(TM) i7",
		},
		{
			name: "an ARM board",
			files: map[string]string{
				"sys/block/mmcblk0/device/serial": "0x1234abcd",
				"proc/device-tree/serial-number":  "10000000abcdef\x00",
				"proc/cpuinfo":                    "processor : 0\nCPU part : 0xd08\n\nHardware : BCM2835\nSerial : 10000000abcdef\nModel : Raspberry Pi 4 Model B\n",
			},
			disk: "0x1234abcd", board: "10000000abcdef", cpu: "Raspberry Pi 4 Model B 10000000abcdef",
		},
		{name: "nothing readable", files: map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tc.files)
			p := sysfsProbe{root: root}
			assert.Equal(t, tc.disk, p.diskID(ctx))
			assert.Equal(t, tc.board, p.boardID(ctx))
			assert.Equal(t, tc.cpu, p.cpuID(ctx))
		})
	}
}
