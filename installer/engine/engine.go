// Package engine installs, uninstalls, repairs and overwrite-installs packages, journaling every step
// before it takes it, so that a job cut off by a crash, a kill, a power loss or a reboot is finished by
// Recover when the process starts again.
//
// A job walks through the journal's states:
//
//	queued → staging → staged → installing (phase cleanup|install|uninstall; attempt, pid) → detecting → done | failed | cancelled
//
// The engine knows no marketplace and no HTTP API: it is handed a package folder, and the caller (the
// agent) decides whether that package may be trusted. What counts as installed is what detection finds,
// never what the journal hoped.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/installer/detect"
	"github.com/iscdesk/iscdesk/installer/fetch"
	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/ticket"
)

// Phases of the installing state.
const (
	PhaseCleanup   = "cleanup"   // overwrite: the uninstall command, then removal of the install folder
	PhaseInstall   = "install"   // the install command
	PhaseUninstall = "uninstall" // the uninstall command
)

// Modes passed to vendor commands as ISCDESK_MODE.
const (
	ModeInstall   = "install"
	ModeContinue  = "continue"
	ModeOverwrite = "overwrite"
	ModeUninstall = "uninstall"
)

// maxAttempts bounds how often one step is started again after interruptions, so that a package whose
// install takes the machine down every time does not loop for ever.
const maxAttempts = 5

// Detector decides whether a package is installed (installer/detect in production).
type Detector interface {
	Detect(ctx context.Context, rules []manifest.DetectRule, v manifest.Vars) (detect.Result, error)
}

// Event tells a watcher that a job moved on. The agent forwards them to its event stream.
type Event struct {
	Job journal.Job
	// Point names the journal point for programs ("installing/install:started"); empty on progress reports.
	Point   string
	Message string // for people, e.g. "installing: the vendor's installer is running (pid 4242)"
	// Progress is set on progress reports of a download or an extraction.
	Progress *Progress
}

// Config is what an Engine needs. StateDir and InstallRoot are required.
type Config struct {
	// StateDir holds journal.db, staged packages (packages/), job logs (logs/) and the machine lock.
	// It is created 0700: staged packages run as root and must not be writable by others.
	StateDir string
	// InstallRoot is the folder under which each package gets <InstallRoot>/<id>.
	InstallRoot string
	// LockPath is the machine-wide lock that lets one install step run at a time; default StateDir/install.lock.
	LockPath string
	// GOOS and GOARCH choose the package's platform entry; default runtime's.
	GOOS, GOARCH string
	// Env is added to the environment of vendor commands (KEY=VALUE).
	Env []string
	// Detector; default detect.New().
	Detector Detector
	// Events, when set, is called after every journaled change, from the goroutine running the job.
	Events func(Event)
	Logger *slog.Logger
	// LogCap caps the output of one step kept in the job log; default 8 MiB.
	LogCap int64
	// StrayGrace is how long processes of a step may outlive it; default 2 s.
	StrayGrace time.Duration

	// Keyring holds the marketplace keys whose tickets are trusted. Without it every ticket is refused.
	Keyring *ticket.Keyring
	// Fetcher downloads the packages tickets name. The engine sets its Progress to report downloads.
	Fetcher *fetch.Fetcher
	// Now is the clock tickets are judged by; default time.Now.
	Now func() time.Time
	// RetryBackoff says how long a job whose installer said "retry later" waits before its retry
	// number n (1, 2, ...); default 30 s doubling up to 30 min. MaxRetries bounds them (default 5).
	RetryBackoff func(n int) time.Duration
	MaxRetries   int
	// KeepJobs is how many finished jobs the journal keeps, with their logs; default 1000.
	KeepJobs int
}

// Engine runs jobs. Its methods may be called from several goroutines; each job is run by one at a time.
type Engine struct {
	cfg     Config
	journal *journal.Journal
	log     *slog.Logger

	// afterJournal is a test hook called after each journaled state change, with a name for the point
	// ("staging", "installing/install:started", ...). The crash test blocks in it and is killed there.
	afterJournal func(point string, j *journal.Job)

	// mu guards the fields that follow.
	mu           sync.Mutex
	running      map[string]func()       // job ids being run in this process → cancel them by request
	fetchingJobs map[string]*journal.Job // package URL → the job downloading it, for progress
}

