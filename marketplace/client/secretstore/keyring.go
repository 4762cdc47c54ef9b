package secretstore

import (
	"errors"
	"fmt"

	"github.com/zalando/go-keyring"
)

// Keyring stores secrets in the OS keyring: the Secret Service over D-Bus on Linux, the Keychain on
// macOS, the Credential Manager on Windows (whose limit is 2560 bytes a secret).
type Keyring struct {
	Service string
}

// Get implements Store.
func (k Keyring) Get(name string) (string, error) {
	s, err := keyring.Get(k.Service, name)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("%q in the OS keyring: %w", name, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("reading %q from the OS keyring: %w", name, err)
	}
	return s, nil
}

// Set implements Store.
func (k Keyring) Set(name, secret string) error {
	if err := keyring.Set(k.Service, name, secret); err != nil {
		return fmt.Errorf("writing %q to the OS keyring: %w", name, err)
	}
	return nil
}

// Delete implements Store.
func (k Keyring) Delete(name string) error {
	err := keyring.Delete(k.Service, name)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("deleting %q from the OS keyring: %w", name, err)
	}
	return nil
}
