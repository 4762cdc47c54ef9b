// Package config reads, checks and writes the agent's configuration (agent.yaml).
//
// Values come in layers, each overriding the one before: the defaults for the OS and the mode,
// the YAML file, the ISCDESK_* environment variables, then command-line flags (Overrides). A list
// from a later layer replaces the earlier list. The file is read strictly: an unknown key, a
// duplicate key or a wrong type is an error that names the file and the line.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/iscdesk/iscdesk/installer/ticket"
)

// Mode says whose agent this is.
type Mode string

const (
	// ModeSystem is the service, run by the OS service manager as root or SYSTEM.
	ModeSystem Mode = "system"
	// ModeUser runs as an ordinary user, with state and installs under the user's folders.
	ModeUser Mode = "user"
)

// DefaultInstallGroup is the group whose members may install and uninstall in system mode.
const DefaultInstallGroup = "iscdesk"

// maxDownloads bounds parallel downloads; more only splits the same bandwidth.
const maxDownloads = 16

// Config is the agent's configuration. The YAML keys are the documented names (docs/it-deployment.md).
type Config struct {
	Mode           Mode     `yaml:"mode" json:"mode"`
	StateDir       string   `yaml:"state_dir" json:"state_dir"`
	InstallRoot    string   `yaml:"install_root" json:"install_root"`
	Socket         string   `yaml:"socket" json:"socket"`
	InstallGroup   string   `yaml:"install_group" json:"install_group"`
	Downloads      int      `yaml:"downloads" json:"downloads"`
	CacheDir       string   `yaml:"cache_dir" json:"cache_dir"`
	CacheCap       Size     `yaml:"cache_cap" json:"cache_cap"`
	TrustedKeys    []string `yaml:"trusted_keys" json:"trusted_keys"`
	MarketplaceURL string   `yaml:"marketplace_url" json:"marketplace_url"`
	Log            Log      `yaml:"log" json:"log"`
	Update         Update   `yaml:"update" json:"update"`

	// Path is the file the config was read from; empty when no file existed.
	Path string `yaml:"-" json:"-"`

	// goos is the OS the defaults were made for; derived records which of Socket and Log.File
	// were derived from StateDir, so that a --state-dir flag moves them too.
	goos    string
	derived derivedFields
}

type derivedFields struct{ socket, logFile bool }

// Log says where and how much the agent logs.
type Log struct {
	File       string `yaml:"file" json:"file"`
	Level      string `yaml:"level" json:"level"` // debug, info, warn, error
	MaxSizeMB  int    `yaml:"max_size_mb" json:"max_size_mb"`
	MaxBackups int    `yaml:"max_backups" json:"max_backups"`
	MaxAgeDays int    `yaml:"max_age_days" json:"max_age_days"`
}

// Overrides are the command-line flags; a nil or empty field leaves the value as it was.
type Overrides struct {
	StateDir    string
	InstallRoot string
	Socket      string
	TrustedKeys []string
}

// Environment variables read by Load, in the order of the docs.
const (
	EnvStateDir       = "ISCDESK_STATE_DIR"
	EnvInstallRoot    = "ISCDESK_INSTALL_ROOT"
	EnvSocket         = "ISCDESK_SOCKET"
	EnvInstallGroup   = "ISCDESK_INSTALL_GROUP"
	EnvTrustedKeys    = "ISCDESK_TRUSTED_KEYS"
	EnvMarketplaceURL = "ISCDESK_MARKETPLACE_URL"
	EnvLogLevel       = "ISCDESK_LOG_LEVEL"
)

// Load builds the configuration for mode ("" means the file's mode, else system) from the
// defaults, the file at path and the environment, and checks it. An empty path means the
// default path for the mode (DefaultPath), which may be missing; a path that was named must exist.
// Apply the flags with Apply, which checks again.
func Load(path string, mode Mode) (*Config, error) {
	return load(runtime.GOOS, path, mode, os.LookupEnv, os.ReadFile)
}

