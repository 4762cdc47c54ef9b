package config

import (
	"fmt"
	"path"
	"runtime"
	"strings"
)

// LookupEnv reads one environment variable; os.LookupEnv in production, a map in tests.
type LookupEnv func(key string) (string, bool)

// platform joins paths with the separator of the target OS, so that the defaults of every OS can
// be computed (and tested) on any OS.
type platform struct {
	goos string
	env  LookupEnv
}

func (p platform) join(elem ...string) string {
	if p.goos != "windows" {
		return path.Join(elem...)
	}
	// path.Join cleans with '/', so join by hand and keep "C:\" roots intact.
	out := strings.TrimRight(elem[0], `\`)
	for _, e := range elem[1:] {
		out += `\` + strings.Trim(e, `\`)
	}
	return out
}

// get returns the variable, or def when it is unset or empty.
func (p platform) get(key, def string) string {
	if v, ok := p.env(key); ok && v != "" {
		return v
	}
	return def
}

// home is the user's home folder, as os.UserHomeDir finds it.
func (p platform) home() (string, error) {
	key := "HOME"
	if p.goos == "windows" {
		key = "USERPROFILE"
	}
	if h := p.get(key, ""); h != "" {
		return h, nil
	}
	return "", fmt.Errorf("user mode needs the home folder, but $%s is not set; set it or run the agent in system mode", key)
}

// Defaults returns the configuration that applies before any file, variable or flag, for goos and
// mode. Socket and Log.File are left empty where they follow StateDir; Load fills them in last so
// that they move with a StateDir that the file or the environment changed.
func Defaults(goos string, mode Mode, env LookupEnv) (*Config, error) {
	p := platform{goos: goos, env: env}
	c := &Config{
		Mode:         mode,
		InstallGroup: DefaultInstallGroup,
		Downloads:    2,
		CacheCap:     10 * GiB,
		TrustedKeys:  []string{},
		Log:          Log{Level: "info", MaxSizeMB: 20, MaxBackups: 5, MaxAgeDays: 30},
		Update:       DefaultUpdate(),
	}
	switch mode {
	case ModeSystem:
		p.systemDefaults(c)
	case ModeUser:
		if err := p.userDefaults(c); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("mode %q is not known; use %q or %q", mode, ModeSystem, ModeUser)
	}
	return c, nil
}

func (p platform) systemDefaults(c *Config) {
	switch p.goos {
	case "windows":
		data := p.join(p.get("ProgramData", `C:\ProgramData`), "ISCDesk")
		c.StateDir = data
		c.InstallRoot = p.join(p.get("ProgramFiles", `C:\Program Files`), "ISCDesk")
		c.Socket = `\\.\pipe\iscdesk-agent`
		c.CacheDir = p.join(data, "cache")
		c.Log.File = p.join(data, "agent.log") // logs\ holds the job logs
	case "darwin":
		c.StateDir = "/Library/Application Support/ISCDesk"
		c.InstallRoot = "/Applications/ISCDesk"
		c.Socket = "/var/run/iscdesk/agent.sock"
		c.CacheDir = "/Library/Caches/ISCDesk"
		c.Log.File = "/Library/Logs/ISCDesk/agent.log"
	default:
		c.StateDir = "/var/lib/iscdesk"
		c.InstallRoot = "/opt/iscdesk"
		c.Socket = "/run/iscdesk/agent.sock"
		c.CacheDir = "/var/cache/iscdesk"
		c.Log.File = "/var/log/iscdesk/agent.log"
	}
}

func (p platform) userDefaults(c *Config) error {
	home, err := p.home()
	if err != nil {
		return err
	}
	switch p.goos {
	case "windows":
		local := p.get("LOCALAPPDATA", p.join(home, "AppData", "Local"))
		c.StateDir = p.join(local, "ISCDesk", "state")
		c.InstallRoot = p.join(local, "Programs", "ISCDesk")
		// Pipe names are machine-wide: the user name keeps two users' agents apart.
		c.Socket = `\\.\pipe\iscdesk-agent-` + p.get("USERNAME", "user")
		c.CacheDir = p.join(local, "ISCDesk", "cache")
	case "darwin":
		support := p.join(home, "Library", "Application Support", "ISCDesk")
		c.StateDir = support
		c.InstallRoot = p.join(home, "Applications", "ISCDesk")
		c.CacheDir = p.join(home, "Library", "Caches", "ISCDesk")
		c.Log.File = p.join(home, "Library", "Logs", "ISCDesk", "agent.log")
	default:
		c.StateDir = p.join(p.get("XDG_STATE_HOME", p.join(home, ".local", "state")), "iscdesk")
		c.InstallRoot = p.join(p.get("XDG_DATA_HOME", p.join(home, ".local", "share")), "iscdesk", "software")
		c.CacheDir = p.join(p.get("XDG_CACHE_HOME", p.join(home, ".cache")), "iscdesk")
		if run := p.get("XDG_RUNTIME_DIR", ""); run != "" {
			c.Socket = p.join(run, "iscdesk", "agent.sock")
		}
	}
	// No group grants anything in user mode: the socket is the user's own.
	c.InstallGroup = ""
	return nil
}

// DefaultPath is where the agent looks for its config file when no --config is given.
func DefaultPath(goos string, mode Mode, env LookupEnv) (string, error) {
	p := platform{goos: goos, env: env}
	if mode == ModeSystem {
		switch goos {
		case "windows":
			return p.join(p.get("ProgramData", `C:\ProgramData`), "ISCDesk", "agent.yaml"), nil
		case "darwin":
			return "/Library/Application Support/ISCDesk/agent.yaml", nil
		default:
			return "/etc/iscdesk/agent.yaml", nil
		}
	}
	if mode != ModeUser {
		return "", fmt.Errorf("mode %q is not known; use %q or %q", mode, ModeSystem, ModeUser)
	}
	home, err := p.home()
	if err != nil {
		return "", err
	}
	switch goos {
	case "windows":
		return p.join(p.get("APPDATA", p.join(home, "AppData", "Roaming")), "ISCDesk", "agent.yaml"), nil
	case "darwin":
		return p.join(home, "Library", "Application Support", "ISCDesk", "agent.yaml"), nil
	default:
		return p.join(p.get("XDG_CONFIG_HOME", p.join(home, ".config")), "iscdesk", "agent.yaml"), nil
	}
}

// fillDerived sets the defaults that follow StateDir, after every layer was applied, and again
// after flags: a value derived once keeps following StateDir until something sets it.
func (c *Config) fillDerived(goos string) {
	if goos == "" {
		goos = runtime.GOOS // a Config that did not come from Load
	}
	p := platform{goos: goos}
	c.goos = goos
	if c.Socket == "" || c.derived.socket {
		c.Socket = p.join(c.StateDir, "agent.sock")
		c.derived.socket = true
	}
	if c.Log.File == "" || c.derived.logFile {
		// Beside the journal, not in logs/, which holds the engine's job logs.
		c.Log.File = p.join(c.StateDir, "agent.log")
		c.derived.logFile = true
	}
}
