// Package conform is the silent-install conformance harness behind `iscdesk-pack test`. It drives
// the real engine (installer/engine) over a vendor's package folder in a sandbox: fresh install,
// detection, an overwrite install, installs cut off by SIGKILL at seeded points and finished by
// recovery, uninstall, a leftover scan, a second uninstall, and a cut-off uninstall. Each step is a
// Check with a verdict, a duration, and, when it fails, the reason and the fix in a vendor's words.
//
// Cut-off steps run the engine in a child process (Config.ChildCommand, which calls RunChild), so
// that the kill is as real as a power cut: the engine and the vendor's process tree die together,
// and recovery starts from the journal alone.
package conform

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/installer/detect"
	"github.com/iscdesk/iscdesk/installer/engine"
	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/packaging/toolkit/lint"
)

// DefaultPoints is how many cut-off installs the harness runs when Config.Points is zero.
const DefaultPoints = 3

// Config is one run of the harness.
type Config struct {
	// Dir is the package folder (package.yaml and its files).
	Dir string
	// Seed chooses the kill points; the same seed on the same package gives the same points.
	Seed uint64
	// Points is the number of cut-off installs; DefaultPoints when zero, none when negative.
	Points int
	// Root is the install root; default a folder in the sandbox.
	Root string
	// Keep leaves the sandbox (journal, job logs, install root) for inspection.
	Keep bool
	// ChildCommand runs conform.RunChild in a new process (argv; ChildEnv is set for it).
	ChildCommand []string
	// Watch are the folders scanned, besides the sandbox's HOME and TMPDIR, for files created outside
	// the install folder; nil means a few system folders (/opt, /usr/local, /etc; ProgramData
	// and Program Files on windows), an empty slice none (tests running in parallel share /tmp).
	Watch []WatchDir
	// StepTimeout bounds one engine job; default twice the package's timeout plus 30 s, at most 30 min.
	StepTimeout time.Duration
	// GOOS and GOARCH choose the package's platform; default this machine's.
	GOOS, GOARCH string
	// Progress, when set, is called as each check ends.
	Progress func(Check)
}

// harness is one run: the package, the sandbox and the report being filled in.
type harness struct {
	cfg        Config
	m          *manifest.Manifest
	p          *manifest.Platform
	lint       *lint.Report
	sandbox    string
	home, tmp  string
	engine     engine.Config
	installDir string
	report     *Report
	rng        *rand.Rand
	// What earlier steps found out, for later ones.
	installRun, uninstallRun time.Duration // how long the vendor's install and uninstall commands ran
	strays                   []string      // warnings about processes a step left running
	before                   snapshot
}

