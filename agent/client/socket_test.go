package client

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSocketPath(t *testing.T) {
	tests := []struct {
		goos string
		mode Mode
		env  map[string]string
		want string
	}{
		{"linux", SystemMode, nil, "/run/iscdesk/agent.sock"},
		{"linux", UserMode, map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/user/1000/iscdesk/agent.sock"},
		{"linux", UserMode, nil, "/home/ada/.local/state/iscdesk/agent.sock"},
		{"linux", UserMode, map[string]string{"XDG_STATE_HOME": "/data/state"}, "/data/state/iscdesk/agent.sock"},
		{"darwin", SystemMode, nil, "/var/run/iscdesk/agent.sock"},
		{"darwin", UserMode, nil, "/home/ada/Library/Application Support/ISCDesk/agent.sock"},
		{"windows", SystemMode, nil, `\\.\pipe\iscdesk-agent`},
		{"windows", UserMode, map[string]string{"USERNAME": "ada"}, `\\.\pipe\iscdesk-agent-ada`},
	}
	for _, tt := range tests {
		getenv := func(k string) string { return tt.env[k] }
		assert.Equal(t, tt.want, socketPath(tt.goos, tt.mode, getenv, "/home/ada"), "%s %s %v", tt.goos, tt.mode, tt.env)
	}
}

func TestDefaultSocket(t *testing.T) {
	const system, user = "/run/iscdesk/agent.sock", "/run/user/1000/iscdesk/agent.sock"
	env := func(k string) string { return map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}[k] }
	tests := []struct {
		name     string
		goos     string
		existing []string
		want     string
	}{
		{"system agent", "linux", []string{system, user}, system},
		{"only a user agent", "linux", []string{user}, user},
		{"no agent: the system socket, for the error", "linux", nil, system},
		{"windows never probes", "windows", nil, `\\.\pipe\iscdesk-agent`},
	}
	for _, tt := range tests {
		exists := func(p string) bool { return slices.Contains(tt.existing, p) }
		assert.Equal(t, tt.want, defaultSocket(tt.goos, env, "/home/ada", exists), tt.name)
	}
}

func TestDefaultSocketEnv(t *testing.T) {
	t.Setenv(EnvSocket, "/tmp/elsewhere.sock")
	assert.Equal(t, "/tmp/elsewhere.sock", DefaultSocket())
}

func TestStartHint(t *testing.T) {
	for goos, want := range map[string]string{
		"linux":   "sudo systemctl start iscdesk-agent",
		"darwin":  "launchctl kickstart",
		"windows": "Start-Service iscdesk-agent",
	} {
		assert.Contains(t, startHint(goos), want, goos)
		assert.Contains(t, startHint(goos), "iscdesk-agent run --user", goos)
	}
}
