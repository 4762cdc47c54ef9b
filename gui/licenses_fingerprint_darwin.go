package gui

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"
)

func newHardwareProbe() hardwareProbe { return macProbe{} }

// macProbe asks the tools every Mac has: ioreg for the serial number, diskutil for the startup
// volume, sysctl for the CPU.
type macProbe struct{}

// toolField runs name with args and returns the value after the first line that starts with key.
func toolField(ctx context.Context, key string, name string, args ...string) string {
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, key); ok {
			return strings.Trim(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(rest), ":=")), `"`)
		}
	}
	return ""
}

func (macProbe) diskID(ctx context.Context) string {
	return toolField(ctx, "Volume UUID", "diskutil", "info", "/")
}

func (macProbe) boardID(ctx context.Context) string {
	return toolField(ctx, `"IOPlatformSerialNumber"`, "ioreg", "-rd1", "-c", "IOPlatformExpertDevice")
}

func (macProbe) cpuID(context.Context) string {
	v, err := unix.Sysctl("machdep.cpu.brand_string")
	if err != nil {
		return ""
	}
	return v
}
