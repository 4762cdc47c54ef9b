// Package agent is the ISCDesk service: it owns the engine, finishes at start the jobs that the last
// stop cut off, runs the job queue (downloads in parallel, install steps one at a time, priorities,
// cancel, retries of "retry later") and turns every change into an event on its bus. The local API
// (agent/localapi) serves what this package answers; cmd/iscdesk-agent wires it up.
package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/events"
	"github.com/iscdesk/iscdesk/installer/engine"
	"github.com/iscdesk/iscdesk/installer/fetch"
	"github.com/iscdesk/iscdesk/installer/ticket"
)

// Modes the agent runs in.
const (
	ModeSystem = "system" // a system service, as root or SYSTEM
	ModeUser   = "user"   // an ordinary user's process, state and install root under the user's folders
)

// DefaultDownloads is how many jobs fetch and stage at once.
const DefaultDownloads = 2

// Config is what an Agent needs. StateDir and InstallRoot are required.
type Config struct {
	StateDir    string // journal, staged packages, job logs, the event epoch
	InstallRoot string // each package installs into InstallRoot/<id>
	LockPath    string // the machine-wide install lock; default StateDir/install.lock
	Mode        string // ModeSystem (default) or ModeUser
	Version     string // the agent's build version, for Status

	// Downloads is how many jobs fetch and stage at once; default DefaultDownloads.
	Downloads int
	// Keyring holds the marketplace keys whose tickets are trusted; nil refuses every ticket.
	Keyring *ticket.Keyring
	// CacheDir holds downloaded packages; default StateDir/cache. CacheCap bounds it (fetch's default when 0).
	CacheDir string
	CacheCap int64
	// InstallGroup is the group that grants install rights, named in messages to those who lack them.
	InstallGroup string
	// Env is added to the environment of vendor commands (KEY=VALUE).
	Env    []string
	Logger *slog.Logger
	// RetryBackoff and MaxRetries tune the retries of "retry later" outcomes (the engine's defaults when unset).
	RetryBackoff func(retry int) time.Duration
	MaxRetries   int
	// LicenseEnv sets the variables of packages that find their license through one; default the
	// OS's machine-wide place for Mode (see license_env_*.go).
	LicenseEnv EnvSetter
}

// Agent is the service object. Its methods are safe for concurrent use.
type Agent struct {
	cfg     Config
	eng     *engine.Engine
	bus     *events.Bus
	lic     *licenses
	log     *slog.Logger
	started time.Time

	ready     chan struct{} // closed by Run once recovery has started
	wake      chan struct{} // a poke for the scheduler; buffered, so a poke never blocks
	closeOnce sync.Once
	closeErr  error

	// mu guards the fields that follow. The scheduler holds it while it picks and starts jobs, and
	// Cancel while it cancels one, so that a job is never started and cancelled at once.
	mu         sync.Mutex
	runCalled  bool
	active     map[string]*worker // jobs being prepared or run by this process
	recovery   map[string]bool    // jobs unfinished at start, which run before any new one; nil once they ended
	recovering bool
	published  queueCounts // the counts of the last status event

	// progressMu guards progress, the last progress report of each job being fetched or staged. It is
	// apart from mu because the engine reports from calls made under mu (Cancel).
	progressMu sync.Mutex
	progress   map[string]apitype.Progress
}

// New opens the engine on cfg.StateDir. A second agent on the same state folder fails within about a
// second, saying that the journal is in use.
func New(cfg Config) (*Agent, error) {
	switch {
	case cfg.StateDir == "":
		return nil, errors.New("agent: no state folder configured (state_dir)")
	case cfg.InstallRoot == "":
		return nil, errors.New("agent: no install root configured (install_root)")
	case cfg.Downloads < 0:
		return nil, fmt.Errorf("agent: downloads is %d; set it to 1 or more (default %d)", cfg.Downloads, DefaultDownloads)
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = ModeSystem
	case ModeSystem, ModeUser:
	default:
		return nil, fmt.Errorf("agent: mode %q is unknown; use %q or %q", cfg.Mode, ModeSystem, ModeUser)
	}
	if cfg.Downloads == 0 {
		cfg.Downloads = DefaultDownloads
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(cfg.StateDir, "cache")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Agent{
		cfg:      cfg,
		log:      cfg.Logger,
		started:  time.Now().UTC(),
		ready:    make(chan struct{}),
		wake:     make(chan struct{}, 1),
		active:   map[string]*worker{},
		progress: map[string]apitype.Progress{},
	}
	eng, err := engine.Open(engine.Config{
		StateDir:     cfg.StateDir,
		InstallRoot:  cfg.InstallRoot,
		LockPath:     cfg.LockPath,
		Env:          cfg.Env,
		Events:       a.onEngineEvent,
		Logger:       cfg.Logger,
		Keyring:      cfg.Keyring,
		Fetcher:      &fetch.Fetcher{CacheDir: cfg.CacheDir, CacheCap: cfg.CacheCap, Logger: cfg.Logger},
		RetryBackoff: cfg.RetryBackoff,
		MaxRetries:   cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	epoch, err := nextEpoch(cfg.StateDir)
	if err != nil {
		_ = eng.Close()
		return nil, fmt.Errorf("agent: %w", err)
	}
	a.eng = eng
	a.bus = events.New(events.DefaultSize, epoch)
	a.lic = newLicenses(cfg, eng, a.bus)
	a.lic.sweep()
	return a, nil
}

// Ready is closed once Run has started recovery: from then on the API may serve.
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// Events is the agent's event stream.
func (a *Agent) Events() *events.Bus { return a.bus }

// Close ends every watch and closes the journal. Call it after Run has returned.
func (a *Agent) Close() error {
	a.closeOnce.Do(func() {
		a.bus.Close()
		if err := a.eng.Close(); err != nil {
			a.closeErr = fmt.Errorf("agent: %w", err)
		}
	})
	return a.closeErr
}
