// Package secretstore keeps the small secrets of the signed-in user (marketplace sessions) in the OS
// keyring, and in a 0600 file in the user's config folder when there is no keyring to use: a
// headless Linux machine without a Secret Service, a container, a CI runner.
package secretstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNotFound is returned by Get when no secret has the name.
var ErrNotFound = errors.New("secret not found")

// Store holds secrets by name.
type Store interface {
	// Get returns the secret stored under name, or an error wrapping ErrNotFound.
	Get(name string) (string, error)
	// Set stores secret under name, replacing any previous one.
	Set(name, secret string) error
	// Delete removes the secret; removing a missing secret is not an error.
	Delete(name string) error
}

// Service is the keyring service under which ISCDesk stores its secrets.
const Service = "iscdesk"

// DefaultPath is the fallback file: iscdesk/session.json in the user's config folder
// (~/.config on Linux, ~/Library/Application Support on macOS, %AppData% on Windows).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the user config folder for the session file: %w; set HOME (or XDG_CONFIG_HOME)", err)
	}
	return filepath.Join(dir, "iscdesk", "session.json"), nil
}

// Default is the OS keyring, falling back to the file at DefaultPath.
func Default() (Store, error) {
	path, err := DefaultPath()
	if err != nil {
		return nil, err
	}
	return &Fallback{Primary: Keyring{Service: Service}, Secondary: NewFile(path)}, nil
}
