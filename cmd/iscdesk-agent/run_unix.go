//go:build !windows

package main

import (
	"context"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// runUntilStopped starts the agent and runs it until SIGINT or SIGTERM. systemd and launchd stop
// services with SIGTERM, so the foreground run and the service are the same code here.
func runUntilStopped(ctx context.Context, start func() (*running, error)) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := start()
	if err != nil {
		return err
	}
	if err := r.wait(ctx); err != nil {
		return err
	}
	return r.switchIfStaged(ctx)
}

// currentUID is the uid that owns a --user agent, as the local API names callers.
func currentUID() (string, error) { return strconv.Itoa(os.Getuid()), nil }