// Open opens (or creates) the state folder and its journal.
func Open(cfg Config) (*Engine, error) {
	if cfg.StateDir == "" || cfg.InstallRoot == "" {
		return nil, errors.New("engine: StateDir and InstallRoot must be set")
	}
	if cfg.GOOS == "" {
		cfg.GOOS = runtime.GOOS
	}
	if cfg.GOARCH == "" {
		cfg.GOARCH = runtime.GOARCH
	}
	if cfg.LockPath == "" {
		cfg.LockPath = filepath.Join(cfg.StateDir, "install.lock")
	}
	if cfg.Detector == nil {
		cfg.Detector = detect.New()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, d := range []string{cfg.StateDir, filepath.Join(cfg.StateDir, "packages"), filepath.Join(cfg.StateDir, "logs")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("engine: create state folder: %w", err)
		}
		// MkdirAll keeps the mode of a folder that exists: make sure nobody else can write here.
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, fmt.Errorf("engine: make %s root-only: %w", d, err)
		}
	}
	if err := os.MkdirAll(cfg.InstallRoot, 0o755); err != nil {
		return nil, fmt.Errorf("engine: create install root: %w", err)
	}
	j, err := journal.Open(filepath.Join(cfg.StateDir, "journal.db"))
	if err != nil {
		return nil, err
	}
	if cfg.RetryBackoff == nil {
		cfg.RetryBackoff = func(n int) time.Duration {
			return min(30*time.Second<<min(n-1, 10), 30*time.Minute)
		}
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 5
	}
	if cfg.KeepJobs == 0 {
		cfg.KeepJobs = 1000
	}
	e := &Engine{cfg: cfg, journal: j, log: cfg.Logger, running: map[string]func(){}, fetchingJobs: map[string]*journal.Job{}}
	if cfg.Fetcher != nil {
		cfg.Fetcher.Progress = e.fetchProgress
	}
	return e, nil
}

// Close closes the journal. Jobs still running are cut off: Recover finishes them next time.
func (e *Engine) Close() error { return e.journal.Close() }

// Journal gives read access to jobs and the inventory record.
func (e *Engine) Journal() *journal.Journal { return e.journal }

// Request asks for a job.
type Request struct {
	Action journal.Action
	// Source is the package folder to install from (install and overwrite; optional for repair).
	Source string
	// PackageID names the installed package (uninstall and repair).
	PackageID string
	// Ticket is a signed release ticket (install, overwrite, repair from a fresh download): the
	// package is fetched from its URLs and verified against it.
	Ticket []byte
	// AllowDowngrade lets a ticket install a lower version than the installed one.
	AllowDowngrade bool
	// Priority orders queued jobs for the caller's queue; the engine only keeps it.
	Priority int
}

// Submit journals a queued job for req after checking that it can run. It does not run it.
func (e *Engine) Submit(req Request) (*journal.Job, error) {
	if !req.Action.Valid() {
		return nil, fmt.Errorf("unknown action %q; use install, uninstall, repair or overwrite", req.Action)
	}
	job := &journal.Job{Action: req.Action, Source: req.Source, Priority: req.Priority}
	switch {
	case len(req.Ticket) > 0:
		if req.Action == journal.ActionUninstall {
			return nil, errors.New("an uninstall takes a product name, not a ticket")
		}
		t, err := e.verifyTicket(req.Ticket, req.AllowDowngrade || req.Action == journal.ActionRepair)
		if err != nil {
			return nil, err
		}
		if req.Action == journal.ActionRepair {
			in, err := e.journal.GetInstalled(t.Product)
			if err != nil || in.Version != t.Version {
				return nil, &RefusedError{fmt.Errorf("repair %s: the ticket is for version %s, which is not the installed one; install it instead", t.Product, t.Version)}
			}
		}
		job.PackageID, job.Name, job.Version = t.Product, t.Name, t.Version
		job.Ticket, job.AllowDowngrade, job.Source = req.Ticket, req.AllowDowngrade, t.URLs[0]
	case req.Action == journal.ActionInstall || req.Action == journal.ActionOverwrite:
		if req.Source == "" {
			return nil, fmt.Errorf("%s needs a package folder", req.Action)
		}
		m, p, err := e.readManifest(filepath.Join(req.Source, "package.yaml"))
		if err != nil {
			return nil, err
		}
		if _, err := p.InstallCommand(manifest.Vars{}); err != nil {
			return nil, fmt.Errorf("%s: %w", m.File, err)
		}
		job.PackageID, job.Name, job.Version = m.ID, m.Name, m.Version
	default: // uninstall or repair of an installed package, from its kept package
		in, err := e.journal.GetInstalled(req.PackageID)
		if err != nil {
			return nil, fmt.Errorf("%s %q: it was not installed by ISCDesk on this machine: %w", req.Action, req.PackageID, err)
		}
		job.PackageID, job.Name, job.Version = in.ID, in.Name, in.Version
		if req.Source == "" {
			job.PackageDir = in.PackageDir
		}
	}
	if err := e.refuseSecondJob(job.PackageID); err != nil {
		return nil, err
	}
	job.InstallDir = filepath.Join(e.cfg.InstallRoot, job.PackageID)
	if err := e.journal.Create(job); err != nil {
		return nil, err
	}
	logFile := filepath.Join(e.cfg.StateDir, "logs", job.ID+".log")
	job, err := e.journal.Update(job.ID, func(j *journal.Job) error { j.LogFile = logFile; return nil })
	if err != nil {
		return nil, err
	}
	e.emit(job, "queued", "")
	return job, nil
}

