package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSystemdCommand(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want string
		err  string
	}{
		{"plain", []string{"/usr/bin/iscdesk-agent", "run", "--config", "/etc/iscdesk/agent.yaml"}, "/usr/bin/iscdesk-agent run --config /etc/iscdesk/agent.yaml", ""},
		{"space", []string{"/opt/my tools/agent", "run"}, `"/opt/my tools/agent" run`, ""},
		{"specifier and variable", []string{"/a", "100%", "$HOME"}, "/a 100%% $$HOME", ""},
		{"quotes and backslash", []string{"/a", `say "hi"\`}, `/a "say \"hi\"\\"`, ""},
		{"empty", []string{"/a", ""}, `/a ""`, ""},
		{"newline", []string{"/a", "x\ny"}, "", "line break"},
		{"template action", []string{"/a/{{x}}"}, "", `"{{"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := systemdCommand(tt.argv)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestServiceConfig(t *testing.T) {
	sc, err := serviceConfig("/usr/bin/iscdesk-agent", "/etc/iscdesk/agent.yaml")
	require.NoError(t, err)
	assert.Equal(t, serviceName, sc.Name)
	assert.Equal(t, []string{"run", "--config", "/etc/iscdesk/agent.yaml"}, sc.Arguments)
	assert.Equal(t, true, sc.Option["DelayedAutoStart"])
	assert.Equal(t, "restart", sc.Option["OnFailure"])
	assert.Equal(t, 600, sc.Option["OnFailureResetPeriod"])

	unit, ok := sc.Option["SystemdScript"].(string)
	require.True(t, ok)
	for _, line := range []string{
		"ExecStart=/usr/bin/iscdesk-agent run --config /etc/iscdesk/agent.yaml\n",
		"Restart=on-failure\n", "RestartSec=5s\n", "StartLimitIntervalSec=600\n", "StartLimitBurst=5\n",
		"RestartPreventExitStatus=3\n", "RuntimeDirectory=iscdesk\n", "StateDirectory=iscdesk\n",
	} {
		assert.Contains(t, unit, line)
	}
	assert.NotContains(t, unit, "ProtectSystem", "installers write to /opt and /usr/local")
	assert.NotContains(t, unit, "{{", "kardianos must find no template action in our unit")

	sc, err = serviceConfig("/usr/bin/iscdesk-agent", "")
	require.NoError(t, err)
	assert.Equal(t, []string{"run"}, sc.Arguments)
}
