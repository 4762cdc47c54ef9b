package fingerprint

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tree writes files (path → content; content "->X" makes a symbolic link to X, content "/" an
// empty folder) under a new root.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if content == "/" {
			require.NoError(t, os.MkdirAll(full, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		if target, ok := strings.CutPrefix(content, "->"); ok {
			require.NoError(t, os.Symlink(target, full))
			continue
		}
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
	}
	return root
}

func rootOn(major, minor uint32) func() (uint32, uint32, bool) {
	return func() (uint32, uint32, bool) { return major, minor, true }
}

func noRootDev() (uint32, uint32, bool) { return 0, 0, false }

// A laptop: root on LUKS on LVM on nvme0n1p3, a SATA disk and a USB stick beside it.
var laptop = map[string]string{
	"sys/devices/pci0/nvme/nvme0/nvme0n1/device":              "->../../nvme0",
	"sys/devices/pci0/nvme/nvme0/serial":                      "S4EWNX0R123456  \n",
	"sys/devices/pci0/nvme/nvme0/nvme0n1/wwid":                "eui.0025388b91b0a1b2\n",
	"sys/devices/pci0/nvme/nvme0/nvme0n1/removable":           "0\n",
	"sys/devices/pci0/nvme/nvme0/nvme0n1/nvme0n1p3/partition": "3\n",
	"sys/devices/pci0/ata1/sda/device/serial":                 "",
	"sys/devices/pci0/ata1/sda/device/wwid":                   "t10.ATA     WDC WD10EZEX     WD-WCC6Y3\n",
	"sys/devices/pci0/ata1/sda/removable":                     "0\n",
	"sys/devices/pci0/ata1/sda/sda1/partition":                "1\n",
	"sys/dev/block/8:1":                                       "->../../devices/pci0/ata1/sda/sda1",
	"sys/devices/pci0/usb/sdb/device/serial":                  "USB-STICK-1\n",
	"sys/devices/pci0/usb/sdb/removable":                      "1\n",
	"sys/devices/virtual/block/dm-0/slaves/nvme0n1p3":         "->../../../../pci0/nvme/nvme0/nvme0n1/nvme0n1p3",
	"sys/devices/virtual/block/dm-1/slaves/dm-0":              "->../../dm-0",
	"sys/block/nvme0n1":                                       "->../devices/pci0/nvme/nvme0/nvme0n1",
	"sys/block/sda":                                           "->../devices/pci0/ata1/sda",
	"sys/block/sdb":                                           "->../devices/pci0/usb/sdb",
	"sys/block/dm-0":                                          "->../devices/virtual/block/dm-0",
	"sys/block/dm-1":                                          "->../devices/virtual/block/dm-1",
	"sys/dev/block/254:1":                                     "->../../devices/virtual/block/dm-1",
	"sys/dev/block/259:3":                                     "->../../devices/pci0/nvme/nvme0/nvme0n1/nvme0n1p3",
}

func TestSysfsDisk(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		files      map[string]string
		rootDev    func() (uint32, uint32, bool)
		want, from string
	}{
		{"root on LUKS on LVM on an NVMe partition", laptop, rootOn(254, 1), "S4EWNX0R123456", "/sys/block/nvme0n1/device/serial"},
		{"root right on a partition", laptop, rootOn(259, 3), "S4EWNX0R123456", "/sys/block/nvme0n1/device/serial"},
		{"root on the SATA disk: its WWID, though nvme0n1 sorts first", laptop, rootOn(8, 1), "t10.ATA WDC WD10EZEX WD-WCC6Y3", "/sys/block/sda/device/wwid"},
		{"root on no block device (overlay): the first fixed disk by name", laptop, rootOn(0, 31), "S4EWNX0R123456", "/sys/block/nvme0n1/device/serial"},
		{"a virtual machine: virtio serial, loop devices skipped", map[string]string{
			"sys/block/loop0/serial": "LOOP",
			"sys/block/vda/serial":   "vd-serial-9\n",
		}, noRootDev, "vd-serial-9", "/sys/block/vda/serial"},
		{"a root disk without a serial: the next disk", map[string]string{
			"sys/block/vda/removable": "0",
			"sys/block/vdb/serial":    "data-disk\n",
			"sys/dev/block/252:0":     "->../../block/vda",
		}, rootOn(252, 0), "data-disk", "/sys/block/vdb/serial"},
		{"only a USB stick", map[string]string{"sys/block/sdb/device/serial": "STICK", "sys/block/sdb/removable": "1"}, noRootDev, "", ""},
		{"no /sys", map[string]string{}, noRootDev, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sysfsProbe{root: tree(t, tc.files), rootDev: tc.rootDev}
			got, from := p.disk(ctx)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.from, from)
		})
	}
}

