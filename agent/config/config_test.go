package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/ticket"
)

func envOf(m map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func newKeyLine(t *testing.T, comment string) (string, string) {
	t.Helper()
	k, err := ticket.GenerateKey(comment)
	require.NoError(t, err)
	line, err := k.Public().MarshalText()
	require.NoError(t, err)
	return string(line), k.ID()
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.yaml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestDefaults(t *testing.T) {
	home := map[string]string{"HOME": "/home/ann", "USERPROFILE": `C:\Users\ann`, "USERNAME": "ann"}
	tests := []struct {
		goos              string
		mode              Mode
		env               map[string]string
		state, root, sock string
		cache, log, group string
	}{
		{"linux", ModeSystem, nil, "/var/lib/iscdesk", "/opt/iscdesk", "/run/iscdesk/agent.sock", "/var/cache/iscdesk", "/var/log/iscdesk/agent.log", "iscdesk"},
		{"windows", ModeSystem, map[string]string{"ProgramData": `D:\PD`, "ProgramFiles": `D:\PF`},
			`D:\PD\ISCDesk`, `D:\PF\ISCDesk`, `\\.\pipe\iscdesk-agent`, `D:\PD\ISCDesk\cache`, `D:\PD\ISCDesk\agent.log`, "iscdesk"},
		{"windows", ModeSystem, nil,
			`C:\ProgramData\ISCDesk`, `C:\Program Files\ISCDesk`, `\\.\pipe\iscdesk-agent`, `C:\ProgramData\ISCDesk\cache`, `C:\ProgramData\ISCDesk\agent.log`, "iscdesk"},
		{"darwin", ModeSystem, nil, "/Library/Application Support/ISCDesk", "/Applications/ISCDesk", "/var/run/iscdesk/agent.sock", "/Library/Caches/ISCDesk", "/Library/Logs/ISCDesk/agent.log", "iscdesk"},
		{"linux", ModeUser, home,
			"/home/ann/.local/state/iscdesk", "/home/ann/.local/share/iscdesk/software", "/home/ann/.local/state/iscdesk/agent.sock",
			"/home/ann/.cache/iscdesk", "/home/ann/.local/state/iscdesk/agent.log", ""},
		{"linux", ModeUser, map[string]string{"HOME": "/home/ann", "XDG_STATE_HOME": "/x/state", "XDG_RUNTIME_DIR": "/run/user/1000", "XDG_CACHE_HOME": "/x/cache"},
			"/x/state/iscdesk", "/home/ann/.local/share/iscdesk/software", "/run/user/1000/iscdesk/agent.sock", "/x/cache/iscdesk", "/x/state/iscdesk/agent.log", ""},
		{"windows", ModeUser, map[string]string{"USERPROFILE": `C:\Users\ann`, "LOCALAPPDATA": `C:\Users\ann\AppData\Local`, "USERNAME": "ann"},
			`C:\Users\ann\AppData\Local\ISCDesk\state`, `C:\Users\ann\AppData\Local\Programs\ISCDesk`, `\\.\pipe\iscdesk-agent-ann`,
			`C:\Users\ann\AppData\Local\ISCDesk\cache`, `C:\Users\ann\AppData\Local\ISCDesk\state\agent.log`, ""},
		{"darwin", ModeUser, home,
			"/home/ann/Library/Application Support/ISCDesk", "/home/ann/Applications/ISCDesk", "/home/ann/Library/Application Support/ISCDesk/agent.sock",
			"/home/ann/Library/Caches/ISCDesk", "/home/ann/Library/Logs/ISCDesk/agent.log", ""},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+string(tt.mode), func(t *testing.T) {
			c, err := Defaults(tt.goos, tt.mode, envOf(tt.env))
			require.NoError(t, err)
			c.fillDerived(tt.goos)
			assert.Equal(t, tt.state, c.StateDir)
			assert.Equal(t, tt.root, c.InstallRoot)
			assert.Equal(t, tt.sock, c.Socket)
			assert.Equal(t, tt.cache, c.CacheDir)
			assert.Equal(t, tt.log, c.Log.File)
			assert.Equal(t, tt.group, c.InstallGroup)
			assert.Equal(t, 2, c.Downloads)
			assert.Equal(t, 10*GiB, c.CacheCap)
			assert.Equal(t, "info", c.Log.Level)
			require.NoError(t, c.validate(tt.goos))
		})
	}
}

func TestDefaultsErrors(t *testing.T) {
	_, err := Defaults("linux", ModeUser, envOf(nil))
	require.ErrorContains(t, err, "$HOME is not set")
	_, err = Defaults("linux", "admin", envOf(nil))
	require.ErrorContains(t, err, `mode "admin" is not known`)
}

func TestDefaultPath(t *testing.T) {
	env := envOf(map[string]string{"HOME": "/home/ann", "USERPROFILE": `C:\Users\ann`, "APPDATA": `C:\Users\ann\AppData\Roaming`})
	tests := []struct {
		goos string
		mode Mode
		want string
	}{
		{"linux", ModeSystem, "/etc/iscdesk/agent.yaml"},
		{"linux", ModeUser, "/home/ann/.config/iscdesk/agent.yaml"},
		{"windows", ModeSystem, `C:\ProgramData\ISCDesk\agent.yaml`},
		{"windows", ModeUser, `C:\Users\ann\AppData\Roaming\ISCDesk\agent.yaml`},
		{"darwin", ModeSystem, "/Library/Application Support/ISCDesk/agent.yaml"},
		{"darwin", ModeUser, "/home/ann/Library/Application Support/ISCDesk/agent.yaml"},
	}
	for _, tt := range tests {
		got, err := DefaultPath(tt.goos, tt.mode, env)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "%s/%s", tt.goos, tt.mode)
	}
}