// Run runs every check on the package in cfg.Dir. The error is for a harness that could not run at
// all (no package.yaml that parses, no sandbox); a package that fails checks is a Report that did
// not pass.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.GOOS == "" {
		cfg.GOOS, cfg.GOARCH = runtime.GOOS, runtime.GOARCH
	}
	if cfg.Points == 0 {
		cfg.Points = DefaultPoints
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("test %s: %w", cfg.Dir, err)
	}
	cfg.Dir = dir
	m, err := manifest.Load(filepath.Join(dir, "package.yaml"))
	if err != nil {
		return nil, fmt.Errorf("test %s: package.yaml does not parse; run `iscdesk-pack lint %s` and fix it first:\n%w", cfg.Dir, cfg.Dir, err)
	}
	p, err := m.For(cfg.GOOS, cfg.GOARCH)
	if err != nil {
		return nil, fmt.Errorf("test %s: %w; the harness runs the package on this machine", cfg.Dir, err)
	}
	lr, err := lint.Dir(dir)
	if err != nil {
		return nil, fmt.Errorf("test %s: %w", cfg.Dir, err)
	}
	if cfg.StepTimeout == 0 {
		cfg.StepTimeout = min(2*p.Timeout+30*time.Second, 30*time.Minute)
	}
	sandbox, err := os.MkdirTemp("", "iscdesk-conform-"+m.ID+"-")
	if err != nil {
		return nil, fmt.Errorf("test %s: creating the sandbox: %w", cfg.Dir, err)
	}
	h := &harness{cfg: cfg, m: m, p: p, lint: lr, sandbox: sandbox,
		home: filepath.Join(sandbox, "home"), tmp: filepath.Join(sandbox, "tmp"),
		rng: newRand(cfg.Seed),
		report: &Report{Package: m.ID, Version: m.Version, Platform: p.Key, Dir: dir, Seed: cfg.Seed,
			Points: max(cfg.Points, 0), Started: time.Now()}}
	root := cfg.Root
	if root == "" {
		root = filepath.Join(sandbox, "root")
	}
	for _, d := range []string{h.home, h.tmp, root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("test %s: creating the sandbox folder %s: %w", cfg.Dir, d, err)
		}
	}
	h.engine = engine.Config{
		StateDir: filepath.Join(sandbox, "state"), InstallRoot: root, GOOS: cfg.GOOS, GOARCH: cfg.GOARCH,
		Env:        []string{"HOME=" + h.home, "TMPDIR=" + h.tmp, "TMP=" + h.tmp, "TEMP=" + h.tmp},
		StrayGrace: time.Second,
	}
	h.installDir = filepath.Join(root, m.ID)
	extra := cfg.Watch
	if extra == nil {
		extra = systemWatch()
	}
	h.cfg.Watch = append([]WatchDir{{h.home, 8}, {h.tmp, 8}}, extra...)

	h.run(ctx)

	h.report.Duration = time.Since(h.report.Started)
	h.killPackageProcesses()
	if cfg.Keep {
		h.report.Sandbox = sandbox
	} else if err := os.RemoveAll(sandbox); err != nil {
		return h.report, fmt.Errorf("removing the sandbox %s: %w", sandbox, err)
	}
	return h.report, ctx.Err()
}

// run takes the steps in order; a step whose ground was not laid is skipped with the reason.
func (h *harness) run(ctx context.Context) {
	h.before = takeSnapshot(h.cfg.Watch, h.excluded())
	installed := h.check(CheckInstall, "fresh install", func(c *Check) { h.freshInstall(ctx, c) })
	if !installed {
		for _, name := range []string{CheckDetectInstalled, CheckOverwrite} {
			h.skip(name, "the fresh install failed; fix that first")
		}
		for i := 1; i <= h.report.Points; i++ {
			h.skip(fmt.Sprintf("%s-%d", CheckInterruptInstall, i), "the fresh install failed; fix that first")
		}
		for _, name := range []string{CheckUninstall, CheckDetectAbsent, CheckLeftoverFiles, CheckLeftoverOutside} {
			h.skip(name, "the fresh install failed; fix that first")
		}
		h.check(CheckLeftoverProcesses, "no process of the package left running", h.leftoverProcesses)
		for _, name := range []string{CheckUninstallAgain, CheckInterruptUninstall, CheckDetectAbsentFinal} {
			h.skip(name, "the fresh install failed; fix that first")
		}
		return
	}
	h.check(CheckDetectInstalled, "detection finds the installed package", func(c *Check) { h.detectIs(ctx, c, true, "after the fresh install") })
	h.check(CheckOverwrite, "install again over the installed package (overwrite)", func(c *Check) { h.overwrite(ctx, c) })
	for i := 0; i < h.report.Points; i++ {
		h.check(fmt.Sprintf("%s-%d", CheckInterruptInstall, i+1), fmt.Sprintf("install cut off at point %d of %d, then recovered", i+1, h.report.Points),
			func(c *Check) { h.interruptedInstall(ctx, c, i) })
	}
	uninstalled := h.check(CheckUninstall, "uninstall", func(c *Check) { h.uninstall(ctx, c) })
	h.check(CheckDetectAbsent, "detection no longer finds the package", func(c *Check) { h.detectIs(ctx, c, false, "after the uninstall") })
	h.check(CheckLeftoverFiles, "no files left in the install folder", h.leftoverFiles)
	h.check(CheckLeftoverOutside, "no files left outside the install folder", h.leftoverOutside)
	h.check(CheckLeftoverProcesses, "no process of the package left running", h.leftoverProcesses)
	h.check(CheckUninstallAgain, "uninstall a second time, on the uninstalled package", func(c *Check) { h.uninstallAgain(ctx, c) })
	if !uninstalled && h.uninstallRun == 0 {
		h.skip(CheckInterruptUninstall, "the uninstall did not run; fix that first")
		h.skip(CheckDetectAbsentFinal, "the uninstall did not run; fix that first")
		return
	}
	recovered := h.check(CheckInterruptUninstall, "uninstall cut off, then recovered", func(c *Check) { h.interruptedUninstall(ctx, c) })
	if !recovered {
		h.skip(CheckDetectAbsentFinal, "the cut-off uninstall did not recover")
		return
	}
	h.check(CheckDetectAbsentFinal, "detection no longer finds the package after the recovered uninstall",
		func(c *Check) { h.detectIs(ctx, c, false, "after the recovered uninstall") })
}

