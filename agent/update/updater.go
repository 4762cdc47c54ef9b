// Package update is the agent's self-update: it asks the marketplace for newer agent releases,
// verifies a binary's SHA-256 and minisign signature against the configured keys before anything
// touches the disk, refuses downgrades and versions that failed before, and hands a verified
// binary to the service loop once no job runs. Switcher then swaps the binary (minio/selfupdate),
// starts the new one on trial, waits for its health marker, and either confirms it or puts the
// old binary back. docs/self-update.md has the state machine.
package update

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"time"

	"aead.dev/minisign"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/config"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// Jobs is what the updater asks of the agent's core: whether a job is running now.
type Jobs interface {
	Busy() bool
}

// Options configure an Updater. Version, StateDir and Jobs are required.
type Options struct {
	Version     string // the running agent's version
	Marketplace string // the marketplace's base URL; updates are off without it
	Config      config.Update
	StateDir    string
	Jobs        Jobs
	HTTPClient  *http.Client // default: one with a 10-minute timeout
	Logger      *slog.Logger
	// Trial is set in a new binary on trial (EnvPending): it checks nothing until it is confirmed.
	Trial bool
	// GOOS and GOARCH name the binary to ask for; default this build's.
	GOOS, GOARCH string
	// MaxBinary bounds a downloaded binary; default 512 MiB.
	MaxBinary int64
	// IdleWait is how long a verified update waits for running jobs to end before it is dropped
	// until the next check; default 30 minutes.
	IdleWait time.Duration
	// FirstCheck is the delay before the first scheduled check; default one minute, so that a
	// starting agent finishes its recovery first.
	FirstCheck time.Duration
}

// Staged is a verified binary, ready to be swapped in.
type Staged struct {
	Release api.AgentRelease
	Binary  []byte
	Sum     [32]byte
}

// Updater checks for and stages updates. Its methods are safe for concurrent use.
type Updater struct {
	o        Options
	keys     []minisign.PublicKey
	disabled string        // why updates are off; "" when they are on
	apply    chan *Staged  // Run hands a staged update to the service loop here
	poke     chan struct{} // a staged update wants Run to look at the jobs now
	sem      chan struct{} // one check at a time
	idlePoll time.Duration // how often Run looks at the jobs while an update waits; tests shorten it

	mu       sync.Mutex // guards the fields that follow
	status   apitype.UpdateStatus
	staged   *Staged
	stagedAt time.Time
}

// idlePoll is how often the job state is looked at while a staged update waits; the agent has
// no "idle" event.
const idlePoll = 5 * time.Second

// New returns an updater. A configuration that turns updates off is not an error: the updater
// then reports UpdateDisabled with the reason, and Check refuses with CodeUnavailable.
func New(o Options) (*Updater, error) {
	switch {
	case o.Version == "":
		return nil, errors.New("update: the running version is not known")
	case o.StateDir == "":
		return nil, errors.New("update: no state folder")
	case o.Jobs == nil:
		return nil, errors.New("update: nothing tells whether jobs run (Options.Jobs)")
	}
	keys, err := o.Config.PublicKeys()
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Minute}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.GOOS == "" {
		o.GOOS, o.GOARCH = runtime.GOOS, runtime.GOARCH
	}
	if o.MaxBinary <= 0 {
		o.MaxBinary = 512 << 20
	}
	if o.IdleWait <= 0 {
		o.IdleWait = 30 * time.Minute
	}
	if o.FirstCheck <= 0 {
		o.FirstCheck = time.Minute
	}
	u := &Updater{
		o:     o,
		keys:  keys,
		apply: make(chan *Staged),
		poke:  make(chan struct{}, 1),
		sem:   make(chan struct{}, 1),

		idlePoll: idlePoll,
	}
	switch {
	case o.Trial:
		u.disabled = "this agent is a new version on trial; it checks for updates once it is confirmed"
	case !o.Config.Enabled:
		u.disabled = "self-update is off (update.enabled: false in the agent config)"
	case o.Marketplace == "":
		u.disabled = "self-update needs marketplace_url in the agent config"
	case len(keys) == 0:
		u.disabled = "self-update needs at least one minisign public key in update.keys; the agent installs no unsigned binary"
	}
	u.status = apitype.UpdateStatus{State: apitype.UpdateIdle, Current: o.Version, Channel: o.Config.Channel, Pin: o.Config.Pin}
	if u.disabled != "" {
		u.status.State, u.status.Error = apitype.UpdateDisabled, u.disabled
	}
	return u, nil
}

// Apply delivers a verified update once no job runs. The receiver stops the agent and calls
// Switcher.Switch; Run sends at most one update and then returns.
func (u *Updater) Apply() <-chan *Staged { return u.apply }

// Status is the updater's state with the record of earlier switches.
func (u *Updater) Status() apitype.UpdateStatus {
	u.mu.Lock()
	st := u.status
	u.mu.Unlock()
	if rec, err := loadRecord(u.o.StateDir); err == nil {
		st.Failed, st.Last = rec.Failed, rec.Last
	} else if st.Error == "" {
		st.Error = err.Error()
	}
	return st
}

func (u *Updater) setStatus(f func(*apitype.UpdateStatus)) {
	u.mu.Lock()
	f(&u.status)
	u.mu.Unlock()
}

