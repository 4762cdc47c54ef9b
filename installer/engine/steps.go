package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/installer/detect"
	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/machinelock"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/proc"
	"github.com/iscdesk/iscdesk/installer/run"
	"github.com/iscdesk/iscdesk/installer/stage"
)

// stageJob copies the package folder into a root-only folder under the state dir, after checking that
// the install root has the room the package asks for.
func (e *Engine) stageJob(ctx context.Context, job *journal.Job) (*journal.Job, error) {
	// A staging cut off earlier left a partial copy, or a whole one the journal never heard of.
	if err := removeStaged(job.PackageDir); err != nil {
		return nil, err
	}
	if len(job.Ticket) > 0 {
		if err := e.stageArchive(ctx, job); err != nil {
			return nil, err
		}
		return e.move(job, journal.StateStaged, "", "")
	}
	m, p, err := e.readManifest(filepath.Join(job.Source, "package.yaml"))
	if err != nil {
		return nil, err
	}
	if m.ID != job.PackageID || m.Version != job.Version {
		return nil, fmt.Errorf("the package folder %s now holds %s %s, but the job was queued for %s %s; queue it again",
			job.Source, m.ID, m.Version, job.PackageID, job.Version)
	}
	if p.DiskSpace > 0 {
		if err := stage.EnsureSpace(e.cfg.InstallRoot, p.DiskSpace); err != nil {
			return nil, fmt.Errorf("%s %s: %w", m.ID, m.Version, err)
		}
	}
	if err := stage.Dir(ctx, job.Source, job.PackageDir, stage.Options{}); err != nil {
		return nil, fmt.Errorf("staging %s %s from %s: %w", m.ID, m.Version, job.Source, err)
	}
	return e.move(job, journal.StateStaged, "", "")
}

// removeStaged removes a staged package folder and any partial copy of it.
func removeStaged(dir string) error {
	partials, _ := filepath.Glob(dir + ".partial*")
	for _, p := range append(partials, dir) {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("removing the partial staging folder %s: %w", p, err)
		}
	}
	return nil
}

// startSteps chooses the first vendor step of the job's action.
func (e *Engine) startSteps(_ context.Context, job *journal.Job) (*journal.Job, error) {
	switch job.Action {
	case journal.ActionUninstall:
		return e.move(job, journal.StateInstalling, PhaseUninstall, ModeUninstall)
	case journal.ActionOverwrite:
		return e.move(job, journal.StateInstalling, PhaseCleanup, ModeOverwrite)
	case journal.ActionRepair:
		_, p, err := e.readManifest(filepath.Join(job.PackageDir, "package.yaml"))
		if err != nil {
			return nil, err
		}
		if p.OnInterrupt == manifest.OnInterruptContinue {
			return e.move(job, journal.StateInstalling, PhaseInstall, ModeContinue)
		}
		return e.move(job, journal.StateInstalling, PhaseCleanup, ModeOverwrite)
	default:
		return e.move(job, journal.StateInstalling, PhaseInstall, ModeInstall)
	}
}

// installing runs the vendor command of the job's phase. A step that was started before (its token is
// journaled) and never finished was cut off: it is not run blindly again, but resumed as the package says.
func (e *Engine) installing(ctx context.Context, job *journal.Job) (*journal.Job, error) {
	m, p, err := e.readManifest(filepath.Join(job.PackageDir, "package.yaml"))
	if err != nil {
		return nil, err
	}
	if job.StepToken != "" {
		return e.interrupted(job, p)
	}
	if job.Attempt >= maxAttempts {
		return nil, fmt.Errorf("%s %s: the %s step was cut off %d times; giving up. Read the job log %s, then try an overwrite install",
			m.ID, m.Version, job.Phase, job.Attempt, job.LogFile)
	}
	switch job.Phase {
	case PhaseCleanup:
		return e.cleanup(ctx, job, m, p)
	case PhaseUninstall:
		return e.uninstall(ctx, job, m, p)
	default:
		return e.install(ctx, job, m, p)
	}
}

// interrupted ends what is left of a cut-off step and journals how it goes on: an uninstall or a cleanup
// runs again; an install continues over what is there when the package is overwrite-safe, and is
// otherwise cleaned up and installed fresh.
func (e *Engine) interrupted(job *journal.Job, p *manifest.Platform) (*journal.Job, error) {
	killed := e.killLeftovers(job)
	phase, mode := job.Phase, job.Mode
	if job.Phase == PhaseInstall {
		if p.OnInterrupt == manifest.OnInterruptContinue {
			phase, mode = PhaseInstall, ModeContinue
		} else {
			phase, mode = PhaseCleanup, ModeOverwrite
		}
	}
	note := fmt.Sprintf("the %s step (attempt %d, mode %s) was cut off", job.Phase, job.Attempt, job.Mode)
	if killed != "" {
		note += "; " + killed
	}
	note += fmt.Sprintf("; going on with the %s step in mode %s", phase, mode)
	return e.update(job, "resumed", func(j *journal.Job) {
		j.Phase, j.Mode = phase, mode
		j.PID, j.PIDStart, j.StepToken = 0, 0, ""
		j.Warnings = append(j.Warnings, note)
	})
}

