package conform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/iscdesk/iscdesk/installer/engine"
	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/run"
)

// The steps of the harness, in the order run calls them. Each fills in its Check.

func (h *harness) freshInstall(ctx context.Context, c *Check) {
	r := h.do(ctx, engine.Request{Action: journal.ActionInstall, Source: h.cfg.Dir})
	h.installRun = r.stepTime[engine.PhaseInstall]
	if r.job == nil {
		fail(c, "the engine refused the package: "+errString(r.err), "run `iscdesk-pack lint` and fix what it reports")
		return
	}
	if r.job.State != journal.StateDone {
		reason, fix := h.explainInstall(r.job)
		fail(c, reason, fix)
		return
	}
	c.Detail = fmt.Sprintf("installed in %s (the install command ran %s)%s", h.installDir, seconds(h.installRun), rebootNote(r.job))
}

func (h *harness) detectIs(ctx context.Context, c *Check, want bool, when string) {
	res, err := h.detect(ctx)
	if err != nil {
		fail(c, "detection could not run "+when+": "+err.Error(), "correct the detect rules in package.yaml")
		return
	}
	rules := describeRules(res)
	switch {
	case res.Installed == want && want:
		c.Detail = "detected " + when + ": " + rules
	case res.Installed == want:
		c.Detail = "not detected " + when + ": " + rules
	case want:
		fail(c, "detection does not find the package "+when+": "+rules,
			"make the detect rules match what the install writes (paths under {{.InstallDir}}, the version it writes)")
	default:
		fail(c, "detection still finds the package "+when+": "+rules+
			". The agent will show it as installed although the engineer removed it",
			"make the uninstall remove what the detect rules look for (usually the program and the VERSION file), or detect something the uninstall removes")
	}
}

func (h *harness) overwrite(ctx context.Context, c *Check) {
	r := h.do(ctx, engine.Request{Action: journal.ActionOverwrite, Source: h.cfg.Dir})
	if r.job == nil {
		fail(c, "the engine refused the overwrite install: "+errString(r.err), "run `iscdesk-pack lint` and fix what it reports")
		return
	}
	if r.job.State != journal.StateDone {
		reason, _ := h.explainInstall(r.job)
		fail(c, "installing over the installed package (your uninstall command in mode overwrite, removal of the install folder, then your install in mode overwrite) failed: "+reason,
			"make the uninstall succeed on an installed package with ISCDESK_MODE=overwrite, and the install succeed into an empty folder")
		return
	}
	c.Detail = fmt.Sprintf("clean-up and install again took %s; done and detected", seconds(r.stepTime[engine.PhaseCleanup]+r.stepTime[engine.PhaseInstall]))
}

func (h *harness) interruptedInstall(ctx context.Context, c *Check, i int) {
	at := h.killPoint(i, h.report.Points, h.installRun) // drawn first, so a skipped point keeps the others reproducible
	// Each cut starts on a clean machine, so that one point's failure does not become the next one's.
	if h.installed() {
		if r := h.do(ctx, engine.Request{Action: journal.ActionUninstall, PackageID: h.m.ID}); r.job == nil || r.job.State != journal.StateDone {
			fail(c, "the package could not be uninstalled before this cut-off install: "+jobReason(r), "fix the uninstall check first")
			return
		}
	}
	if err := os.RemoveAll(h.installDir); err != nil {
		fail(c, "the harness could not empty the install folder: "+err.Error(), "check the permissions of the install root")
		return
	}
	spec := h.childSpec(journal.ActionInstall)
	cut, err := h.interrupt(ctx, spec, engine.PhaseInstall, at)
	if err != nil {
		fail(c, "the harness could not run the cut-off install: "+err.Error(), "run it again; if it persists, report it with the output of --keep")
		return
	}
	job, err := h.recoverJob(ctx)
	if err != nil {
		fail(c, err.Error(), "run it again with --keep and read the job log in the sandbox")
		return
	}
	res, derr := h.detect(ctx)
	policy := h.p.OnInterrupt
	where := fmt.Sprintf("killed %s into the install command (it runs %s)", seconds(cut.at), seconds(h.installRun))
	if n := len(cut.victims); n > 0 {
		where += fmt.Sprintf(" with %d of its processes", n)
	}
	if at == 0 {
		where = fmt.Sprintf("killed as the install command started (it runs %s, too fast to cut in its middle)", seconds(h.installRun))
	}
	if !cut.killed {
		where = "the install ended before its kill point"
	}
	if job.State == journal.StateDone && derr == nil && res.Installed {
		c.Detail = fmt.Sprintf("%s; recovery (on_interrupt: %s) ended done and detected", where, policy)
		return
	}
	c.Detail = fmt.Sprintf("%s; recovery (on_interrupt: %s) ended %s: %s", where, policy, job.State, job.Reason)
	if policy == manifest.OnInterruptContinue {
		fail(c, fmt.Sprintf("after an interrupted install and `continue` (your install run again over what the cut-off run left, with ISCDESK_MODE=continue), %s: your install is not overwrite-safe (%s)",
			notDetected(job, res, derr), oneLine(job.Reason, 300)),
			"either make it overwrite-safe (write each file to a temp name and rename it into place, create folders with mkdir -p, record each file before you write it, write the version stamp last), or declare on_interrupt: overwrite so that the agent cleans up and installs fresh")
		return
	}
	fail(c, fmt.Sprintf("after an interrupted install, the agent cleaned up (your uninstall with ISCDESK_MODE=overwrite, then removal of the install folder) and installed fresh, but %s (%s)",
		notDetected(job, res, derr), oneLine(job.Reason, 300)),
		"make the uninstall work on a half-done install (tolerate missing files) and the install work into an empty folder")
}

