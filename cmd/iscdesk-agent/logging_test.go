package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/config"
)

func TestOpenLog(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "logs", "agent.log")
	var console bytes.Buffer
	log, closer, err := openLog(config.Log{File: file, Level: "warn", MaxSizeMB: 1}, &console)
	require.NoError(t, err)
	log.Info("not at this level")
	log.Warn("disk nearly full", "free_mb", 12)
	require.NoError(t, closer.Close())

	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var rec map[string]any
	require.NoError(t, json.Unmarshal(data, &rec), "one JSON record: %s", data)
	assert.Equal(t, "disk nearly full", rec["msg"])
	assert.Equal(t, "WARN", rec["level"])
	assert.EqualValues(t, 12, rec["free_mb"])
	assert.Contains(t, console.String(), `level=WARN msg="disk nearly full" free_mb=12`)
	assert.NotContains(t, console.String(), "not at this level")

	// A log folder that cannot be made is an error at start, not lost lines later.
	blocker := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	_, _, err = openLog(config.Log{File: filepath.Join(blocker, "agent.log"), Level: "info", MaxSizeMB: 1}, nil)
	require.ErrorContains(t, err, "creating the log folder "+blocker)

	_, _, err = openLog(config.Log{File: file, Level: "loud", MaxSizeMB: 1}, nil)
	require.ErrorContains(t, err, "log.level")
}