// Run checks on the schedule (update.check_interval, with some jitter so that a fleet does not
// ask at once) and hands a staged update to Apply once no job runs. It returns when ctx ends or
// after it handed over an update.
func (u *Updater) Run(ctx context.Context) {
	if u.disabled != "" {
		u.o.Logger.Info("self-update is off", "why", u.disabled)
		return
	}
	check := time.NewTimer(u.o.FirstCheck)
	defer check.Stop()
	u.setStatus(func(s *apitype.UpdateStatus) { s.NextCheck = time.Now().Add(u.o.FirstCheck).UTC() })
	idle := time.NewTicker(u.idlePoll)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-check.C:
			if _, err := u.Check(ctx, true); err != nil && ctx.Err() == nil {
				u.o.Logger.Warn("agent update check", "err", err)
			}
			next := jitter(u.o.Config.CheckInterval)
			check.Reset(next)
			u.setStatus(func(s *apitype.UpdateStatus) { s.NextCheck = time.Now().Add(next).UTC() })
		case <-idle.C:
		case <-u.poke:
		}
		if st := u.ready(); st != nil {
			select {
			case u.apply <- st:
				return
			case <-ctx.Done():
				return
			}
		}
	}
}

// ready returns the staged update when it may be applied now: no job runs. An update that waited
// longer than IdleWait is dropped until the next check.
func (u *Updater) ready() *Staged {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.staged == nil {
		return nil
	}
	if !u.o.Jobs.Busy() {
		st := u.staged
		u.staged = nil
		u.status.State, u.status.Error = apitype.UpdateApplying, ""
		u.o.Logger.Info("applying the agent update", "from", u.o.Version, "to", st.Release.Version)
		return st
	}
	if time.Since(u.stagedAt) > u.o.IdleWait {
		u.o.Logger.Info("jobs kept running; the agent update waits for the next check", "version", u.staged.Release.Version, "waited", u.o.IdleWait)
		u.status.State = apitype.UpdateCurrent
		u.status.Error = fmt.Sprintf("update to %s postponed: jobs ran for %v; it is tried again at the next check", u.staged.Release.Version, u.o.IdleWait)
		u.staged = nil
	}
	return nil
}

// Check asks the marketplace now. With apply, a verified newer binary is staged and applied as
// soon as no job runs (the answer's State is UpdateWaiting); without, the answer says what is
// available. A refused release is an *Error; nothing is written to disk either way.
func (u *Updater) Check(ctx context.Context, apply bool) (apitype.UpdateStatus, error) {
	if u.disabled != "" {
		return u.Status(), unavailable(u.disabled, nil)
	}
	select {
	case u.sem <- struct{}{}:
		defer func() { <-u.sem }()
	case <-ctx.Done():
		return u.Status(), ctx.Err()
	}
	st, err := u.check(ctx, apply)
	now := time.Now().UTC()
	u.setStatus(func(s *apitype.UpdateStatus) {
		s.LastCheck = now
		switch {
		case err != nil:
			s.State, s.Error = apitype.UpdateFailed, err.Error()
		case st == nil:
			s.State, s.Error, s.Available = apitype.UpdateCurrent, "", ""
		case !apply:
			s.State, s.Error, s.Available = apitype.UpdateFound, "", st.Release.Version
		default:
			s.State, s.Error, s.Available = apitype.UpdateWaiting, "", st.Release.Version
		}
	})
	if err == nil && st != nil && apply {
		u.mu.Lock()
		u.staged, u.stagedAt = st, time.Now()
		u.mu.Unlock()
		select {
		case u.poke <- struct{}{}:
		default:
		}
	}
	return u.Status(), err
}

// check finds, downloads and verifies the release to install; nil when there is none.
func (u *Updater) check(ctx context.Context, apply bool) (*Staged, error) {
	c := u.o.Config
	list, err := fetchReleases(ctx, u.o.HTTPClient, u.o.Marketplace, u.o.GOOS, u.o.GOARCH, c.Channel)
	if err != nil {
		return nil, err
	}
	rel, err := pick(list, u.o.Version, c.Pin, c.Channel)
	if err != nil || rel == nil {
		return nil, err
	}
	rec, err := loadRecord(u.o.StateDir)
	if err != nil {
		return nil, err
	}
	if f, ok := rec.failed(rel.Version); ok {
		return nil, refused(CodeFailedVer, fmt.Sprintf("agent %s was installed at %s and rolled back (%s); it is not tried again, the agent waits for a newer release", rel.Version, f.At.Format(time.RFC3339), f.Reason), nil)
	}
	data, sum, err := download(ctx, u.o.HTTPClient, u.o.Marketplace, rel, u.o.MaxBinary)
	if err != nil {
		return nil, err
	}
	if err := verify(rel, data, sum, u.keys); err != nil {
		u.o.Logger.Warn("refused an agent update", "version", rel.Version, "err", err)
		return nil, err
	}
	u.o.Logger.Info("agent update verified", "version", rel.Version, "sha256", hexSum(sum), "apply", apply)
	return &Staged{Release: *rel, Binary: data, Sum: sum}, nil
}

// jitter spreads d by ±10%.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + rand.N(d/5+1)
}
