//go:build !linux

package fingerprint

// On Windows and macOS this package reads only the MAC address; the other parts come from the
// fallbacks (the host name). Reading the disk, board and CPU ids there (WMI, IOKit) is left to a
// later version.

func (m Machine) diskID() (string, string)  { return "", "" }
func (m Machine) boardID() (string, string) { return "", "" }
func (m Machine) cpuID() (string, string)   { return "", "" }
