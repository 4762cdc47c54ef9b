package gui

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func newHardwareProbe() hardwareProbe { return sysfsProbe{root: "/"} }

// sysfsProbe reads /sys and /proc under root (a temp folder in tests). DMI serials are readable
// by root only; a desktop user gets the model names instead, which the dialog shows as they are.
type sysfsProbe struct{ root string }

func (p sysfsProbe) read(path string) string {
	data, err := os.ReadFile(filepath.Join(p.root, path))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(bytes.TrimRight(data, "\x00")))
}

// first returns the first of paths that holds something other than a placeholder.
func (p sysfsProbe) first(paths ...string) string {
	for _, path := range paths {
		if v := p.read(path); cleanPart(v) != unknownPart {
			return v
		}
	}
	return ""
}

// diskID is the serial or WWID of the first real disk, in name order (sda before sdb, nvme0n1
// before nvme1n1); loop, RAM, optical and device-mapper devices are not disks that stay.
func (p sysfsProbe) diskID(context.Context) string {
	entries, err := os.ReadDir(filepath.Join(p.root, "sys/block"))
	if err != nil {
		return ""
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		n := e.Name()
		if slices.ContainsFunc([]string{"loop", "ram", "zram", "sr", "dm-", "md", "nbd", "fd"}, func(pre string) bool { return strings.HasPrefix(n, pre) }) {
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		dir := filepath.Join("sys/block", n)
		if v := p.first(filepath.Join(dir, "device/serial"), filepath.Join(dir, "serial"), filepath.Join(dir, "wwid"), filepath.Join(dir, "device/wwid")); v != "" {
			return v
		}
	}
	return ""
}

// boardID is the board's serial, else the machine's UUID, else vendor and model, else the
// device tree's serial number (ARM boards).
func (p sysfsProbe) boardID(context.Context) string {
	if v := p.first("sys/class/dmi/id/board_serial", "sys/class/dmi/id/product_uuid", "sys/class/dmi/id/product_serial"); v != "" {
		return v
	}
	vendor, name := p.read("sys/class/dmi/id/board_vendor"), p.read("sys/class/dmi/id/board_name")
	if cleanPart(name) != unknownPart {
		return strings.TrimSpace(vendor + " " + name)
	}
	return p.first("proc/device-tree/serial-number", "sys/firmware/devicetree/base/serial-number")
}

// cpuID is the CPU's model name from /proc/cpuinfo, with its serial where the CPU has one (ARM).
func (p sysfsProbe) cpuID(context.Context) string {
	f, err := os.Open(filepath.Join(p.root, "proc/cpuinfo"))
	if err != nil {
		return ""
	}
	defer f.Close()
	fields := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if ok && v != "" && fields[k] == "" {
			fields[k] = v
		}
	}
	model := cmp.Or(fields["model name"], fields["Model"], fields["Hardware"], fields["cpu model"], fields["cpu"])
	if serial := fields["Serial"]; cleanPart(serial) != unknownPart && strings.Trim(serial, "0") != "" {
		return strings.TrimSpace(model + " " + serial)
	}
	return model
}
