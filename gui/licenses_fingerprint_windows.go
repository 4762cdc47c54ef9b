package gui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

func newHardwareProbe() hardwareProbe { return registryProbe{} }

// registryProbe reads what Windows keeps in the registry and the volume table; the board's
// serial number is only in WMI, which needs a PowerShell round trip, so vendor and model stand in.
type registryProbe struct{}

func regString(path, name string) string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE)
	if err != nil {
		return ""
	}
	defer k.Close()
	v, _, err := k.GetStringValue(name)
	if err != nil {
		return ""
	}
	return v
}

// diskID is the serial number of the system volume (C:), as `vol` prints it.
func (registryProbe) diskID(context.Context) string {
	root := filepath.VolumeName(os.Getenv("SystemRoot")) + `\`
	if root == `\` {
		root = `C:\`
	}
	p, err := windows.UTF16PtrFromString(root)
	if err != nil {
		return ""
	}
	var serial uint32
	if err := windows.GetVolumeInformation(p, nil, 0, &serial, nil, nil, nil, 0); err != nil {
		return ""
	}
	return fmt.Sprintf("%04X-%04X", serial>>16, serial&0xFFFF)
}

func (registryProbe) boardID(context.Context) string {
	const bios = `HARDWARE\DESCRIPTION\System\BIOS`
	return strings.TrimSpace(regString(bios, "BaseBoardManufacturer") + " " + regString(bios, "BaseBoardProduct"))
}

func (registryProbe) cpuID(context.Context) string {
	return regString(`HARDWARE\DESCRIPTION\System\CentralProcessor\0`, "ProcessorNameString")
}