// refuseSecondJob keeps two jobs of one package from running at once.
func (e *Engine) refuseSecondJob(id string) error {
	open, err := e.journal.Unfinished()
	if err != nil {
		return err
	}
	for _, o := range open {
		if o.PackageID == id {
			return &ConflictError{Product: id, JobID: o.ID,
				msg: fmt.Sprintf("%s already has job %s (%s, %s); wait for it to finish or cancel it", id, o.ID, o.Action, o.State)}
		}
	}
	return nil
}

// Do submits req and runs it to its end.
func (e *Engine) Do(ctx context.Context, req Request) (*journal.Job, error) {
	job, err := e.Submit(req)
	if err != nil {
		return nil, err
	}
	return e.Run(ctx, job.ID)
}

// Run drives one job from the state the journal has for it to a final state. The returned error is
// the job's failure (also in the journal) or a failure to journal; a job that ended failed or cancelled
// always comes with an error.
func (e *Engine) Run(ctx context.Context, id string) (*journal.Job, error) {
	return e.runUntil(ctx, id, func(s journal.State) bool { return s.Final() })
}

// Prepare takes a job as far as staged: download, verification, staging. It runs no vendor code and
// takes no machine lock, so several jobs may prepare at once while one installs.
func (e *Engine) Prepare(ctx context.Context, id string) (*journal.Job, error) {
	return e.runUntil(ctx, id, func(s journal.State) bool {
		return s != journal.StateQueued && s != journal.StateFetching && s != journal.StateStaging
	})
}

// ErrCancelled is the cause of a job cancelled by request. Give it to the context of a running job
// (context.WithCancelCause) to cancel the job; a context cancelled for any other reason (the agent
// stopping) leaves the job as journaled, for recovery to finish at the next start.
var ErrCancelled = errors.New("cancelled by request")

// runUntil takes steps of one job until stop says so, or the job waits for a retry.
func (e *Engine) runUntil(ctx context.Context, id string, stop func(journal.State) bool) (*journal.Job, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e.mu.Lock()
	if e.running[id] != nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("job %s is already running", id)
	}
	e.running[id] = func() { cancel(ErrCancelled) }
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.running, id)
		e.mu.Unlock()
	}()

	job, err := e.journal.Get(id)
	if err != nil {
		return nil, err
	}
	for !stop(job.State) {
		if job.State == journal.StateWaitingRetry {
			if e.now().Before(job.RetryAt) {
				return job, fmt.Errorf("%w: job %s runs again at %s", ErrRetryLater, job.ID, job.RetryAt.UTC().Format(time.RFC3339))
			}
			if job, err = e.move(job, journal.StateStaged, "", ""); err != nil {
				return job, err
			}
			continue
		}
		next, err := e.step(ctx, job)
		if err != nil {
			if ctx.Err() != nil && !errors.Is(context.Cause(ctx), ErrCancelled) {
				// Stopped, not cancelled: the journal keeps the step, and recovery finishes it.
				return job, fmt.Errorf("job %s stopped at %s, to be finished at the next start: %w", id, job.State, context.Cause(ctx))
			}
			return e.finish(job, err)
		}
		job = next
	}
	if job.State.Final() {
		e.pruneJobs()
		return job, JobErr(job)
	}
	return job, nil
}