func load(goos, path string, mode Mode, env LookupEnv, readFile func(string) ([]byte, error)) (*Config, error) {
	named := path != ""
	if !named {
		m := mode
		if m == "" {
			m = ModeSystem
		}
		p, err := DefaultPath(goos, m, env)
		if err != nil {
			return nil, err
		}
		path = p
	}
	data, err := readFile(path)
	switch {
	case err == nil:
	case errors.Is(err, os.ErrNotExist) && !named:
		data, path = nil, "" // no file: defaults and environment only
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("reading the agent config %s: the file does not exist; create it (see docs/it-deployment.md) or leave out --config", path)
	default:
		return nil, fmt.Errorf("reading the agent config %s: %w", path, err)
	}

	doc, err := parseYAML(path, data)
	if err != nil {
		return nil, err
	}
	if mode == "" {
		mode = ModeSystem
		if m := fileMode(doc); m != "" {
			mode = Mode(m)
		}
	}
	c, err := Defaults(goos, mode, env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", displayPath(path), err)
	}
	if err := decodeInto(path, doc, c); err != nil {
		return nil, err
	}
	// The mode the caller asked for wins over the file's (a flag beats the file).
	c.Mode = mode
	c.applyEnv(env)
	c.Path = path
	c.fillDerived(goos)
	if err := c.validate(goos); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) applyEnv(env LookupEnv) {
	for _, v := range []struct {
		key string
		dst *string
	}{
		{EnvStateDir, &c.StateDir},
		{EnvInstallRoot, &c.InstallRoot},
		{EnvSocket, &c.Socket},
		{EnvInstallGroup, &c.InstallGroup},
		{EnvMarketplaceURL, &c.MarketplaceURL},
		{EnvLogLevel, &c.Log.Level},
	} {
		if s, ok := env(v.key); ok && s != "" {
			*v.dst = s
		}
	}
	if s, ok := env(EnvTrustedKeys); ok && strings.TrimSpace(s) != "" {
		c.TrustedKeys = SplitKeyLines(s)
	}
}

// SplitKeyLines splits the value of ISCDESK_TRUSTED_KEYS: key lines separated by newlines or ';'.
func SplitKeyLines(s string) []string {
	var keys []string
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ';' }) {
		if line = strings.TrimSpace(line); line != "" {
			keys = append(keys, line)
		}
	}
	return keys
}

// Apply sets the flags over the loaded configuration and checks the result.
func (c *Config) Apply(o Overrides) error {
	for _, v := range []struct{ src, dst *string }{
		{&o.StateDir, &c.StateDir}, {&o.InstallRoot, &c.InstallRoot}, {&o.Socket, &c.Socket},
	} {
		if *v.src != "" {
			*v.dst = *v.src
		}
	}
	if len(o.TrustedKeys) > 0 {
		c.TrustedKeys = append([]string(nil), o.TrustedKeys...)
	}
	if o.Socket != "" {
		c.derived.socket = false
	}
	c.fillDerived(c.goos)
	return c.Validate()
}

// Validate checks every field and says, for the first bad one, what to write instead.
func (c *Config) Validate() error {
	goos := c.goos
	if goos == "" {
		goos = runtime.GOOS
	}
	return c.validate(goos)
}

