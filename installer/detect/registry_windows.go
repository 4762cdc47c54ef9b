//go:build windows

package detect

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

const uninstallPath = `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`

func newRegistryReader() RegistryReader { return windowsRegistry{} }

// windowsRegistry reads the Uninstall keys of HKLM (64- and 32-bit views) and HKCU.
type windowsRegistry struct{}

func (windowsRegistry) UninstallEntries() ([]UninstallEntry, error) {
	views := []struct {
		root   registry.Key
		access uint32
		name   string
	}{
		{registry.LOCAL_MACHINE, registry.WOW64_64KEY, "64"},
		{registry.LOCAL_MACHINE, registry.WOW64_32KEY, "32"},
		{registry.CURRENT_USER, 0, "user"},
	}
	var all []UninstallEntry
	for _, v := range views {
		entries, err := readUninstallKey(v.root, v.access, v.name)
		if err != nil {
			return nil, err
		}
		all = append(all, entries...)
	}
	return all, nil
}

// readUninstallKey lists one view's entries; a view without an Uninstall key has none.
func readUninstallKey(root registry.Key, access uint32, view string) ([]UninstallEntry, error) {
	k, err := registry.OpenKey(root, uninstallPath, registry.ENUMERATE_SUB_KEYS|registry.QUERY_VALUE|access)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open Uninstall key (%s view): %w", view, err)
	}
	defer k.Close()
	names, err := k.ReadSubKeyNames(-1)
	if err != nil {
		return nil, fmt.Errorf("list Uninstall key (%s view): %w", view, err)
	}
	entries := make([]UninstallEntry, 0, len(names))
	for _, name := range names {
		sub, err := registry.OpenKey(k, name, registry.QUERY_VALUE|access)
		if err != nil {
			continue // removed while we listed, or not readable: not an installed product we can see
		}
		str := func(value string) string {
			s, _, _ := sub.GetStringValue(value)
			return s
		}
		sys, _, _ := sub.GetIntegerValue("SystemComponent")
		entries = append(entries, UninstallEntry{
			Key:                  name,
			ProductCode:          productCodeOfKey(name),
			DisplayName:          str("DisplayName"),
			DisplayVersion:       str("DisplayVersion"),
			Publisher:            str("Publisher"),
			UninstallString:      str("UninstallString"),
			QuietUninstallString: str("QuietUninstallString"),
			InstallLocation:      str("InstallLocation"),
			SystemComponent:      sys == 1,
			View:                 view,
		})
		sub.Close()
	}
	return entries, nil
}