// TestPrecedence checks defaults < file < environment < flags, field by field.
func TestPrecedence(t *testing.T) {
	fileKey, fileID := newKeyLine(t, "file")
	envKey1, envID1 := newKeyLine(t, "env one")
	envKey2, envID2 := newKeyLine(t, "env two")
	flagKey, flagID := newKeyLine(t, "flag")
	path := writeFile(t, `
state_dir: /file/state
install_root: /file/root
socket: /file/agent.sock
install_group: filegroup
downloads: 4
cache_cap: 2GiB
trusted_keys:
  - `+fileKey+`
marketplace_url: https://file.example.com
log:
  level: debug
  max_backups: 2
`)

	tests := []struct {
		name  string
		env   map[string]string
		flags Overrides
		check func(t *testing.T, c *Config)
	}{
		{"file over defaults", nil, Overrides{}, func(t *testing.T, c *Config) {
			assert.Equal(t, "/file/state", c.StateDir)
			assert.Equal(t, "/file/root", c.InstallRoot)
			assert.Equal(t, "/file/agent.sock", c.Socket)
			assert.Equal(t, "filegroup", c.InstallGroup)
			assert.Equal(t, 4, c.Downloads)
			assert.Equal(t, 2*GiB, c.CacheCap)
			assert.Equal(t, "https://file.example.com", c.MarketplaceURL)
			assert.Equal(t, "debug", c.Log.Level)
			assert.Equal(t, 2, c.Log.MaxBackups)
			assert.Equal(t, 20, c.Log.MaxSizeMB, "a log key the file does not set keeps its default")
			assert.Equal(t, "/var/cache/iscdesk", c.CacheDir)
			assert.Equal(t, ModeSystem, c.Mode)
			keys, err := c.PublicKeys()
			require.NoError(t, err)
			require.Len(t, keys, 1)
			assert.Equal(t, fileID, keys[0].ID)
		}},
		{"environment over file", map[string]string{
			EnvStateDir: "/env/state", EnvInstallRoot: "/env/root", EnvSocket: "/env/agent.sock", EnvInstallGroup: "envgroup",
			EnvMarketplaceURL: "http://127.0.0.1:9", EnvLogLevel: "warn", EnvTrustedKeys: envKey1 + ";" + envKey2,
		}, Overrides{}, func(t *testing.T, c *Config) {
			assert.Equal(t, "/env/state", c.StateDir)
			assert.Equal(t, "/env/root", c.InstallRoot)
			assert.Equal(t, "/env/agent.sock", c.Socket)
			assert.Equal(t, "envgroup", c.InstallGroup)
			assert.Equal(t, "http://127.0.0.1:9", c.MarketplaceURL)
			assert.Equal(t, "warn", c.Log.Level)
			assert.Equal(t, 4, c.Downloads, "no variable for downloads: the file's value stays")
			keys, err := c.PublicKeys()
			require.NoError(t, err)
			require.Len(t, keys, 2)
			assert.Equal(t, []string{envID1, envID2}, []string{keys[0].ID, keys[1].ID})
		}},
		{"empty variables change nothing", map[string]string{EnvStateDir: "", EnvTrustedKeys: " \n "}, Overrides{}, func(t *testing.T, c *Config) {
			assert.Equal(t, "/file/state", c.StateDir)
			assert.Len(t, c.TrustedKeys, 1)
		}},
		{"flags over environment", map[string]string{EnvStateDir: "/env/state", EnvSocket: "/env/agent.sock", EnvTrustedKeys: envKey1},
			Overrides{StateDir: "/flag/state", InstallRoot: "/flag/root", Socket: "/flag/agent.sock", TrustedKeys: []string{flagKey}},
			func(t *testing.T, c *Config) {
				assert.Equal(t, "/flag/state", c.StateDir)
				assert.Equal(t, "/flag/root", c.InstallRoot)
				assert.Equal(t, "/flag/agent.sock", c.Socket)
				keys, err := c.PublicKeys()
				require.NoError(t, err)
				require.Len(t, keys, 1)
				assert.Equal(t, flagID, keys[0].ID)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load("linux", path, "", envOf(tt.env), os.ReadFile)
			require.NoError(t, err)
			require.NoError(t, c.Apply(tt.flags))
			assert.Equal(t, path, c.Path)
			tt.check(t, c)
		})
	}
}