func (c *Config) validate(goos string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.Mode != ModeSystem && c.Mode != ModeUser {
		bad("mode", "%q is not known; use %q or %q", c.Mode, ModeSystem, ModeUser)
	}
	for _, d := range []struct{ key, val string }{
		{"state_dir", c.StateDir}, {"install_root", c.InstallRoot}, {"cache_dir", c.CacheDir}, {"log.file", c.Log.File},
	} {
		if !isAbs(goos, d.val) {
			bad(d.key, "%q is not an absolute path; write the full path", d.val)
		}
	}
	if err := checkSocket(goos, c.Socket); err != nil {
		bad("socket", "%v", err)
	}
	if c.Mode == ModeSystem && strings.TrimSpace(c.InstallGroup) == "" {
		bad("install_group", "is empty; name the group whose members may install (default %q)", DefaultInstallGroup)
	}
	if strings.ContainsFunc(c.InstallGroup, func(r rune) bool { return r < ' ' }) {
		bad("install_group", "%q holds control characters", c.InstallGroup)
	}
	if c.Downloads < 1 || c.Downloads > maxDownloads {
		bad("downloads", "%d is out of range; use 1 to %d", c.Downloads, maxDownloads)
	}
	if c.CacheCap < 0 {
		bad("cache_cap", "%d is negative; use 0 to keep no packages, or a size such as 10GiB", c.CacheCap)
	}
	if _, err := c.PublicKeys(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Update.validate()...)
	if c.MarketplaceURL != "" {
		if u, err := url.Parse(c.MarketplaceURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("marketplace_url", "%q is not an http or https URL, e.g. https://market.example.com", c.MarketplaceURL)
		}
	}
	if _, err := ParseLevel(c.Log.Level); err != nil {
		bad("log.level", "%v", err)
	}
	if c.Log.MaxSizeMB < 1 {
		bad("log.max_size_mb", "%d must be at least 1", c.Log.MaxSizeMB)
	}
	if c.Log.MaxBackups < 0 {
		bad("log.max_backups", "%d is negative; use 0 to keep all old logs", c.Log.MaxBackups)
	}
	if c.Log.MaxAgeDays < 0 {
		bad("log.max_age_days", "%d is negative; use 0 to keep old logs regardless of age", c.Log.MaxAgeDays)
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("the agent config %s is not valid: %w", displayPath(c.Path), errs[0])
	}
	// One problem a line, so that all of them can be fixed in one go.
	return fmt.Errorf("the agent config %s is not valid:\n  %w", displayPath(c.Path), indentJoin(errs))
}

// PublicKeys parses TrustedKeys. Several keys are allowed so that a key can be rotated.
func (c *Config) PublicKeys() ([]ticket.PublicKey, error) {
	keys := make([]ticket.PublicKey, 0, len(c.TrustedKeys))
	seen := map[string]int{}
	for i, line := range c.TrustedKeys {
		k, err := ticket.ParsePublicKey([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("trusted_keys[%d]: %w", i, err)
		}
		if j, dup := seen[k.ID]; dup {
			return nil, fmt.Errorf("trusted_keys[%d]: key %s is already listed as trusted_keys[%d]; remove one", i, k.ID, j)
		}
		seen[k.ID] = i
		keys = append(keys, k)
	}
	return keys, nil
}

// ParseLevel reads a log level: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not a log level; use debug, info, warn or error", s)
}

// maxSocketPath is the room in sockaddr_un.sun_path (104 on darwin, 108 on linux) less the NUL.
const maxSocketPath = 103

func checkSocket(goos, s string) error {
	if goos == "windows" {
		if !strings.HasPrefix(s, `\\.\pipe\`) || len(s) <= len(`\\.\pipe\`) {
			return fmt.Errorf("%q is not a named pipe; write \\\\.\\pipe\\NAME", s)
		}
		return nil
	}
	if !isAbs(goos, s) {
		return fmt.Errorf("%q is not an absolute path; write the full path of the socket", s)
	}
	if len(s) > maxSocketPath {
		return fmt.Errorf("%q is %d bytes long; unix sockets allow %d, choose a shorter path", s, len(s), maxSocketPath)
	}
	return nil
}

func isAbs(goos, p string) bool {
	if goos == runtime.GOOS {
		return filepath.IsAbs(p)
	}
	if goos == "windows" {
		return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
	}
	return strings.HasPrefix(p, "/")
}

func displayPath(p string) string {
	if p == "" {
		return "(defaults and environment, no file)"
	}
	return p
}

// indentJoin joins errs one a line, indented, keeping them for errors.Is and errors.As.
func indentJoin(errs []error) error {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Error()
	}
	return &joined{msg: strings.Join(parts, "\n  "), errs: errs}
}

type joined struct {
	msg  string
	errs []error
}

func (j *joined) Error() string   { return j.msg }
func (j *joined) Unwrap() []error { return j.errs }
