package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/config"
	"github.com/iscdesk/iscdesk/cmd/iscdesk-agent/internal/crashguard"
)

// TestHealthyRunClearsCrashCount: once the agent has run for the guard's window, earlier crashes
// are forgotten, while it keeps running.
func TestHealthyRunClearsCrashCount(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix sockets")
	}
	dir := t.TempDir()
	for _, k := range []string{"XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
		config.EnvStateDir, config.EnvSocket, config.EnvInstallRoot, config.EnvTrustedKeys, config.EnvLogLevel} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", dir)
	cfg, err := config.Load("", config.ModeUser)
	require.NoError(t, err)
	require.NoError(t, cfg.Apply(config.Overrides{StateDir: filepath.Join(dir, "state"), Socket: filepath.Join(dir, "a.sock")}))

	r, err := start(cfg, nil, false)
	require.NoError(t, err)
	guardFile := filepath.Join(cfg.StateDir, crashguard.FileName)
	require.FileExists(t, guardFile, "the start is recorded")
	r.guard.Window = 200 * time.Millisecond

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.wait(ctx) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(guardFile); os.IsNotExist(err) {
			break
		}
		require.True(t, time.Now().Before(deadline), "the crash count was not cleared while the agent ran")
		time.Sleep(20 * time.Millisecond) // poll, bounded by the deadline
	}
	select {
	case err := <-done:
		t.Fatalf("the agent stopped by itself: %v", err)
	default:
	}
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err, "a stop by its context is clean")
	case <-time.After(60 * time.Second):
		t.Fatal("the agent did not stop within 60 s of its context ending")
	}
	_, err = os.Stat(cfg.Socket)
	assert.True(t, os.IsNotExist(err), "the socket is removed on a clean stop: %v", err)
}
