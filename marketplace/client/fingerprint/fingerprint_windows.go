package fingerprint

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

func newProbe() probe {
	root := filepath.VolumeName(os.Getenv("SystemRoot")) + `\`
	if root == `\` {
		root = `C:\`
	}
	return winProbe{regString: regString, systemVolume: root, volumeSerial: volumeSerial}
}

// regString reads a string value under HKEY_LOCAL_MACHINE, from the 64-bit view also in a
// 32-bit process (MachineGuid is not in the 32-bit one).
func regString(path, name string) string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|registry.WOW64_64KEY)
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

func volumeSerial(root string) (uint32, error) {
	p, err := windows.UTF16PtrFromString(root)
	if err != nil {
		return 0, err
	}
	var serial uint32
	if err := windows.GetVolumeInformation(p, nil, 0, &serial, nil, nil, nil, 0); err != nil {
		return 0, err
	}
	return serial, nil
}