// TestDerivedFollowStateDir: in user mode without XDG_RUNTIME_DIR the socket and the log live in
// the state folder, wherever a later layer moves it.
func TestDerivedFollowStateDir(t *testing.T) {
	env := map[string]string{"HOME": "/home/ann"}
	path := writeFile(t, "state_dir: /file/state\n")
	c, err := load("linux", path, ModeUser, envOf(env), os.ReadFile)
	require.NoError(t, err)
	assert.Equal(t, "/file/state/agent.sock", c.Socket)
	assert.Equal(t, "/file/state/agent.log", c.Log.File)

	if runtime.GOOS != "windows" {
		require.NoError(t, c.Apply(Overrides{StateDir: "/flag/state"}))
		assert.Equal(t, "/flag/state/agent.sock", c.Socket)
		assert.Equal(t, "/flag/state/agent.log", c.Log.File)
	}

	c, err = load("linux", writeFile(t, "state_dir: /s\nsocket: /elsewhere.sock\n"), ModeUser, envOf(env), os.ReadFile)
	require.NoError(t, err)
	require.NoError(t, c.Apply(Overrides{StateDir: "/t"}))
	assert.Equal(t, "/elsewhere.sock", c.Socket, "a socket the file set does not move")
}

func TestModeFromFileAndCaller(t *testing.T) {
	env := envOf(map[string]string{"HOME": "/home/ann"})
	path := writeFile(t, "mode: user\n")
	c, err := load("linux", path, "", env, os.ReadFile)
	require.NoError(t, err)
	assert.Equal(t, ModeUser, c.Mode)
	assert.Equal(t, "/home/ann/.local/state/iscdesk", c.StateDir, "the file's mode picks the defaults")

	c, err = load("linux", path, ModeSystem, env, os.ReadFile)
	require.NoError(t, err)
	assert.Equal(t, ModeSystem, c.Mode, "the caller's mode (a flag) wins over the file")
	assert.Equal(t, "/var/lib/iscdesk", c.StateDir)
}

func TestMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := load("linux", missing, ModeSystem, envOf(nil), os.ReadFile)
	require.ErrorContains(t, err, "does not exist")

	// The default path may be missing: defaults and environment apply.
	readNone := func(string) ([]byte, error) { return nil, os.ErrNotExist }
	c, err := load("linux", "", ModeSystem, envOf(map[string]string{EnvStateDir: "/e"}), readNone)
	require.NoError(t, err)
	assert.Equal(t, "/e", c.StateDir)
	assert.Empty(t, c.Path)
}

