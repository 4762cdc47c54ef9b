package fingerprint

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

func newProbe() probe { return sysfsProbe{root: "/", rootDev: statRootDev} }

// statRootDev is the device number of the file system mounted at /.
func statRootDev() (major, minor uint32, ok bool) {
	var st unix.Stat_t
	if err := unix.Stat("/", &st); err != nil {
		return 0, 0, false
	}
	return unix.Major(st.Dev), unix.Minor(st.Dev), true
}

// sysfsProbe reads /sys, /proc and /etc under root (a temp folder in tests). It reads only
// files every user may read: DMI serials and product_uuid are root's alone.
type sysfsProbe struct {
	root string
	// rootDev is the device number of /; ok is false when it has none (overlay, btrfs subvolume).
	rootDev func() (major, minor uint32, ok bool)
}

// read returns a small file's content, trimmed; "" when it is missing, unreadable or a placeholder.
func (p sysfsProbe) read(path string) string {
	data, err := os.ReadFile(filepath.Join(p.root, path))
	if err != nil {
		return ""
	}
	return clean(string(bytes.TrimRight(data, "\x00")))
}

// first returns the first of paths that holds a value, and that path.
func (p sysfsProbe) first(paths ...string) (string, string) {
	for _, path := range paths {
		if v := p.read(path); v != "" {
			return v, path
		}
	}
	return "", ""
}

// disk is the serial (or WWID) of the disk that holds /, else of the first fixed disk in name
// order; loop, RAM, optical, device-mapper, RAID and removable devices are not disks that stay.
func (p sysfsProbe) disk(context.Context) (string, string) {
	names := p.fixedDisks()
	if d := p.rootDisk(); d != "" {
		names = append([]string{d}, slices.DeleteFunc(names, func(n string) bool { return n == d })...)
	}
	for _, n := range names {
		dir := "/sys/block/" + n
		if v, src := p.first(dir+"/device/serial", dir+"/serial", dir+"/wwid", dir+"/device/wwid"); v != "" {
			return v, src
		}
	}
	return "", ""
}

// fixedDisks lists /sys/block without the devices that are not a fixed disk, sorted.
func (p sysfsProbe) fixedDisks() []string {
	entries, err := os.ReadDir(filepath.Join(p.root, "sys/block"))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if slices.ContainsFunc([]string{"loop", "ram", "zram", "sr", "dm-", "md", "nbd", "fd"}, func(pre string) bool { return strings.HasPrefix(n, pre) }) {
			continue
		}
		if p.read("/sys/block/"+n+"/removable") == "1" {
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// rootDisk names the disk under the file system at / (nvme0n1 for nvme0n1p2, or under LVM and
// LUKS), or "" when / is not on a block device.
func (p sysfsProbe) rootDisk() string {
	if p.rootDev == nil {
		return ""
	}
	major, minor, ok := p.rootDev()
	if !ok || major == 0 { // 0: an anonymous device (overlay, tmpfs, btrfs subvolume)
		return ""
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(p.root, fmt.Sprintf("sys/dev/block/%d:%d", major, minor)))
	if err != nil {
		return ""
	}
	return p.diskOf(dir, 0)
}

// diskOf follows a block device's sysfs folder down to its disk: a partition's parent, a
// device-mapper or RAID device's first member.
func (p sysfsProbe) diskOf(dir string, depth int) string {
	if _, err := os.Stat(filepath.Join(dir, "partition")); err == nil {
		return filepath.Base(filepath.Dir(dir))
	}
	slaves, err := os.ReadDir(filepath.Join(dir, "slaves"))
	if err != nil || len(slaves) == 0 || depth > 8 {
		return filepath.Base(dir)
	}
	next, err := filepath.EvalSymlinks(filepath.Join(dir, "slaves", slaves[0].Name())) // ReadDir sorts by name
	if err != nil {
		return ""
	}
	return p.diskOf(next, depth+1)
}

// board is the board's vendor and model, else the system's, else the device tree's serial
// number (ARM boards). These identify a model rather than one board, as on Windows: the serials
// would tie the fingerprint to who reads it.
func (p sysfsProbe) board(context.Context) (string, string) {
	const dmi = "/sys/class/dmi/id/"
	for _, pair := range [][2]string{{"board_vendor", "board_name"}, {"sys_vendor", "product_name"}} {
		if name := p.read(dmi + pair[1]); name != "" {
			return strings.TrimSpace(p.read(dmi+pair[0]) + " " + name), dmi + pair[0] + " and " + pair[1]
		}
	}
	return p.first("/proc/device-tree/serial-number", "/sys/firmware/devicetree/base/serial-number")
}

// cpu is the processor's model as /proc/cpuinfo names it: "model name" on x86, an implementer
// and part number on 64-bit ARM; other architectures have their own keys. Flags and clock speed
// are left out: they change with the kernel and the load.
func (p sysfsProbe) cpu(context.Context) (string, string) {
	const path = "/proc/cpuinfo"
	f, err := os.Open(filepath.Join(p.root, path))
	if err != nil {
		return "", ""
	}
	defer f.Close()
	fields := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024) // x86 flags lines are long
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		k, v = strings.TrimSpace(k), clean(v)
		if ok && v != "" && fields[k] == "" {
			fields[k] = v
		}
	}
	for _, k := range []string{"model name", "cpu model", "Processor", "cpu", "uarch"} {
		if v := fields[k]; v != "" {
			return v, path + " (" + k + ")"
		}
	}
	if impl, part := fields["CPU implementer"], fields["CPU part"]; impl != "" && part != "" {
		return "implementer " + impl + " part " + part, path + " (CPU implementer and part)"
	}
	return "", ""
}

// machineID is systemd's (or D-Bus's) id of this installation.
func (p sysfsProbe) machineID(context.Context) (string, string) {
	return p.first("/etc/machine-id", "/var/lib/dbus/machine-id")
}