// check runs one step, times it and records it; it reports whether the step passed.
func (h *harness) check(name, title string, fn func(c *Check)) bool {
	c := Check{Name: name, Title: title, Status: StatusPass}
	start := time.Now()
	fn(&c)
	c.Duration = time.Since(start)
	h.record(c)
	return c.Status == StatusPass
}

func (h *harness) skip(name, why string) {
	h.record(Check{Name: name, Title: name, Status: StatusSkip, Detail: "skipped: " + why})
}

func (h *harness) record(c Check) {
	h.report.Checks = append(h.report.Checks, c)
	if h.cfg.Progress != nil {
		h.cfg.Progress(c)
	}
}

// fail marks c failed with the vendor's reason and fix.
func fail(c *Check, reason, fix string) {
	c.Status, c.Reason, c.Fix = StatusFail, reason, fix
	if c.Detail == "" {
		c.Detail = reason
	}
}

// excluded are the sandbox folders that the engine itself writes, never leftovers.
func (h *harness) excluded() []string {
	return []string{h.engine.StateDir, h.engine.InstallRoot}
}

// jobRun is one engine job run in this process, with the times of its vendor steps.
type jobRun struct {
	job      *journal.Job
	err      error
	stepTime map[string]time.Duration // phase → how long its vendor command ran
}

// do runs one job in this process: open the engine, run, close. The journal is closed between
// jobs because a child engine must be able to open it.
func (h *harness) do(ctx context.Context, req engine.Request) jobRun {
	// At the step timeout the job is cancelled (ErrCancelled), not left for a recovery.
	ctx, cancel := context.WithTimeoutCause(ctx, h.cfg.StepTimeout, engine.ErrCancelled)
	defer cancel()
	started := map[string]time.Time{}
	r := jobRun{stepTime: map[string]time.Duration{}}
	cfg := h.engine
	cfg.Events = func(ev engine.Event) {
		phase, what, ok := strings.Cut(strings.TrimPrefix(ev.Point, "installing/"), ":")
		if !ok {
			return
		}
		switch what {
		case "started":
			started[phase] = time.Now()
		case "exited":
			r.stepTime[phase] += time.Since(started[phase])
		}
	}
	e, err := engine.Open(cfg)
	if err != nil {
		r.err = err
		return r
	}
	defer e.Close()
	r.job, r.err = e.Do(ctx, req)
	if r.job != nil {
		h.noteStrays(r.job)
	}
	return r
}

// recoverJob runs the engine's recovery in this process, as an agent does at start, and returns
// the job the child was running as it ended.
func (h *harness) recoverJob(ctx context.Context) (*journal.Job, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, h.cfg.StepTimeout, engine.ErrCancelled)
	defer cancel()
	e, err := engine.Open(h.engine)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if _, err := e.Recover(ctx); err != nil {
		return nil, fmt.Errorf("recovery: %w", err)
	}
	jobs, err := e.Journal().List()
	if err != nil || len(jobs) == 0 {
		return nil, fmt.Errorf("recovery: reading the journal: %v", err)
	}
	h.noteStrays(jobs[0])
	return jobs[0], nil // newest first: the child's
}