func (h *harness) childSpec(a journal.Action) childSpec {
	s := childSpec{StateDir: h.engine.StateDir, InstallRoot: h.engine.InstallRoot, Env: h.engine.Env,
		GOOS: h.cfg.GOOS, GOARCH: h.cfg.GOARCH, StrayGrace: h.engine.StrayGrace, Action: a}
	if a == journal.ActionUninstall {
		s.PackageID = h.m.ID
	} else {
		s.Source = h.cfg.Dir
	}
	return s
}

// ensureInstalled installs the package when the inventory does not have it (after a cut-off
// install that did not recover, say), so that the uninstall checks have something to remove. It
// installs as the agent would over a broken install: clean-up, then a fresh install.
func (h *harness) ensureInstalled(ctx context.Context) error {
	if h.installed() {
		return nil
	}
	r := h.do(ctx, engine.Request{Action: journal.ActionOverwrite, Source: h.cfg.Dir})
	if r.job == nil || r.job.State != journal.StateDone {
		return fmt.Errorf("installing it again failed: %s", jobReason(r))
	}
	return nil
}

func (h *harness) uninstall(ctx context.Context, c *Check) {
	if err := h.ensureInstalled(ctx); err != nil {
		fail(c, "the package could not be installed for the uninstall: "+err.Error(), "fix the install checks first")
		return
	}
	r := h.do(ctx, engine.Request{Action: journal.ActionUninstall, PackageID: h.m.ID})
	h.uninstallRun = r.stepTime[engine.PhaseUninstall]
	if r.job == nil {
		fail(c, "the engine refused the uninstall: "+errString(r.err), "report this with the output of --keep")
		return
	}
	var vendorFailed string
	for _, w := range r.job.Warnings {
		if strings.HasPrefix(w, "the uninstall command ") {
			vendorFailed = w
		}
	}
	switch {
	case r.job.State != journal.StateDone:
		fail(c, "the uninstall did not remove the package: "+r.job.Reason,
			"make the uninstall remove what the detect rules look for, and exit 0 when it succeeded")
	case vendorFailed != "":
		fail(c, vendorFailed+"; the agent went on and removed what it could, but the engineer sees a failed uninstall",
			"make the uninstall succeed: remove your files with rm -f (missing files are not an error), stop your own processes first, and exit 0 when the software is gone")
	default:
		c.Detail = fmt.Sprintf("the uninstall command ran %s; done", seconds(h.uninstallRun))
	}
	if r.job.State == journal.StateDone && vendorFailed != "" {
		c.Detail = "done, with a warning: " + vendorFailed
	}
}

func (h *harness) leftoverFiles(c *Check) {
	left, err := filesIn(h.installDir)
	if err != nil {
		fail(c, "the install folder could not be listed: "+err.Error(), "check its permissions")
		return
	}
	if len(left) == 0 {
		c.Detail = "the install folder is gone or empty"
		return
	}
	fail(c, fmt.Sprintf("after the uninstall, %d file(s) are left in the install folder %s: %s", len(left), h.installDir, listed(left, 6)),
		"remove everything your install wrote: keep a list of installed files (the `iscdesk-pack init` template writes .installed-files) and remove each one, then the folders that became empty; files your software creates at run time (caches, logs) must go too")
}

