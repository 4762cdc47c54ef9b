package config

import (
	"fmt"
	"strings"
	"time"

	"aead.dev/minisign"
)

// Update configures the agent's self-update (docs/self-update.md). It is on by default, but does
// nothing until marketplace_url and at least one key in update.keys are set: the agent installs
// no binary that a configured key did not sign.
type Update struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	// CheckInterval is the time between two looks at the marketplace; at least a minute.
	CheckInterval time.Duration `yaml:"check_interval" json:"check_interval"`
	// Keys are minisign public keys ("RW…" lines) whose signature a new agent binary must carry.
	Keys []string `yaml:"keys" json:"keys"`
	// Channel is the release channel to follow, e.g. "stable" or "beta".
	Channel string `yaml:"channel" json:"channel"`
	// Pin is a version to stay on: the agent updates up to it and never past it.
	Pin string `yaml:"pin" json:"pin"`
	// HealthTimeout bounds how long a new binary may take to serve before it is rolled back.
	HealthTimeout time.Duration `yaml:"health_timeout" json:"health_timeout"`
}

// Defaults of the update section.
const (
	DefaultUpdateInterval = 6 * time.Hour
	DefaultUpdateChannel  = "stable"
	DefaultHealthTimeout  = 2 * time.Minute
	minUpdateInterval     = time.Minute
)

// DefaultUpdate is the update section before any file, variable or flag.
func DefaultUpdate() Update {
	return Update{
		Enabled:       true,
		CheckInterval: DefaultUpdateInterval,
		Keys:          []string{},
		Channel:       DefaultUpdateChannel,
		HealthTimeout: DefaultHealthTimeout,
	}
}

// PublicKeys parses Keys.
func (u Update) PublicKeys() ([]minisign.PublicKey, error) {
	keys := make([]minisign.PublicKey, 0, len(u.Keys))
	seen := map[uint64]int{}
	for i, line := range u.Keys {
		var k minisign.PublicKey
		if err := k.UnmarshalText([]byte(strings.TrimSpace(line))); err != nil {
			return nil, fmt.Errorf("update.keys[%d]: %q is not a minisign public key (the RW… line of a minisign .pub file): %w", i, clipKey(line), err)
		}
		if j, dup := seen[k.ID()]; dup {
			return nil, fmt.Errorf("update.keys[%d]: key %X is already listed as update.keys[%d]; remove one", i, k.ID(), j)
		}
		seen[k.ID()] = i
		keys = append(keys, k)
	}
	return keys, nil
}

// validate lists what is wrong with the section, one error a field.
func (u Update) validate() []error {
	var errs []error
	if u.CheckInterval < minUpdateInterval {
		errs = append(errs, fmt.Errorf("update.check_interval: %v is too short; use %v or more, e.g. 6h", u.CheckInterval, minUpdateInterval))
	}
	if u.HealthTimeout < time.Second {
		errs = append(errs, fmt.Errorf("update.health_timeout: %v is too short; use 1s or more, e.g. 2m", u.HealthTimeout))
	}
	if strings.TrimSpace(u.Channel) == "" || strings.ContainsAny(u.Channel, " /?&#") {
		errs = append(errs, fmt.Errorf("update.channel: %q is not a channel name; use e.g. %q", u.Channel, DefaultUpdateChannel))
	}
	if _, err := u.PublicKeys(); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func clipKey(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