func TestSysfsBoardAndCPU(t *testing.T) {
	ctx := context.Background()
	const dmi = "sys/class/dmi/id/"
	for _, tc := range []struct {
		name                  string
		files                 map[string]string
		board, boardFrom, cpu string
	}{
		{
			name: "a PC",
			files: map[string]string{
				dmi + "board_vendor": "Dell Inc.\n", dmi + "board_name": "0X8DXD\n",
				"proc/cpuinfo": "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu vme sse2\ncpu MHz\t\t: 2450.1\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n",
			},
			board: "Dell Inc. 0X8DXD", boardFrom: "/sys/class/dmi/id/board_vendor and board_name", cpu: "AMD EPYC 7B13",
		},
		{
			name: "a placeholder board name: the system's vendor and model",
			files: map[string]string{
				dmi + "board_vendor": "ASUSTeK", dmi + "board_name": "Default string",
				dmi + "sys_vendor": "QEMU", dmi + "product_name": "Standard PC (Q35 + ICH9, 2009)",
				"proc/cpuinfo": "model name : Intel(R) Core(TM)   i7-8650U CPU @ 1.90GHz\n",
			},
			board: "QEMU Standard PC (Q35 + ICH9, 2009)", boardFrom: "/sys/class/dmi/id/sys_vendor and product_name", cpu: "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz",
		},
		{
			name: "a Raspberry Pi: the device tree's serial, the ARM implementer and part",
			files: map[string]string{
				"proc/device-tree/serial-number": "10000000abcdef\x00",
				"proc/cpuinfo":                   "processor : 0\nBogoMIPS : 108.00\nCPU implementer : 0x41\nCPU part : 0xd08\n\nHardware : BCM2835\nSerial : 10000000abcdef\nModel : Raspberry Pi 4 Model B\n",
			},
			board: "10000000abcdef", boardFrom: "/proc/device-tree/serial-number", cpu: "implementer 0x41 part 0xd08",
		},
		{name: "nothing readable", files: map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sysfsProbe{root: tree(t, tc.files), rootDev: noRootDev}
			board, from := p.board(ctx)
			assert.Equal(t, tc.board, board)
			assert.Equal(t, tc.boardFrom, from)
			cpu, _ := p.cpu(ctx)
			assert.Equal(t, tc.cpu, cpu)
		})
	}
}

// The CPU part does not change with the clock speed or the kernel's flags, and does with the model.
func TestSysfsCPUIsStable(t *testing.T) {
	const info = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse2 avx2\ncpu MHz\t\t: 2450.1\n"
	read := func(info string) string {
		v, _ := sysfsProbe{root: tree(t, map[string]string{"proc/cpuinfo": info})}.cpu(context.Background())
		return v
	}
	base := read(info)
	assert.Equal(t, base, read(strings.Replace(info, "2450.1", "3100.0", 1)), "another clock speed")
	assert.Equal(t, base, read(strings.Replace(info, "avx2", "avx2 user_shstk", 1)), "a newer kernel's flags")
	assert.NotEqual(t, base, read(strings.Replace(info, "7B13", "9654", 1)), "another model")
}

// Root may read DMI serials and product_uuid, a desktop user may not: the fingerprint must not
// depend on who computes it, so those files are never read.
func TestSysfsSameForRootAndUser(t *testing.T) {
	user := map[string]string{
		"sys/class/dmi/id/board_vendor": "Dell Inc.", "sys/class/dmi/id/board_name": "0X8DXD",
		"sys/block/sda/device/wwid": "naa.5002538e40a0b1c2", "etc/machine-id": "3d1219c7c4c5404aaa1f6d2a48adfda4\n",
		"proc/cpuinfo": "model name : AMD EPYC 7B13\n",
	}
	asRoot := map[string]string{
		"sys/class/dmi/id/board_serial":   "BRD-4711",
		"sys/class/dmi/id/product_uuid":   "4c4c4544-0042-3510-8052-b4c04f4e3132",
		"sys/class/dmi/id/product_serial": "SN-12",
	}
	for k, v := range user {
		asRoot[k] = v
	}
	eth := iface("eth0", "00:1a:2b:3c:4d:5e", net.FlagUp)
	fingerprintOf := func(files map[string]string) Fingerprint {
		fp, err := compute(context.Background(), fakeMachine(sysfsProbe{root: tree(t, files), rootDev: noRootDev}, eth))
		require.NoError(t, err)
		return fp
	}
	want := fingerprintOf(user)
	assert.Equal(t, "00:1a:2b:3c:4d:5e|naa.5002538e40a0b1c2|Dell Inc. 0X8DXD|AMD EPYC 7B13", want.String())
	assert.Equal(t, want, fingerprintOf(asRoot))
}

func TestSysfsMachineID(t *testing.T) {
	for _, tc := range []struct {
		name       string
		files      map[string]string
		want, from string
	}{
		{"systemd", map[string]string{"etc/machine-id": "3d1219c7\n", "var/lib/dbus/machine-id": "other"}, "3d1219c7", "/etc/machine-id"},
		{"D-Bus only", map[string]string{"var/lib/dbus/machine-id": "abc\n"}, "abc", "/var/lib/dbus/machine-id"},
		{"an empty machine-id (first boot)", map[string]string{"etc/machine-id": "\n"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, from := sysfsProbe{root: tree(t, tc.files)}.machineID(context.Background())
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.from, from)
		})
	}
}
