package gui

import (
	"context"
	"os/exec"

	"golang.org/x/sys/unix"
)

func newHardwareProbe() hardwareProbe { return macProbe{} }

// macProbe asks the tools every Mac has: ioreg for the serial number, diskutil for the startup
// volume, sysctl for the CPU.
type macProbe struct{}

// toolField runs name with args and returns the value of key in its output (see valueAfter).
func toolField(ctx context.Context, key string, name string, args ...string) string {
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	return valueAfter(string(out), key)
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