// Cancel ends a job that has not finished. A job running in this process is stopped through its
// context (a vendor step is killed, tree and all) and journaled cancelled by its runner; any other is
// journaled cancelled here.
func (e *Engine) Cancel(id, why string) (*journal.Job, error) {
	e.mu.Lock()
	stop := e.running[id]
	e.mu.Unlock()
	if stop != nil {
		stop()
		return e.journal.Get(id)
	}
	job, err := e.journal.Get(id)
	if err != nil {
		return nil, err
	}
	if job.State.Final() {
		return job, fmt.Errorf("job %s has already ended (%s)", id, job.State)
	}
	if why == "" {
		why = "cancelled"
	}
	return e.update(job, "cancelled", func(j *journal.Job) {
		j.State, j.Outcome, j.Reason = journal.StateCancelled, string(manifest.OutcomeCancelled), why
		j.PID, j.PIDStart, j.StepToken = 0, 0, ""
	})
}

// Unfinished lists the jobs a start must finish, oldest first (waiting retries included).
func (e *Engine) Unfinished() ([]*journal.Job, error) { return e.journal.Unfinished() }

// step takes the one step that follows job's state, and returns the job as journaled after it.
func (e *Engine) step(ctx context.Context, job *journal.Job) (*journal.Job, error) {
	switch job.State {
	case journal.StateQueued:
		return e.queued(job)
	case journal.StateFetching:
		return e.fetching(ctx, job)
	case journal.StateStaging:
		return e.stageJob(ctx, job)
	case journal.StateStaged:
		return e.startSteps(ctx, job)
	case journal.StateInstalling:
		return e.installing(ctx, job)
	case journal.StateDetecting:
		return e.detecting(ctx, job)
	}
	return nil, fmt.Errorf("job %s is in unknown state %q", job.ID, job.State)
}

// queued decides where the package runs from: a repair or uninstall runs from the kept package.
func (e *Engine) queued(job *journal.Job) (*journal.Job, error) {
	if job.PackageDir != "" && job.Source == "" && len(job.Ticket) == 0 {
		return e.move(job, journal.StateStaged, "", "")
	}
	dst := filepath.Join(e.cfg.StateDir, "packages", fmt.Sprintf("%s-%s-%s", job.PackageID, job.Version, job.ID))
	if len(job.Ticket) > 0 {
		return e.update(job, "fetching", func(j *journal.Job) {
			j.State, j.PackageDir = journal.StateFetching, dst
		})
	}
	return e.update(job, "staging", func(j *journal.Job) {
		j.State, j.PackageDir = journal.StateStaging, dst
	})
}

// finish journals err as the end of job, unless it was journaled already.
func (e *Engine) finish(job *journal.Job, err error) (*journal.Job, error) {
	var jerr *journalError
	if errors.As(err, &jerr) {
		return job, err // the journal itself failed: nothing more can be written
	}
	state := journal.StateFailed
	outcome := string(manifest.OutcomeFailed)
	var se *stepError
	if errors.As(err, &se) && se.outcome != "" {
		outcome = string(se.outcome)
		if se.outcome == manifest.OutcomeCancelled {
			state = journal.StateCancelled
		}
	}
	var re *RefusedError
	if errors.As(err, &re) {
		outcome = "refused"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrCancelled) {
		state, outcome = journal.StateCancelled, string(manifest.OutcomeCancelled)
	}
	done, uerr := e.update(job, string(state), func(j *journal.Job) {
		j.State, j.Outcome, j.Reason = state, outcome, err.Error()
		j.PID, j.PIDStart, j.StepToken = 0, 0, ""
	})
	if uerr != nil {
		return job, errors.Join(err, uerr)
	}
	return done, err
}