func (h *harness) leftoverOutside(c *Check) {
	after := takeSnapshot(h.cfg.Watch, h.excluded())
	left := added(h.before, after)
	if len(left) == 0 {
		c.Detail = fmt.Sprintf("no new files in %d watched folders", len(h.cfg.Watch))
		return
	}
	fail(c, fmt.Sprintf("after install and uninstall, %d new file(s) are left outside the install folder: %s", len(left), listed(left, 6)),
		"write only under ISCDESK_INSTALL_DIR; if a file must live elsewhere (a service unit, a desktop entry), record it at install and remove it at uninstall; use TMPDIR for temporary files and remove them before you exit")
}

func (h *harness) leftoverProcesses(c *Check) {
	running := processesWith("ISCDESK_INSTALL_DIR=" + h.installDir)
	var what []string
	for _, p := range running {
		what = append(what, fmt.Sprintf("pid %d: %s", p.PID, p.Command))
	}
	h.killPackageProcesses()
	switch {
	case len(running) > 0:
		fail(c, fmt.Sprintf("processes started by your install or uninstall are still running after it ended: %s", listed(what, 3)),
			"an install step must wait for every process it starts; do not start daemons from the installer (install a service unit instead and let the service manager start it), and stop them in the uninstall")
	case len(h.strays) > 0:
		fail(c, "a step left processes running after its command exited, and the agent had to kill them: "+oneLine(h.strays[0], 300),
			"an install step must wait for every process it starts (no `&`, no nohup, no setsid); install a service unit instead of starting a daemon, and let the service manager start it")
	default:
		c.Detail = "no process of the package is running"
	}
}

func (h *harness) uninstallAgain(ctx context.Context, c *Check) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.StepTimeout)
	defer cancel()
	logPath := filepath.Join(h.sandbox, "uninstall-again.log")
	v := h.vars(manifest.Vars{Mode: engine.ModeUninstall, LogFile: logPath})
	argv, err := h.p.UninstallCommand(v)
	if err != nil {
		fail(c, "the uninstall command cannot be built: "+err.Error(), "correct uninstall in package.yaml")
		return
	}
	logf, err := os.Create(logPath)
	if err != nil {
		fail(c, "the harness could not create its log: "+err.Error(), "check that the sandbox is writable")
		return
	}
	defer logf.Close()
	res, err := run.Run(ctx, run.Spec{Args: argv, Dir: h.cfg.Dir, Env: h.engine.Env, Mode: engine.ModeUninstall,
		InstallDir: v.InstallDir, PackageDir: v.PackageDir, LogFile: v.LogFile, Timeout: h.p.Timeout,
		Log: logf, ExitCodes: h.p.Outcome, StrayGrace: h.engine.StrayGrace})
	if err != nil {
		fail(c, "the uninstall command could not start: "+err.Error(), "correct uninstall in package.yaml")
		return
	}
	if err := res.Err(); err != nil {
		fail(c, fmt.Sprintf("run again on a package that is already uninstalled, your uninstall %s%s", res.Reason, lastLines(res.Tail)),
			"make the uninstall safe to run twice: remove files with rm -f, skip what is not there, and exit 0 when there is nothing left to remove. The agent re-runs an uninstall after a crash, and engineers click it twice")
		return
	}
	c.Detail = "the uninstall command " + res.Reason
}

func (h *harness) interruptedUninstall(ctx context.Context, c *Check) {
	at := h.killPoint(0, 1, h.uninstallRun)
	if err := h.ensureInstalled(ctx); err != nil {
		fail(c, "the package could not be installed for this check: "+err.Error(), "fix the install checks first")
		return
	}
	cut, err := h.interrupt(ctx, h.childSpec(journal.ActionUninstall), engine.PhaseUninstall, at)
	if err != nil {
		fail(c, "the harness could not run the cut-off uninstall: "+err.Error(), "run it again; if it persists, report it with the output of --keep")
		return
	}
	job, err := h.recoverJob(ctx)
	if err != nil {
		fail(c, err.Error(), "run it again with --keep and read the job log in the sandbox")
		return
	}
	where := fmt.Sprintf("killed %s into the uninstall command (it runs %s)", seconds(cut.at), seconds(h.uninstallRun))
	if at == 0 {
		where = fmt.Sprintf("killed as the uninstall command started (it runs %s, too fast to cut in its middle)", seconds(h.uninstallRun))
	}
	if !cut.killed {
		where = "the uninstall ended before its kill point"
	}
	c.Detail = fmt.Sprintf("%s; recovery ran it again and ended %s", where, job.State)
	if job.State != journal.StateDone {
		fail(c, "after an uninstall was cut off, running it again did not finish it: "+oneLine(job.Reason, 300),
			"make the uninstall work on a half-removed install: remove the file list last, tolerate files that are already gone, and exit 0 when the software is gone")
	}
}
