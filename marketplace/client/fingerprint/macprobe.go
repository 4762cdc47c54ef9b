package fingerprint

import (
	"context"
	"strings"
	"time"
)

// toolTimeout bounds each tool run, so that a hung tool cannot hang an Apply dialog or a CLI
// command whose context has no deadline.
const toolTimeout = 15 * time.Second

// macProbe asks the tools every Mac has: ioreg for the serial number and the platform UUID,
// diskutil for the startup volume, sysctl for the CPU. The runs go through run and sysctl so
// that the parsing is tested on any OS with recorded outputs.
type macProbe struct {
	// run runs a tool and returns its standard output.
	run func(ctx context.Context, name string, args ...string) ([]byte, error)
	// sysctl reads a string sysctl.
	sysctl func(name string) (string, error)
}

// toolField runs a tool and returns the value of key in its output (see valueAfter).
func (p macProbe) toolField(ctx context.Context, key, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	out, err := p.run(ctx, name, args...)
	if err != nil {
		return ""
	}
	return valueAfter(string(out), key)
}

func (p macProbe) disk(ctx context.Context) (string, string) {
	return p.toolField(ctx, "Volume UUID", "diskutil", "info", "/"), "diskutil info / (Volume UUID)"
}

func (p macProbe) board(ctx context.Context) (string, string) {
	return p.toolField(ctx, `"IOPlatformSerialNumber"`, "ioreg", "-rd1", "-c", "IOPlatformExpertDevice"), "ioreg IOPlatformSerialNumber"
}

func (p macProbe) cpu(context.Context) (string, string) {
	v, err := p.sysctl("machdep.cpu.brand_string")
	if err != nil {
		return "", ""
	}
	return v, "sysctl machdep.cpu.brand_string"
}

func (p macProbe) machineID(ctx context.Context) (string, string) {
	return p.toolField(ctx, `"IOPlatformUUID"`, "ioreg", "-rd1", "-c", "IOPlatformExpertDevice"), "ioreg IOPlatformUUID"
}

// valueAfter finds the first line of a tool's output that starts with key and returns what
// follows, without the ":" or "=" and quotes: `Volume UUID:   AB-12` and `"IOPlatformSerialNumber" = "C02X"`.
func valueAfter(text, key string) string {
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), key)
		if !ok {
			continue
		}
		rest = strings.TrimLeft(strings.TrimSpace(rest), ":=")
		return strings.Trim(strings.TrimSpace(rest), `"`)
	}
	return ""
}
