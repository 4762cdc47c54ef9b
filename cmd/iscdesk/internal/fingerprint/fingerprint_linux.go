package fingerprint

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// diskID is the id of the first disk in /dev/disk/by-id (its model and serial, as udev names
// it), else the first serial in /sys/block.
func (m Machine) diskID() (string, string) {
	byID := m.path("/dev/disk/by-id")
	if entries, err := os.ReadDir(byID); err == nil {
		var names []string
		for _, e := range entries {
			n := e.Name()
			if strings.Contains(n, "-part") {
				continue // a partition of a disk listed anyway
			}
			for _, prefix := range []string{"nvme-", "ata-", "scsi-", "virtio-", "mmc-", "usb-"} {
				if strings.HasPrefix(n, prefix) && !strings.HasPrefix(n, "nvme-eui.") {
					names = append(names, n)
					break
				}
			}
		}
		if len(names) > 0 {
			slices.Sort(names)
			return names[0], "/dev/disk/by-id/" + names[0]
		}
	}
	blocks, err := os.ReadDir(m.path("/sys/block"))
	if err != nil {
		return "", ""
	}
	for _, b := range blocks { // sorted by name
		n := b.Name()
		if strings.HasPrefix(n, "loop") || strings.HasPrefix(n, "ram") || strings.HasPrefix(n, "zram") || strings.HasPrefix(n, "dm-") {
			continue
		}
		for _, p := range []string{filepath.Join("/sys/block", n, "device", "serial"), filepath.Join("/sys/block", n, "serial")} {
			if v := m.readValue(p); v != "" {
				return v, p
			}
		}
	}
	return "", ""
}

// boardID is the main board's serial, else the machine's UUID (both need root to read).
func (m Machine) boardID() (string, string) {
	for _, p := range []string{"/sys/class/dmi/id/board_serial", "/sys/class/dmi/id/product_uuid"} {
		if v := m.readValue(p); v != "" {
			return v, p
		}
	}
	return "", ""
}

// cpuID is a hash of the first processor's model and feature flags in /proc/cpuinfo: x86 calls
// them "model name" and "flags", ARM "CPU implementer", "CPU part" and "Features".
func (m Machine) cpuID() (string, string) {
	f, err := os.Open(m.path("/proc/cpuinfo"))
	if err != nil {
		return "", ""
	}
	defer f.Close()
	keys := map[string]bool{"model name": true, "flags": true, "cpu implementer": true, "cpu part": true, "features": true, "cpu model": true, "isa": true}
	var parts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			if len(parts) > 0 {
				break // the first processor's block is enough
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && keys[strings.ToLower(strings.TrimSpace(k))] {
			parts = append(parts, strings.ToLower(strings.TrimSpace(k))+"="+strings.TrimSpace(v))
		}
	}
	if len(parts) == 0 {
		return "", ""
	}
	return hashed("cpu", strings.Join(parts, "\n")), "hash of /proc/cpuinfo (model and flags)"
}
