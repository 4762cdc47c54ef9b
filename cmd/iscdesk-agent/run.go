package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/iscdesk/iscdesk/agent"
	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/config"
	"github.com/iscdesk/iscdesk/agent/localapi"
	"github.com/iscdesk/iscdesk/agent/update"
	"github.com/iscdesk/iscdesk/cmd/iscdesk-agent/internal/crashguard"
	"github.com/iscdesk/iscdesk/installer/machinelock"
	"github.com/iscdesk/iscdesk/installer/ticket"
)

// shutdownGrace bounds how long open API requests may take to finish when the agent stops.
const shutdownGrace = 10 * time.Second

func newRunCmd() *cobra.Command {
	var f configFlags
	var resetCrashes bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the agent in the foreground until SIGINT or SIGTERM (the service manager runs this)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			var console io.Writer
			if fd, ok := cmd.ErrOrStderr().(interface{ Fd() uintptr }); ok && term.IsTerminal(int(fd.Fd())) {
				console = cmd.ErrOrStderr()
			}
			return runUntilStopped(cmd.Context(), func() (*running, error) {
				return start(cfg, console, resetCrashes)
			})
		},
	}
	f.addSelect(cmd)
	f.addOverrides(cmd)
	cmd.Flags().BoolVar(&resetCrashes, "reset-crash-count", false, "forget earlier crashes and start even after a crash loop")
	return cmd
}

// running is a started agent and its API server. wait runs it until ctx ends or it fails.
type running struct {
	unlock func() error // releases the instance lock
	log    *slog.Logger
	logOut io.Closer
	guard  *crashguard.Guard
	agent  *agent.Agent
	server *localapi.Server
	ln     net.Listener
	served bool // Serve took over ln, and Shutdown closes it

	cfg     *config.Config
	console io.Writer
	updater *update.Updater
	staged  *update.Staged // set when wait stopped the agent to switch to a new binary
}

// start does everything that can fail before the agent serves: the log, the crash guard, the
// agent and its socket. An error wrapping crashguard.ErrTooManyCrashes exits with exitCrashLoop.
func start(cfg *config.Config, console io.Writer, resetCrashes bool) (_ *running, err error) {
	if err := os.MkdirAll(cfg.StateDir, stateDirPerm(cfg.Mode)); err != nil {
		return nil, fmt.Errorf("creating the state folder %s: %w", cfg.StateDir, err)
	}
	unlock, err := lockInstance(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	if err := recoverUpdate(cfg, unlock); err != nil {
		return nil, err
	}
	log, logOut, err := openLog(cfg.Log, console)
	if err != nil {
		_ = unlock()
		return nil, err
	}
	r := &running{log: log, logOut: logOut, unlock: unlock, guard: crashguard.New(filepath.Join(cfg.StateDir, crashguard.FileName)),
		cfg: cfg, console: console}
	defer func() {
		if err != nil {
			if cerr := r.guard.Cancel(); cerr != nil {
				log.Warn("could not take back the recorded start", "err", cerr)
			}
			r.close()
		}
	}()

	if resetCrashes {
		if err := r.guard.Clear(); err != nil {
			return nil, err
		}
		log.Info("crash count reset by --reset-crash-count")
	}
	unclean, err := r.guard.Start()
	if errors.Is(err, crashguard.ErrTooManyCrashes) {
		msg := fmt.Sprintf("the agent stopped unexpectedly %d times in 10 minutes; not starting again so that it does not loop. Read %s, then run: iscdesk-agent run --reset-crash-count", unclean, cfg.Log.File)
		log.Error(msg)
		return nil, &exitError{code: exitCrashLoop, err: errors.New(msg)}
	}
	if err != nil {
		return nil, err
	}
	if unclean > 0 {
		log.Warn("the agent did not stop cleanly last time; finishing the jobs it cut off", "unclean_starts", unclean)
	}

	keys, err := cfg.PublicKeys()
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		log.Warn("no trusted marketplace keys configured: every install will be refused; add trusted_keys to the config")
	}
	log.Info("starting", "version", version, "mode", cfg.Mode, "config", cfg.Path, "state_dir", cfg.StateDir,
		"install_root", cfg.InstallRoot, "socket", cfg.Socket, "trusted_keys", len(keys))

	r.agent, err = agent.New(agent.Config{
		StateDir:     cfg.StateDir,
		InstallRoot:  cfg.InstallRoot,
		Mode:         string(cfg.Mode),
		Version:      version,
		Downloads:    cfg.Downloads,
		Keyring:      ticket.NewKeyring(keys...),
		CacheDir:     cfg.CacheDir,
		CacheCap:     int64(cfg.CacheCap),
		InstallGroup: cfg.InstallGroup,
		Logger:       log,
	})
	if err != nil {
		return nil, err
	}
	policy := localapi.Policy{InstallGroup: cfg.InstallGroup}
	listen := localapi.ListenOptions{Group: cfg.InstallGroup}
	if cfg.Mode == config.ModeUser {
		// The user's own agent: the user may install, and nobody else may even connect.
		if policy.OwnerUID, err = currentUID(); err != nil {
			return nil, err
		}
		policy.InstallGroup, listen.Group, listen.Mode = "", "", 0o600
	}
	r.ln, err = localapi.Listen(cfg.Socket, listen)
	if err != nil {
		return nil, err
	}
	if r.updater, err = newUpdater(cfg, r.agent, log); err != nil {
		return nil, err
	}
	r.server = localapi.NewServer(backend{Agent: r.agent, updater: r.updater}, policy, log)
	return r, nil
}

