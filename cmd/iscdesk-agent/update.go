package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/iscdesk/iscdesk/agent"
	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/config"
	"github.com/iscdesk/iscdesk/agent/update"
)

// newUpdater builds the self-update of a run. A run started by an update on trial checks nothing.
func newUpdater(cfg *config.Config, a *agent.Agent, log *slog.Logger) (*update.Updater, error) {
	return update.New(update.Options{
		Version:     version,
		Marketplace: cfg.MarketplaceURL,
		Config:      cfg.Update,
		StateDir:    cfg.StateDir,
		Jobs:        a,
		Logger:      log,
		Trial:       os.Getenv(update.EnvPending) != "",
	})
}

// AgentUpdateStatus and AgentUpdate serve /v1/agent/update (localapi.UpdateBackend).
func (b backend) AgentUpdateStatus(context.Context) (apitype.UpdateStatus, error) {
	return b.updater.Status(), nil
}

func (b backend) AgentUpdate(ctx context.Context, req apitype.UpdateRequest) (apitype.UpdateStatus, error) {
	return b.updater.Check(ctx, !req.CheckOnly)
}

// markHealthyIfTrial tells the old agent that waits for this one (update.EnvPending) that it serves.
func (r *running) markHealthyIfTrial() {
	if os.Getenv(update.EnvPending) == "" {
		return
	}
	if err := update.MarkHealthy(r.cfg.StateDir, version); err != nil {
		r.log.Error("could not tell the old agent that this one serves; it will roll back", "err", err)
		return
	}
	r.log.Info("on trial after an update: marked healthy", "version", version)
}

// switchIfStaged runs after wait stopped the agent for an update: it swaps the binary, tries the new
// one, and restarts this process on whatever binary is installed afterwards, the new one or, after a
// rollback, the old one. A stop asked for during the switch ends the process instead.
func (r *running) switchIfStaged(ctx context.Context) error {
	if r.staged == nil {
		return nil
	}
	log, logOut, err := openLog(r.cfg.Log, r.console) // wait closed the log with the agent
	if err != nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	} else {
		defer logOut.Close()
	}
	exe, err := executable()
	if err != nil {
		return err
	}
	sw := update.Switcher{
		Exe:           exe,
		Args:          os.Args[1:],
		Env:           os.Environ(),
		StateDir:      r.cfg.StateDir,
		From:          version,
		HealthTimeout: r.cfg.Update.HealthTimeout,
		Logger:        log,
		Stdout:        os.Stdout,
		Stderr:        os.Stderr,
	}
	if err := sw.Switch(ctx, r.staged); err != nil {
		log.Error("agent update not applied", "err", err)
	}
	if ctx.Err() != nil {
		return nil // asked to stop: the installed binary starts with the next start
	}
	log.Info("restarting", "exe", exe)
	return restart(exe)
}

// recoverUpdate rolls back a switch that was cut off (update.Recover) and, when it put the old binary
// back, restarts on it. unlock releases the instance lock before the restart.
func recoverUpdate(cfg *config.Config, unlock func() error) error {
	exe, err := executable()
	if err != nil {
		return err
	}
	again, err := update.Recover(cfg.StateDir, exe, version, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil || !again {
		return err
	}
	_ = unlock()
	return restart(exe)
}

// restart replaces this process with exe, or exits for the service manager to start it again.
func restart(exe string) error {
	err := update.Restart(exe, os.Args[1:], os.Environ())
	if errors.Is(err, update.ErrRestartByServiceManager) {
		return &exitError{code: exitFailed, err: fmt.Errorf("the agent binary changed; %w (start it again by hand outside a service)", err)}
	}
	return err
}