func (h *harness) noteStrays(j *journal.Job) {
	for _, w := range j.Warnings {
		if strings.Contains(w, "running; it was killed") {
			h.strays = append(h.strays, w)
		}
	}
	if strings.Contains(j.Reason, "running (") && strings.Contains(j.Reason, "must wait for every process") {
		h.strays = append(h.strays, j.Reason)
	}
}

// installed reports whether the engine's inventory has the package (whatever detection says).
func (h *harness) installed() bool {
	e, err := engine.Open(h.engine)
	if err != nil {
		return false
	}
	defer e.Close()
	_, err = e.Journal().GetInstalled(h.m.ID)
	return err == nil
}

// detect runs the package's detection rules now.
func (h *harness) detect(ctx context.Context) (detect.Result, error) {
	return detect.New().Detect(ctx, h.p.Detect, h.vars(manifest.Vars{Mode: "detect"}))
}

func (h *harness) vars(v manifest.Vars) manifest.Vars {
	v.InstallDir, v.PackageDir, v.Version, v.ID = h.installDir, h.cfg.Dir, h.m.Version, h.m.ID
	if v.LogFile == "" {
		v.LogFile = filepath.Join(h.sandbox, "vendor.log")
	}
	return v
}

// newRand is the source of kill points: the same seed gives the same points.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// minCuttable is the shortest vendor step that the harness cuts in its middle; a faster one is cut
// the moment it starts, which is the only moment a kill can still find it running.
const minCuttable = 200 * time.Millisecond

// killPoint is when the i-th of n cuts falls in a step that runs d: spread over the run, jittered
// by the seed.
func (h *harness) killPoint(i, n int, d time.Duration) time.Duration {
	frac := (float64(i) + 0.15 + 0.7*h.rng.Float64()) / float64(n)
	if d < minCuttable {
		return 0
	}
	return time.Duration(frac * float64(d))
}

// killPackageProcesses ends what the package left running, so that the harness leaves nothing behind.
func (h *harness) killPackageProcesses() {
	for _, p := range processesWith("ISCDESK_INSTALL_DIR=" + h.installDir) {
		if pr, err := os.FindProcess(p.PID); err == nil {
			_ = pr.Kill()
		}
	}
}

// process is a running process of the package.
type process struct {
	PID     int
	Command string
}

func errString(err error) string {
	if err == nil {
		return "no reason given"
	}
	return err.Error()
}

func jobReason(r jobRun) string {
	if r.job != nil {
		return fmt.Sprintf("%s: %s", r.job.State, r.job.Reason)
	}
	return errString(r.err)
}

func rebootNote(j *journal.Job) string {
	if j.RebootRequired {
		return "; it asks for a reboot"
	}
	return ""
}

func notDetected(j *journal.Job, res detect.Result, err error) string {
	switch {
	case err != nil:
		return "detection could not run: " + err.Error()
	case j.State == journal.StateDone && !res.Installed:
		return "detection does not find the package"
	case j.State == journal.StateDone:
		return "the package is installed"
	}
	return "the job ended " + string(j.State) + " and detection does not find the package"
}

func describeRules(res detect.Result) string {
	var parts []string
	for _, r := range res.Rules {
		state := "holds"
		if !r.Held {
			state = "does not hold"
		}
		part := r.Rule + " " + state
		if r.Detail != "" {
			part += " (" + r.Detail + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

func listed(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

func lastLines(tail string) string {
	tail = strings.TrimSpace(tail)
	if tail == "" {
		return ""
	}
	ls := strings.Split(tail, "\n")
	if len(ls) > 3 {
		ls = ls[len(ls)-3:]
	}
	return "; it said: " + strings.Join(ls, " / ")
}