// update journals fn's change to job (fsynced) and tells watchers. point names the change for the test hook.
func (e *Engine) update(job *journal.Job, point string, fn func(j *journal.Job)) (*journal.Job, error) {
	next, err := e.journal.Update(job.ID, func(j *journal.Job) error { fn(j); return nil })
	if err != nil {
		return job, &journalError{err}
	}
	e.emit(next, point, "")
	if e.afterJournal != nil {
		e.afterJournal(point, next)
	}
	return next, nil
}

func (e *Engine) move(job *journal.Job, s journal.State, phase, mode string) (*journal.Job, error) {
	point := string(s)
	if phase != "" {
		point += "/" + phase
	}
	return e.update(job, point, func(j *journal.Job) { j.State, j.Phase, j.Mode = s, phase, mode })
}

// emit tells the log and the watcher that job reached point; msg, when empty, is said for the point.
func (e *Engine) emit(job *journal.Job, point, msg string) {
	if msg == "" {
		msg = describe(point, job)
	}
	e.log.Info("job", "id", job.ID, "package", job.PackageID, "action", job.Action, "state", job.State, "phase", job.Phase, "point", point, "msg", msg)
	if e.cfg.Events != nil {
		e.cfg.Events(Event{Job: *job, Point: point, Message: msg})
	}
}

// describe says in words what reaching a journal point means.
func describe(point string, j *journal.Job) string {
	what := fmt.Sprintf("%s %s", j.PackageID, j.Version)
	switch point {
	case "queued":
		return fmt.Sprintf("%s of %s is queued", j.Action, what)
	case "fetching":
		return "downloading " + what
	case "staging":
		return "verifying and unpacking " + what
	case "staged":
		return what + " is verified and ready"
	case "resumed":
		if n := len(j.Warnings); n > 0 {
			return j.Warnings[n-1]
		}
		return "resuming a step that was cut off"
	case "detecting":
		return "checking that " + what + " is there"
	case "waiting_retry":
		return j.Reason
	case "done":
		if j.RebootRequired {
			return what + ": done; restart the computer to finish"
		}
		return what + ": done"
	case "failed", "cancelled":
		return j.Reason
	}
	step, sub, _ := strings.Cut(point, ":")
	phase := strings.TrimPrefix(step, "installing/")
	name := map[string]string{PhaseInstall: "install", PhaseCleanup: "clean-up before a fresh install", PhaseUninstall: "uninstall"}[phase]
	switch sub {
	case "starting":
		return fmt.Sprintf("starting the %s of %s (attempt %d, mode %s)", name, what, j.Attempt, j.Mode)
	case "started":
		return fmt.Sprintf("the %s of %s is running (pid %d)", name, what, j.PID)
	case "exited":
		return fmt.Sprintf("the %s of %s exited with code %d (%s)", name, what, j.ExitCode, j.Outcome)
	}
	if name != "" {
		return fmt.Sprintf("%s of %s (mode %s)", name, what, j.Mode)
	}
	return point
}

// journalError marks a failure to write the journal: the job cannot be journaled as failed either.
type journalError struct{ err error }

func (e *journalError) Error() string { return "journal: " + e.err.Error() }
func (e *journalError) Unwrap() error { return e.err }

// stepError is a step that ended in an outcome other than success.
type stepError struct {
	outcome manifest.Outcome
	msg     string
}

func (e *stepError) Error() string { return e.msg }

func failf(outcome manifest.Outcome, format string, a ...any) error {
	return &stepError{outcome: outcome, msg: fmt.Sprintf(format, a...)}
}

// readManifest loads a package.yaml and picks this machine's platform.
func (e *Engine) readManifest(path string) (*manifest.Manifest, *manifest.Platform, error) {
	m, err := manifest.Load(path)
	if err != nil {
		return nil, nil, err
	}
	p, err := m.For(e.cfg.GOOS, e.cfg.GOARCH)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", m.ID, m.Version, err)
	}
	return m, p, nil
}

// vars are the template values for job's steps.
func (e *Engine) vars(job *journal.Job, m *manifest.Manifest, mode string) manifest.Vars {
	return manifest.Vars{
		InstallDir: job.InstallDir,
		PackageDir: job.PackageDir,
		LogFile:    filepath.Join(e.cfg.StateDir, "logs", job.ID+".vendor.log"),
		Version:    m.Version,
		ID:         m.ID,
		Mode:       mode,
	}
}

// lines renders a list for an error message, cut after n items.
func lines(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}
