package fingerprint

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/license"
)

// tree writes files (path → content; content "->X" makes a symbolic link to X) under a new root.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		if target, ok := strings.CutPrefix(content, "->"); ok {
			require.NoError(t, os.Symlink(target, full))
			continue
		}
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
	}
	return root
}

func ifaces(list ...net.Interface) func() ([]net.Interface, error) {
	return func() ([]net.Interface, error) { return list, nil }
}

func hw(s string) net.HardwareAddr {
	a, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return a
}

var (
	lo   = net.Interface{Index: 1, Name: "lo", Flags: net.FlagLoopback | net.FlagUp}
	zero = net.Interface{Index: 2, Name: "dummy0", HardwareAddr: hw("00:00:00:00:00:00")}
	eth  = net.Interface{Index: 3, Name: "eth0", HardwareAddr: hw("52:54:00:AB:CD:EF"), Flags: net.FlagUp}
	wlan = net.Interface{Index: 4, Name: "wlan0", HardwareAddr: hw("52:54:00:11:22:33"), Flags: net.FlagUp}
)

const cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu vme sse2 avx2\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu vme sse2 avx2 other\n"

func TestCompute(t *testing.T) {
	host := func() (string, error) { return "plant-ws-7", nil }
	tests := []struct {
		name    string
		files   map[string]string
		ifaces  []net.Interface
		want    Fingerprint // CPU "" here: checked as a hash
		sources map[string]string
	}{
		{
			name: "physical machine",
			files: map[string]string{
				"dev/disk/by-id/nvme-Samsung_SSD_970_S4EW123":       "->../../nvme0n1",
				"dev/disk/by-id/nvme-Samsung_SSD_970_S4EW123-part1": "->../../nvme0n1p1",
				"dev/disk/by-id/wwn-0x5002538e40a0b1c2":             "->../../nvme0n1",
				"dev/disk/by-id/ata-WDC_WD10EZEX_WD-WCC6Y3":         "->../../sda",
				"sys/class/dmi/id/board_serial":                     "BRD-4711\n",
				"sys/class/dmi/id/product_uuid":                     "4c4c4544-0042-3510-8052-b4c04f4e3132\n",
				"proc/cpuinfo":                                      cpuinfo,
			},
			ifaces:  []net.Interface{lo, zero, eth, wlan},
			want:    Fingerprint{MAC: "52:54:00:ab:cd:ef", Disk: "ata-WDC_WD10EZEX_WD-WCC6Y3", Board: "BRD-4711"},
			sources: map[string]string{"mac": "interface eth0", "disk": "/dev/disk/by-id/ata-WDC_WD10EZEX_WD-WCC6Y3", "board": "/sys/class/dmi/id/board_serial", "cpu": "hash of /proc/cpuinfo (model and flags)"},
		},
		{
			name: "virtual machine: serial in /sys/block, placeholder board serial",
			files: map[string]string{
				"sys/block/loop0/device/serial": "LOOP",
				"sys/block/vda/serial":          "vd-serial-9\n",
				"sys/class/dmi/id/board_serial": "To be filled by O.E.M.\n",
				"sys/class/dmi/id/product_uuid": "6f1e0d2c-aaaa-bbbb-cccc-0123456789ab\n",
				"proc/cpuinfo":                  cpuinfo,
			},
			ifaces:  []net.Interface{lo, eth},
			want:    Fingerprint{MAC: "52:54:00:ab:cd:ef", Disk: "vd-serial-9", Board: "6f1e0d2c-aaaa-bbbb-cccc-0123456789ab"},
			sources: map[string]string{"mac": "interface eth0", "disk": "/sys/block/vda/serial", "board": "/sys/class/dmi/id/product_uuid", "cpu": "hash of /proc/cpuinfo (model and flags)"},
		},
		{
			name:    "container: machine id and host name fallbacks",
			files:   map[string]string{"etc/machine-id": "3d1219c7c4c5404aaa1f6d2a48adfda4\n"},
			ifaces:  []net.Interface{lo, wlan},
			want:    Fingerprint{MAC: "52:54:00:11:22:33", Disk: hashed("disk", "3d1219c7c4c5404aaa1f6d2a48adfda4"), Board: hashed("board", "3d1219c7c4c5404aaa1f6d2a48adfda4")},
			sources: map[string]string{"mac": "interface wlan0", "disk": "hash of /etc/machine-id", "board": "hash of /etc/machine-id", "cpu": "hash of the host name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Machine{Root: tree(t, tt.files), Interfaces: ifaces(tt.ifaces...), Hostname: host}
			got, err := Compute(m)
			require.NoError(t, err)
			assert.Equal(t, tt.want.MAC, got.MAC)
			assert.Equal(t, tt.want.Disk, got.Disk)
			assert.Equal(t, tt.want.Board, got.Board)
			assert.Regexp(t, `^[0-9a-f]{32}$`, got.CPU)
			assert.Equal(t, tt.sources, got.Sources)
			assert.Equal(t, got.MAC+"|"+got.Disk+"|"+got.Board+"|"+got.CPU, got.String())

			again, err := Compute(m)
			require.NoError(t, err)
			assert.Equal(t, got, again, "the fingerprint of one machine is stable")
		})
	}
}

// The CPU part changes with the processor's model or flags, and not with the rest of the file.
func TestCPUHash(t *testing.T) {
	read := func(info string) string {
		v, _ := Machine{Root: tree(t, map[string]string{"proc/cpuinfo": info})}.cpuID()
		return v
	}
	base := read(cpuinfo)
	assert.Equal(t, base, read(strings.Replace(cpuinfo, "processor\t: 0", "processor\t: 0\ncpu MHz\t: 2450.1", 1)), "a changing clock speed")
	assert.NotEqual(t, base, read(strings.Replace(cpuinfo, "EPYC 7B13", "EPYC 9654", 1)))
	assert.NotEqual(t, base, read(strings.Replace(cpuinfo, "avx2\n", "avx2 avx512f\n", 1)))
}

func TestComputeNeedsAMAC(t *testing.T) {
	for name, list := range map[string]func() ([]net.Interface, error){
		"only loopback and zero": ifaces(lo, zero),
		"listing fails":          func() ([]net.Interface, error) { return nil, errors.New("netlink: permission denied") },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Compute(Machine{Root: t.TempDir(), Interfaces: list})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "--fingerprint MAC|disk|board|cpu")
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  WD-123\n", "WD-123"},
		{"a|b", "a_b"},
		{"x\x00y", "x_y"},
		{strings.Repeat("d", 200), strings.Repeat("d", 128)},
		{strings.Repeat("d", 127) + "é", strings.Repeat("d", 127)},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, clean(tt.in), "%q", tt.in)
	}
}

// On this machine, whatever it is, a fingerprint comes out that the marketplace accepts.
func TestComputeHere(t *testing.T) {
	f, err := Compute(Machine{})
	if errors.Is(err, ErrNoMAC) {
		t.Skip("this machine has no network interface with a MAC address")
	}
	require.NoError(t, err)
	for name, v := range map[string]string{"mac": f.MAC, "disk": f.Disk, "board": f.Board, "cpu": f.CPU} {
		assert.NotEmpty(t, v, name)
		assert.NotContains(t, v, "|", name)
		assert.LessOrEqual(t, len(v), 128, name)
	}
	_, err = license.ParseFingerprint(f.String())
	assert.NoError(t, err, "the marketplace's own parser refuses %q", f)
}
