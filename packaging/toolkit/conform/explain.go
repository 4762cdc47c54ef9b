package conform

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/packaging/toolkit/lint"
)

// explainInstall turns an install job that did not end done into a reason and a fix that a vendor
// understands: a prompt, a hang, a daemon left running, a failure hidden behind exit 0, or a plain failure.
func (h *harness) explainInstall(j *journal.Job) (reason, fix string) {
	prompts := h.lint.ByCheck(lint.CheckPrompt)
	var promptAt string
	if len(prompts) > 0 {
		promptAt = fmt.Sprintf("%s (%s)", prompts[0].Where(), strings.TrimPrefix(prompts[0].Message, "the install script "))
	}
	timedOut := strings.Contains(j.Reason, "did not finish within")
	switch {
	case promptAt != "" || (promptRE.MatchString(j.Reason) && (timedOut || j.ExitCode != 0)):
		where := promptAt
		if where == "" {
			where = "its last output looks like a question"
		}
		how := "failed"
		if timedOut {
			how = "hung until its timeout killed it"
		}
		return fmt.Sprintf("the install waits for input and %s: %s. The agent runs it with no keyboard and a closed stdin (%s)", how, where, oneLine(j.Reason, 300)),
			"make it silent: take answers from the command line or the environment (ISCDESK_MODE, ISCDESK_INSTALL_DIR), accept the license in the package, or pass the installer's silent switch"
	case j.State == journal.StateCancelled:
		return fmt.Sprintf("the install did not end within the harness's step timeout of %s and was stopped (%s)", h.cfg.StepTimeout, oneLine(j.Reason, 200)),
			"find what it waits for in the job log (run with --keep); if it is just slow, pass a longer --step-timeout"
	case timedOut:
		return fmt.Sprintf("the install hangs: %s", oneLine(j.Reason, 300)),
			fmt.Sprintf("find what it waits for (a prompt, a lock, a service that never answers) in the job log; if it just needs longer, raise timeout: in package.yaml (now %s)", h.p.Timeout)
	case strings.Contains(j.Reason, "must wait for every process"):
		return fmt.Sprintf("the install exited but left processes running, which the agent had to kill: %s", oneLine(j.Reason, 300)),
			"wait for every process you start (no `&`, nohup or setsid in the install); install a service unit instead of starting a daemon, and let the service manager start it"
	case j.ExitCode == 0 && strings.Contains(j.Reason, "detection does not find it"):
		return fmt.Sprintf("the install command exited 0 (success), but detection does not find the package: the install failed and did not say so (%s)", oneLine(j.Reason, 300)),
			"stop at the first error and exit non-zero (set -eu in sh; $ErrorActionPreference = 'Stop' and exit codes in PowerShell; check %ERRORLEVEL% in cmd), so the agent can tell the engineer it failed"
	case strings.Contains(j.Reason, "detection finds version"):
		return oneLine(j.Reason, 400), "write the package's version where the detect rule reads it, or correct version: in package.yaml"
	}
	return fmt.Sprintf("the install failed: %s", oneLine(j.Reason, 400)),
		"read the job log (run with --keep to keep it), fix the error, and try the install by hand with the same variables (see docs/vendor-guide.md)"
}

// promptRE matches the last words of an installer waiting for an answer.
var promptRE = regexp.MustCompile(`(?i)\?\s*(\[[^\]]*\])?\s*$|\[y/n\]|\(y/n\)|press (any|enter|a) key|type (yes|y) to|accept the (license|eula)`)
