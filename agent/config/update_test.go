package config

import (
	"crypto/rand"
	"os"
	"testing"
	"time"

	"aead.dev/minisign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdateSection(t *testing.T) {
	pub, _, err := minisign.GenerateKey(rand.Reader)
	require.NoError(t, err)
	key := pub.String() // the RW… line of a minisign .pub file

	c, err := load("linux", writeFile(t, ""), "", envOf(nil), os.ReadFile)
	require.NoError(t, err)
	assert.Equal(t, DefaultUpdate(), c.Update, "defaults without an update section")

	c, err = load("linux", writeFile(t, "update:\n  enabled: false\n  check_interval: 90m\n  channel: beta\n  pin: 1.4.0\n  health_timeout: 30s\n  keys:\n    - "+key+"\n"),
		"", envOf(nil), os.ReadFile)
	require.NoError(t, err)
	assert.Equal(t, Update{Enabled: false, CheckInterval: 90 * time.Minute, Channel: "beta", Pin: "1.4.0", HealthTimeout: 30 * time.Second,
		Keys: []string{key}}, c.Update)
	keys, err := c.Update.PublicKeys()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, pub.ID(), keys[0].ID())

	bad := []struct {
		name, yaml, want string
	}{
		{"interval too short", "update:\n  check_interval: 10s\n", "update.check_interval: 10s is too short"},
		{"not a duration", "update:\n  check_interval: often\n", ":2:"},
		{"health timeout zero", "update:\n  health_timeout: 0s\n", "update.health_timeout"},
		{"bad key", "update:\n  keys: [RWnotakey]\n", "update.keys[0]"},
		{"same key twice", "update:\n  keys: [" + key + ", " + key + "]\n", "already listed as update.keys[0]"},
		{"bad channel", "update:\n  channel: a/b\n", "update.channel"},
		{"unknown key", "update:\n  url: http://x\n", `unknown key "update.url"`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load("linux", writeFile(t, tc.yaml), "", envOf(nil), os.ReadFile)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
