package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/iscdesk/iscdesk/agent/config"
)

// openLog returns the agent's logger: JSON lines to the rotated log file, and also text to console
// when it is not nil (stderr, when that is a terminal). Close the returned closer last.
func openLog(c config.Log, console io.Writer) (*slog.Logger, io.Closer, error) {
	level, err := config.ParseLevel(c.Level)
	if err != nil {
		return nil, nil, fmt.Errorf("log.level: %w", err)
	}
	dir := filepath.Dir(c.File)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating the log folder %s: %w; create it or set log.file", dir, err)
	}
	rot := &lumberjack.Logger{
		Filename:   c.File,
		MaxSize:    c.MaxSizeMB,
		MaxBackups: c.MaxBackups,
		MaxAge:     c.MaxAgeDays,
	}
	// lumberjack opens the file on the first write: open it now so that a bad path is an error
	// at start, not a log line that silently goes nowhere.
	if _, err := rot.Write(nil); err != nil {
		return nil, nil, fmt.Errorf("opening the log file %s: %w; check its folder's permissions or set log.file", c.File, err)
	}
	var h slog.Handler = slog.NewJSONHandler(rot, &slog.HandlerOptions{Level: level})
	if console != nil {
		h = slog.NewMultiHandler(h, slog.NewTextHandler(console, &slog.HandlerOptions{Level: level}))
	}
	return slog.New(h), rot, nil
}
