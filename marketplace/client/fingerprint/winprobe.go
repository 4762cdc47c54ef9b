package fingerprint

import (
	"context"
	"fmt"
	"strings"
)

// Registry places the Windows probe reads, under HKEY_LOCAL_MACHINE; every user may read them.
const (
	biosKey = `HARDWARE\DESCRIPTION\System\BIOS`
	cpuKey  = `HARDWARE\DESCRIPTION\System\CentralProcessor\0`
	guidKey = `SOFTWARE\Microsoft\Cryptography`
)

// winProbe reads what Windows keeps in the registry and the volume table. The board's serial
// number is only in WMI, a PowerShell round trip away, so its vendor and model stand in. The
// system calls go through regString and volumeSerial so that the logic is tested on any OS.
type winProbe struct {
	// regString reads a string value under HKEY_LOCAL_MACHINE; "" when it is missing.
	regString func(path, name string) string
	// systemVolume is the root of the volume Windows runs from, e.g. `C:\`.
	systemVolume string
	// volumeSerial reads the serial number of the volume at root.
	volumeSerial func(root string) (uint32, error)
}

// disk is the serial number of the system volume, as `vol` prints it.
func (p winProbe) disk(context.Context) (string, string) {
	serial, err := p.volumeSerial(p.systemVolume)
	if err != nil || serial == 0 {
		return "", ""
	}
	return formatVolumeSerial(serial), "serial number of volume " + p.systemVolume
}

// formatVolumeSerial writes a volume serial number as Windows does: 1A2B-3C4D.
func formatVolumeSerial(serial uint32) string {
	return fmt.Sprintf("%04X-%04X", serial>>16, serial&0xFFFF)
}

func (p winProbe) board(context.Context) (string, string) {
	v := strings.TrimSpace(p.regString(biosKey, "BaseBoardManufacturer") + " " + p.regString(biosKey, "BaseBoardProduct"))
	return v, `HKLM\` + biosKey + ` (BaseBoardManufacturer and BaseBoardProduct)`
}

func (p winProbe) cpu(context.Context) (string, string) {
	return p.regString(cpuKey, "ProcessorNameString"), `HKLM\` + cpuKey + ` (ProcessorNameString)`
}

func (p winProbe) machineID(context.Context) (string, string) {
	return p.regString(guidKey, "MachineGuid"), `HKLM\` + guidKey + ` (MachineGuid)`
}
