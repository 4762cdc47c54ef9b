//go:build !windows

package detect

// newRegistryReader returns nil: there is no Windows registry here.
func newRegistryReader() RegistryReader { return nil }