func TestStrictErrors(t *testing.T) {
	key, _ := newKeyLine(t, "")
	tests := []struct {
		name, text string
		want       []string
	}{
		{"unknown key", "downloads: 2\nstat_dir: /x\n", []string{":2: unknown key \"stat_dir\"", "state_dir"}},
		{"unknown nested key", "log:\n  level: info\n  rotate: yes\n", []string{":3: unknown key \"log.rotate\" in log", "log.max_size_mb"}},
		{"duplicate key", "downloads: 2\ndownloads: 3\n", []string{":2:", "already defined"}},
		{"wrong type", "\n\ndownloads: many\n", []string{":3:", "cannot unmarshal"}},
		{"bad size", "cache_cap: lots\n", []string{":1:", `size "lots" is not a size`}},
		{"list for size", "cache_cap: [1]\n", []string{":1:", "single value"}},
		{"log not a mapping", "log: debug\n", []string{":1: log must be a mapping"}},
		{"top level list", "- a\n", []string{":1: the top level must be a mapping", "list"}},
		{"syntax", "downloads: [\n", []string{"agent.yaml:"}},
		{"two documents", "downloads: 2\n---\ndownloads: 3\n", []string{"second YAML document"}},
		{"bad mode", "mode: admin\n", []string{`mode "admin" is not known`}},
		{"bad key", "trusted_keys:\n  - iscdesk-ed25519-public abc\n", []string{"trusted_keys[0]"}},
		{"duplicate trusted key", "trusted_keys:\n  - " + key + "\n  - " + key + "\n", []string{"trusted_keys[1]", "already listed"}},
		{"relative path", "state_dir: state\n", []string{"state_dir:", "not an absolute path"}},
		{"downloads range", "downloads: 0\n", []string{"downloads: 0 is out of range"}},
		{"url", "marketplace_url: ftp://x\n", []string{"marketplace_url:"}},
		{"level", "log:\n  level: loud\n", []string{"log.level:", "debug, info, warn or error"}},
		{"long socket", "socket: /" + strings.Repeat("s", 120) + "\n", []string{"socket:", "choose a shorter path"}},
		{"several problems at once", "downloads: 0\nstate_dir: rel\n", []string{"not valid:\n  ", "downloads: 0", "state_dir:"}},
		{"empty group", "install_group: \"\"\n", []string{"install_group: is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.text)
			_, err := load("linux", path, "", envOf(map[string]string{"HOME": "/h"}), os.ReadFile)
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "config.", "no Go type names in messages")
		})
	}
}

func TestEmptyAndCommentOnlyFiles(t *testing.T) {
	for _, text := range []string{"", "# nothing yet\n", "\xef\xbb\xbfdownloads: 3\r\n"} {
		c, err := load("linux", writeFile(t, text), "", envOf(nil), os.ReadFile)
		require.NoError(t, err, "%q", text)
		assert.Equal(t, "/var/lib/iscdesk", c.StateDir)
	}
}

func TestSplitKeyLines(t *testing.T) {
	assert.Equal(t, []string{"a b", "c", "d"}, SplitKeyLines(" a b ;c\r\n\n d;"))
	assert.Empty(t, SplitKeyLines(" ; \n"))
}

func TestSaveRoundTrip(t *testing.T) {
	key, _ := newKeyLine(t, "marketplace 2026")
	dir := t.TempDir()
	c, err := load(runtime.GOOS, writeFile(t, "downloads: 3\ncache_cap: 1536MiB\nlog:\n  level: debug\n"), ModeSystem, envOf(nil), os.ReadFile)
	require.NoError(t, err)
	c.TrustedKeys = []string{key}
	c.MarketplaceURL = "https://market.example.com"

	path := filepath.Join(dir, "sub", "agent.yaml")
	require.NoError(t, c.Save(path))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())

	again, err := load(runtime.GOOS, path, "", envOf(nil), os.ReadFile)
	require.NoError(t, err)
	assert.Equal(t, c, again)

	text, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(text), "cache_cap: 1536MiB")

	// An invalid config is not written, and the old file stays.
	c.Downloads = 0
	require.ErrorContains(t, c.Save(path), "downloads")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, text, after)
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		err  bool
	}{
		{"10GiB", 10 * GiB, false},
		{"10 gib", 10 * GiB, false},
		{"500MB", 500_000_000, false},
		{"1.5GiB", 1536 * MiB, false},
		{"4096", 4096, false},
		{"0", 0, false},
		{"1k", 1000, false},
		{"", 0, true},
		{"GiB", 0, true},
		{"-1GiB", 0, true},
		{"10 parsecs", 0, true},
		{"1.2.3MB", 0, true},
		{"99999999TiB", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if tt.err {
			assert.Error(t, err, "%q", tt.in)
			continue
		}
		require.NoError(t, err, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
		back, err := ParseSize(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, back, "String of %q reads back", tt.in)
	}
	assert.Equal(t, "10GiB", (10 * GiB).String())
	assert.Equal(t, "1001", Size(1001).String())
}
