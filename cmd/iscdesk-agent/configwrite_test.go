package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/config"
)

// TestConfigWrite runs `config write` as the msi's custom action does and reads the file back with
// the agent's own loader.
func TestConfigWrite(t *testing.T) {
	oldKey, newKey, otherKey := keyLine(t, "old"), keyLine(t, "new"), keyLine(t, "other")
	existing := "marketplace_url: https://old.example.com\ntrusted_keys: [\"" + oldKey + "\"]\ndownloads: 4\n"

	tests := []struct {
		name     string
		existing string // "" means no file yet
		args     []string
		env      []string
		wantCode int
		wantErr  string // in stderr
		check    func(t *testing.T, c *config.Config)
	}{
		{
			name: "fresh file from the installer's properties",
			args: []string{"--marketplace-url", "https://market.example.com", "--trusted-key", newKey, "--install-group", "cad-admins"},
			check: func(t *testing.T, c *config.Config) {
				assert.Equal(t, "https://market.example.com", c.MarketplaceURL)
				assert.Equal(t, []string{newKey}, c.TrustedKeys)
				assert.Equal(t, "cad-admins", c.InstallGroup)
				assert.Equal(t, 2, c.Downloads, "defaults fill the rest")
			},
		},
		{
			name:     "empty properties keep the file's values (repair, upgrade)",
			existing: existing,
			args:     []string{"--marketplace-url", "", "--trusted-key", "", "--install-group", ""},
			check: func(t *testing.T, c *config.Config) {
				assert.Equal(t, "https://old.example.com", c.MarketplaceURL)
				assert.Equal(t, []string{oldKey}, c.TrustedKeys)
				assert.Equal(t, config.DefaultInstallGroup, c.InstallGroup)
				assert.Equal(t, 4, c.Downloads, "keys the installer does not set stay")
			},
		},
		{
			name:     "several keys in one property replace the list",
			existing: existing,
			args:     []string{"--trusted-key", newKey + ";" + otherKey},
			check: func(t *testing.T, c *config.Config) {
				assert.Equal(t, []string{newKey, otherKey}, c.TrustedKeys)
				assert.Equal(t, "https://old.example.com", c.MarketplaceURL)
			},
		},
		{
			name:     "a bad URL fails and leaves the file alone",
			existing: existing,
			args:     []string{"--marketplace-url", "market.example.com"},
			wantCode: exitFailed,
			wantErr:  "marketplace_url",
		},
		{
			name:     "a bad key fails and leaves the file alone",
			existing: existing,
			args:     []string{"--trusted-key", "iscdesk-ed25519-public nothex AAAA"},
			wantCode: exitFailed,
			wantErr:  "trusted_keys[0]",
		},
		{
			name:     "an ISCDESK_ variable would be saved into the file: refused",
			existing: existing,
			args:     []string{"--marketplace-url", "https://market.example.com"},
			env:      []string{"ISCDESK_LOG_LEVEL=debug"},
			wantCode: exitFailed,
			wantErr:  "ISCDESK_LOG_LEVEL is set",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "etc", "agent.yaml")
			if tt.existing != "" {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(tt.existing), 0o644))
			}
			args := append([]string{"config", "write", "--config", path}, tt.args...)
			r := runAgent(t, agentEnv(t, tt.env...), args...)
			require.Equal(t, tt.wantCode, r.code, "stdout %s\nstderr %s", r.stdout, r.stderr)
			if tt.wantCode != 0 {
				assert.Contains(t, r.stderr, tt.wantErr)
				if tt.existing != "" {
					got, err := os.ReadFile(path)
					require.NoError(t, err)
					assert.Equal(t, tt.existing, string(got), "a failed write must not touch the file")
				}
				return
			}
			assert.Equal(t, "wrote "+path+"\n", r.stdout)
			c, err := config.Load(path, config.ModeSystem)
			require.NoError(t, err, "the written file must load")
			tt.check(t, c)
			st, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
		})
	}
}
