package agent

import (
	"fmt"
	"os"
	"path/filepath"
)

// defaultEnv sets license variables in /etc/profile.d, read by every login shell (system mode), or
// in the user's environment.d, read by systemd's user manager and so by the desktop (user mode).
func defaultEnv(mode string) EnvSetter {
	if mode == ModeUser {
		dir, err := os.UserConfigDir()
		if err != nil {
			return noEnv{why: fmt.Sprintf("the user's config folder is unknown (%v), so environment.d cannot be written", err)}
		}
		return fileEnv{dir: filepath.Join(dir, "environment.d"), syntax: systemdSyntax}
	}
	return fileEnv{dir: "/etc/profile.d", syntax: shellSyntax}
}
