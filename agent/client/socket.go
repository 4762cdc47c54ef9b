package client

import (
	"os"
	"path/filepath"
	"runtime"
)

// Mode is how the agent runs: as a system service, or as the user (iscdesk-agent run --user).
type Mode string

const (
	SystemMode Mode = "system"
	UserMode   Mode = "user"
)

// EnvSocket overrides the socket that DefaultSocket finds.
const EnvSocket = "ISCDESK_SOCKET"

// SocketPath is where the agent of mode listens on this machine by default (as agent/config has it).
func SocketPath(mode Mode) string {
	home, _ := os.UserHomeDir()
	return socketPath(runtime.GOOS, mode, os.Getenv, home)
}

// DefaultSocket is the socket the CLI and the GUI call: $ISCDESK_SOCKET if set; else the
// system agent's socket if it exists; else the user agent's if that exists; else the system
// agent's (whose absence the first call then reports).
func DefaultSocket() string {
	if s := os.Getenv(EnvSocket); s != "" {
		return s
	}
	home, _ := os.UserHomeDir()
	return defaultSocket(runtime.GOOS, os.Getenv, home, exists)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func defaultSocket(goos string, getenv func(string) string, home string, exists func(string) bool) string {
	system := socketPath(goos, SystemMode, getenv, home)
	if goos == "windows" {
		return system // looking at a pipe takes one of its instances: do not probe
	}
	if exists(system) {
		return system
	}
	if user := socketPath(goos, UserMode, getenv, home); exists(user) {
		return user
	}
	return system
}

func socketPath(goos string, mode Mode, getenv func(string) string, home string) string {
	get := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	join := filepath.Join
	if goos == "windows" {
		if mode == UserMode {
			// Pipe names are machine-wide: the user name keeps two users' agents apart.
			return `\\.\pipe\iscdesk-agent-` + get("USERNAME", "user")
		}
		return `\\.\pipe\iscdesk-agent`
	}
	switch {
	case goos == "darwin" && mode == UserMode:
		return join(home, "Library", "Application Support", "ISCDesk", "agent.sock")
	case goos == "darwin":
		return "/var/run/iscdesk/agent.sock"
	case mode == UserMode:
		if run := getenv("XDG_RUNTIME_DIR"); run != "" {
			return join(run, "iscdesk", "agent.sock")
		}
		return join(get("XDG_STATE_HOME", join(home, ".local", "state")), "iscdesk", "agent.sock")
	default:
		return "/run/iscdesk/agent.sock"
	}
}
