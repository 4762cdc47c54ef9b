package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExecStartExe(t *testing.T) {
	tests := []struct{ line, want string }{
		{"ExecStart=/tmp/b/iscdesk-agent run\n", "/tmp/b/iscdesk-agent"},
		{`ExecStart="/tmp/my dir/iscdesk-agent" run` + "\n", `"/tmp/my dir/iscdesk-agent"`},
		{`ExecStart="/tmp/a\"b/iscdesk-agent" run`, `"/tmp/a\"b/iscdesk-agent"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, execStartExe(tt.line), tt.line)
	}
}

// TestRenderUnit runs stand-ins for the agent binary: the unit is taken as printed, with the
// ExecStart pointed at /usr/bin, and anything unexpected is refused rather than packaged.
func TestRenderUnit(t *testing.T) {
	tests := []struct {
		name, printed, want, wantErr string
	}{
		{
			name:    "build path replaced",
			printed: "[Service]\nExecStart=\"/tmp/x y/iscdesk-agent\" run\nRestart=on-failure\n",
			want:    "[Service]\nExecStart=/usr/bin/iscdesk-agent run\nRestart=on-failure\n",
		},
		{name: "other arguments", printed: "ExecStart=/x/iscdesk-agent run --config /tmp/c\n", wantErr: "unexpected"},
		{name: "no ExecStart", printed: "[Unit]\n", wantErr: "no ExecStart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "unit"), []byte(tt.printed), 0o644))
			bin := filepath.Join(dir, "iscdesk-agent")
			script := "#!/bin/sh\n[ \"$*\" = 'service unit' ] || exit 9\ncat '" + filepath.Join(dir, "unit") + "'\n"
			require.NoError(t, os.WriteFile(bin, []byte(script), 0o755))
			got, err := RenderUnit(context.Background(), bin)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
	_, err := RenderUnit(context.Background(), filepath.Join(t.TempDir(), "missing"))
	assert.ErrorContains(t, err, "rendering the systemd unit")
}