// backend is what the local API serves: the agent, with the watch of its event bus and the
// self-update (update.go).
type backend struct {
	*agent.Agent
	updater *update.Updater
}

func (b backend) Subscribe(after uint64) ([]apitype.Event, <-chan apitype.Event, bool, func()) {
	return b.Events().Subscribe(after)
}

// wait runs the agent until ctx ends (a clean stop: nil) or the agent fails (an error). It clears
// the crash count on a clean stop and once the agent has run for the guard's window.
func (r *running) wait(ctx context.Context) error {
	defer r.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	agentDone := make(chan error, 1)
	go func() { agentDone <- r.agent.Run(ctx) }()
	serveDone := make(chan error, 1)
	select {
	case <-r.agent.Ready():
		r.served = true
		go func() { serveDone <- r.server.Serve(r.ln) }()
		r.log.Info("ready", "socket", r.ln.Addr().String())
		r.markHealthyIfTrial()
	case err := <-agentDone:
		if err == nil {
			err = errors.New("it returned without an error")
		}
		r.log.Error("the agent stopped before it was ready", "err", err)
		return fmt.Errorf("the agent stopped before it was ready: %w", err)
	}

	updaterDone := make(chan struct{})
	go func() { defer close(updaterDone); r.updater.Run(ctx) }()
	defer func() { <-updaterDone }() // cancel (below, and deferred) ends it

	healthy := time.NewTimer(r.guard.Window)
	defer healthy.Stop()
	var failure error
	for failure == nil && ctx.Err() == nil && r.staged == nil {
		select {
		case <-ctx.Done():
		case r.staged = <-r.updater.Apply():
			r.log.Info("stopping to switch to a new agent", "version", r.staged.Release.Version)
		case <-healthy.C:
			if err := r.guard.Clear(); err != nil {
				r.log.Warn("could not clear the crash count", "err", err)
			}
		case err := <-serveDone:
			serveDone = nil
			failure = fmt.Errorf("the local API stopped: %w", err)
		case err := <-agentDone:
			agentDone = nil
			failure = fmt.Errorf("the agent stopped: %w", err)
			if err == nil {
				failure = errors.New("the agent stopped by itself")
			}
		}
	}

	r.log.Info("stopping")
	cancel()
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer scancel()
	if err := r.server.Shutdown(sctx); err != nil {
		r.log.Warn("the local API did not shut down cleanly", "err", err)
	}
	if serveDone != nil {
		<-serveDone
	}
	if agentDone != nil {
		if err := <-agentDone; err != nil && failure == nil {
			failure = fmt.Errorf("the agent stopped: %w", err)
		}
	}
	if failure != nil {
		r.log.Error("the agent failed", "err", failure)
		return failure
	}
	if err := r.guard.Clear(); err != nil {
		r.log.Warn("could not clear the crash count", "err", err)
	}
	r.log.Info("stopped cleanly")
	return nil
}

// close releases what start opened, in reverse order; the log goes last.
func (r *running) close() {
	if r.ln != nil && !r.served {
		_ = r.ln.Close() // Serve never took it over
	}
	if r.agent != nil {
		if err := r.agent.Close(); err != nil {
			r.log.Warn("closing the agent", "err", err)
		}
	}
	if r.logOut != nil {
		_ = r.logOut.Close()
	}
	_ = r.unlock() // the OS drops it at exit anyway
}

// lockInstance makes sure that one agent runs on a state folder: a second one would write into the
// same log and crash count and fail later on the journal or the socket. The OS drops the lock when
// the holder dies, so a crash never leaves it behind. (machinelock is a plain file lock; the
// engine's install lock is another file.)
func lockInstance(stateDir string) (unlock func() error, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var heldBy string
	unlock, err = machinelock.Acquire(ctx, filepath.Join(stateDir, "agent.lock"), fmt.Sprintf("iscdesk-agent pid %d", os.Getpid()),
		func(h string) { heldBy = h; cancel() }) // taken: do not wait for it
	if err != nil && ctx.Err() != nil {
		if heldBy == "" {
			heldBy = "it just started"
		}
		return nil, fmt.Errorf("another agent is running on the state folder %s (%s); stop it first, or give this one another --state-dir", stateDir, heldBy)
	}
	return unlock, err
}

func stateDirPerm(m config.Mode) os.FileMode {
	if m == config.ModeUser || runtime.GOOS == "windows" {
		return 0o700
	}
	return 0o755
}