// killLeftovers kills the processes of a step that outlived the engine: the step's process group, if its
// leader is the very process that was journaled (pid and start time), and every process carrying the
// step's token. It returns what it did, for the journal.
func (e *Engine) killLeftovers(job *journal.Job) string {
	var victims []int
	if job.PID > 0 && proc.Alive(job.PID, job.PIDStart) {
		victims = append(victims, job.PID)
		if err := proc.KillGroup(job.PID); err != nil {
			e.log.Warn("killing a cut-off installer", "job", job.ID, "pid", job.PID, "err", err)
		}
	}
	for _, pid := range proc.FindByToken(job.StepToken) {
		victims = append(victims, pid)
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
	if len(victims) == 0 {
		return ""
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && (proc.Alive(job.PID, job.PIDStart) || len(proc.FindByToken(job.StepToken)) > 0) {
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Sprintf("its installer was still running (pids %v) and was killed", victims)
}

// cleanup is the first half of an overwrite install: the uninstall command (whose failure does not stop
// us), then removal of the install folder.
func (e *Engine) cleanup(ctx context.Context, job *journal.Job, m *manifest.Manifest, p *manifest.Platform) (*journal.Job, error) {
	var warnings []string
	if exists(job.InstallDir) {
		argv, err := p.UninstallCommand(e.vars(job, m, ModeOverwrite))
		if err != nil {
			return nil, err
		}
		job, res, err := e.runStep(ctx, job, m, p, argv)
		if err != nil {
			return job, err
		}
		if res.Cancelled {
			return job, failf(manifest.OutcomeCancelled, "%s %s: the overwrite install was cancelled during clean-up", m.ID, m.Version)
		}
		if res.Outcome != manifest.OutcomeSuccess && res.Outcome != manifest.OutcomeReboot {
			warnings = append(warnings, fmt.Sprintf("clean-up before the overwrite install: the uninstall command %s; the install folder is removed anyway", res.Reason))
		}
		if err := os.RemoveAll(job.InstallDir); err != nil {
			return job, fmt.Errorf("%s %s: removing %s before the overwrite install: %w", m.ID, m.Version, job.InstallDir, err)
		}
	}
	return e.update(job, "installing/install", func(j *journal.Job) {
		j.Phase, j.Mode = PhaseInstall, ModeOverwrite
		j.PID, j.PIDStart, j.StepToken = 0, 0, ""
		j.Warnings = append(j.Warnings, warnings...)
	})
}

// install runs the install command in the job's mode.
func (e *Engine) install(ctx context.Context, job *journal.Job, m *manifest.Manifest, p *manifest.Platform) (*journal.Job, error) {
	argv, err := p.InstallCommand(e.vars(job, m, job.Mode))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(job.InstallDir, 0o755); err != nil {
		return job, fmt.Errorf("%s %s: create the install folder: %w", m.ID, m.Version, err)
	}
	job, res, err := e.runStep(ctx, job, m, p, argv)
	if err != nil {
		return job, err
	}
	switch res.Outcome {
	case manifest.OutcomeSuccess, manifest.OutcomeReboot:
		reboot := res.Outcome == manifest.OutcomeReboot
		return e.update(job, "detecting", func(j *journal.Job) {
			j.State, j.Phase = journal.StateDetecting, ""
			j.PID, j.PIDStart, j.StepToken = 0, 0, ""
			j.RebootRequired = j.RebootRequired || reboot
		})
	case manifest.OutcomeRetryLater:
		if next, ok, err := e.waitRetry(job, res); ok {
			return next, err
		}
	}
	return job, failf(res.Outcome, "%s %s: the install command %s%s. The log is in %s", m.ID, m.Version, res.Reason, lastOutput(res.Tail), job.LogFile)
}

// uninstall runs the uninstall command and lists what it left in the install folder. Its failure does
// not stop the job: detection decides whether the package is gone.
func (e *Engine) uninstall(ctx context.Context, job *journal.Job, m *manifest.Manifest, p *manifest.Platform) (*journal.Job, error) {
	argv, err := p.UninstallCommand(e.vars(job, m, ModeUninstall))
	if err != nil {
		return nil, err
	}
	job, res, err := e.runStep(ctx, job, m, p, argv)
	if err != nil {
		return job, err
	}
	if res.Cancelled {
		return job, failf(manifest.OutcomeCancelled, "%s %s: the uninstall was cancelled; run it again to finish", m.ID, m.Version)
	}
	if res.Outcome == manifest.OutcomeRetryLater {
		if next, ok, err := e.waitRetry(job, res); ok {
			return next, err
		}
	}
	var warnings []string
	if res.Outcome != manifest.OutcomeSuccess && res.Outcome != manifest.OutcomeReboot {
		warnings = append(warnings, "the uninstall command "+res.Reason)
	}
	left, err := leftovers(job.InstallDir)
	if err != nil {
		warnings = append(warnings, leftoverWarningPrefix+"could not be listed: "+err.Error())
	}
	if len(left) > 0 {
		warnings = append(warnings, leftoverWarning(job.InstallDir, left))
	} else {
		_ = os.Remove(job.InstallDir) // empty: ours to remove
	}
	reboot := res.Outcome == manifest.OutcomeReboot
	return e.update(job, "detecting", func(j *journal.Job) {
		j.State, j.Phase = journal.StateDetecting, ""
		j.PID, j.PIDStart, j.StepToken = 0, 0, ""
		j.ExitCode, j.Outcome = res.ExitCode, string(res.Outcome)
		j.Leftovers = left
		j.Warnings = append(j.Warnings, warnings...)
		j.RebootRequired = j.RebootRequired || reboot
	})
}

// runStep runs one vendor command under the machine lock, journaling the attempt before it starts and
// the process once it runs. It returns an error only when the step could not be run at all.
func (e *Engine) runStep(ctx context.Context, job *journal.Job, m *manifest.Manifest, p *manifest.Platform, argv []string) (*journal.Job, run.Result, error) {
	release, err := machinelock.Acquire(ctx, e.cfg.LockPath, fmt.Sprintf("job %s (%s %s) pid %d", job.ID, job.Action, job.PackageID, os.Getpid()),
		func(heldBy string) {
			if heldBy == "" {
				heldBy = "another job"
			}
			e.emit(job, "waiting", "waiting: another install step is running ("+heldBy+"); this one starts when it ends")
		})
	if err != nil {
		return job, run.Result{}, err
	}
	defer release()

	logf, err := os.OpenFile(job.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return job, run.Result{}, fmt.Errorf("opening the job log: %w", err)
	}
	defer logf.Close()

	// The token is journaled before the process starts: if we die before its pid is journaled, recovery
	// still knows the step was started, and finds its processes by the token in their environment.
	phase, token := job.Phase, newToken()
	job, err = e.update(job, "installing/"+phase+":starting", func(j *journal.Job) {
		j.Attempt++
		j.StepToken = token
		j.PID, j.PIDStart = 0, 0
	})
	if err != nil {
		return job, run.Result{}, err
	}
	fmt.Fprintf(logf, "=== %s %s %s: %s step, mode %s, attempt %d, %s\n=== %q\n",
		time.Now().UTC().Format(time.RFC3339), m.ID, m.Version, phase, job.Mode, job.Attempt, job.ID, argv)

	v := e.vars(job, m, job.Mode)
	var startErr error
	res, err := run.Run(ctx, run.Spec{
		Args:       argv,
		Token:      token,
		Dir:        job.PackageDir,
		Env:        e.cfg.Env,
		Mode:       job.Mode,
		InstallDir: v.InstallDir,
		PackageDir: v.PackageDir,
		LogFile:    v.LogFile,
		Timeout:    p.Timeout,
		Log:        logf,
		LogCap:     e.cfg.LogCap,
		ExitCodes:  p.Outcome,
		StrayGrace: e.cfg.StrayGrace,
		Started: func(pr run.Process) {
			job, startErr = e.update(job, "installing/"+phase+":started", func(j *journal.Job) {
				j.PID, j.PIDStart = pr.PID, pr.StartTime
			})
		},
	})
	if err != nil {
		return job, res, fmt.Errorf("%s %s: %w", m.ID, m.Version, err)
	}
	if startErr != nil {
		return job, res, startErr
	}
	fmt.Fprintf(logf, "=== exit code %d: %s (%s)\n", res.ExitCode, res.Outcome, res.Duration.Round(time.Millisecond))
	job, err = e.update(job, "installing/"+phase+":exited", func(j *journal.Job) {
		j.ExitCode, j.Outcome = res.ExitCode, string(res.Outcome)
		for _, s := range res.Stray {
			j.Warnings = append(j.Warnings, fmt.Sprintf("the %s step left process %d (%s) running; it was killed", phase, s.PID, s.Command))
		}
	})
	return job, res, err
}

// waitRetry journals a job whose installer said "retry later" as waiting for a retry, unless it has
// had its retries; ok is false then, and the job fails.
func (e *Engine) waitRetry(job *journal.Job, res run.Result) (*journal.Job, bool, error) {
	if job.Retries >= e.cfg.MaxRetries {
		return job, false, nil
	}
	at := e.now().Add(e.cfg.RetryBackoff(job.Retries + 1))
	next, err := e.update(job, "waiting_retry", func(j *journal.Job) {
		j.State, j.Phase, j.Mode = journal.StateWaitingRetry, "", ""
		j.PID, j.PIDStart, j.StepToken = 0, 0, ""
		j.Retries++
		j.RetryAt = at
		j.Reason = fmt.Sprintf("the %s step %s; retry %d of %d at %s", job.Phase, res.Reason, j.Retries, e.cfg.MaxRetries, at.UTC().Format(time.RFC3339))
	})
	if err != nil {
		return job, true, err
	}
	return next, true, nil
}

// detecting asks the detection rules what is really there, and journals the end of the job from that.
func (e *Engine) detecting(ctx context.Context, job *journal.Job) (*journal.Job, error) {
	m, p, err := e.readManifest(filepath.Join(job.PackageDir, "package.yaml"))
	if err != nil {
		return nil, err
	}
	res, err := e.cfg.Detector.Detect(ctx, p.Detect, e.vars(job, m, "detect"))
	if err != nil {
		return nil, fmt.Errorf("%s %s: detection: %w", m.ID, m.Version, err)
	}
	why := detectionSummary(res.Rules)
	if job.Action == journal.ActionUninstall {
		if res.Installed {
			msg := fmt.Sprintf("%s %s is still installed after the uninstall: detection still finds it (%s)", m.ID, m.Version, why)
			if len(job.Leftovers) > 0 {
				msg += fmt.Sprintf("; %d files are left in %s", len(job.Leftovers), job.InstallDir)
			}
			return job, errors.New(msg + ". The log is in " + job.LogFile)
		}
		if err := e.journal.DeleteInstalled(m.ID); err != nil {
			return job, &journalError{err}
		}
		return e.done(job)
	}
	if !res.Installed {
		return job, fmt.Errorf("%s %s: the install command reported success, but detection does not find it: %s. The log is in %s",
			m.ID, m.Version, why, job.LogFile)
	}
	if res.Version != "" && manifest.CompareVersions(res.Version, m.Version) != 0 {
		return job, fmt.Errorf("%s %s: the install command reported success, but detection finds version %s", m.ID, m.Version, res.Version)
	}
	if err := e.journal.PutInstalled(&journal.Installed{
		ID: m.ID, Name: m.Name, Version: m.Version, Publisher: m.Publisher,
		InstallDir: job.InstallDir, PackageDir: job.PackageDir, JobID: job.ID,
		InstalledAt: time.Now().UTC(), RebootRequired: job.RebootRequired,
	}); err != nil {
		return job, &journalError{err}
	}
	return e.done(job)
}

func (e *Engine) done(job *journal.Job) (*journal.Job, error) {
	job, err := e.update(job, "done", func(j *journal.Job) {
		j.State, j.Phase, j.Reason = journal.StateDone, "", ""
		if j.Outcome == "" || j.Action == journal.ActionUninstall {
			j.Outcome = string(manifest.OutcomeSuccess)
		}
		if j.RebootRequired {
			j.Outcome = string(manifest.OutcomeReboot)
		}
	})
	if err != nil {
		return job, err
	}
	e.collectPackages()
	return job, nil
}

// detectionSummary says which rules did not hold, or that all held.
func detectionSummary(rules []detect.RuleResult) string {
	var failed []string
	for _, r := range rules {
		if !r.Held {
			failed = append(failed, r.Rule+": "+r.Detail)
		}
	}
	if len(failed) == 0 {
		return "every rule holds"
	}
	return lines(failed, 3)
}

// leftoverWarningPrefix starts the one warning of an uninstall job about what it left behind, so
// that the warning can be found and replaced when the leftovers change (RemoveLeftover).
const leftoverWarningPrefix = "left behind by the uninstall: "

// leftoverWarning says what an uninstall left in dir.
func leftoverWarning(dir string, left []string) string {
	return fmt.Sprintf("%s%d files in %s: %s", leftoverWarningPrefix, len(left), dir, lines(left, 5))
}

// lastOutput quotes the last lines a vendor command printed, which usually say what went wrong.
func lastOutput(tail string) string {
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

// leftovers lists the files and folders left in dir, relative to it, sorted.
func leftovers(dir string) ([]string, error) {
	var left []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return filepath.SkipDir
			}
			return err
		}
		if path == dir || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		left = append(left, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(left)
	return left, err
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
