package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/client"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

// Exit codes of the CLI, documented in docs/cli.md and docs/exit-codes.md.
const (
	exitDone        = 0
	exitFailed      = 1
	exitUsage       = 2
	exitReboot      = 3
	exitRetryLater  = 4
	exitNoAgent     = 5
	exitRefused     = 6
	exitInterrupted = 130
)

// usageError is a bad command, flag or argument.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// refusedError is a refusal that is not an HTTP answer, e.g. a license application the issuer
// rejected (exit 6).
type refusedError struct{ err error }

func (e refusedError) Error() string { return e.err.Error() }
func (e refusedError) Unwrap() error { return e.err }

// errInterrupted is the result of a command stopped by Ctrl-C or SIGTERM; it matches context.Canceled.
var errInterrupted = interruptedError{}

// interruptedError is a command stopped by Ctrl-C or SIGTERM. job is set when the command followed
// a job: the job goes on in the agent, and the message says how to follow or cancel it.
type interruptedError struct{ job string }

func (e interruptedError) Error() string {
	if e.job == "" {
		return "interrupted"
	}
	return fmt.Sprintf("interrupted; job %[1]s goes on in the agent: follow it again with `iscdesk watch %[1]s`, or cancel it with `iscdesk cancel %[1]s`", e.job)
}

func (interruptedError) Is(target error) bool { return target == context.Canceled }

// jobEnd reports how a job that the CLI followed (or was asked about) ended, when that was not
// plainly "done": its exit code comes from the job, its message tells the user what to do next.
type jobEnd struct{ job apitype.Job }

func (e jobEnd) Error() string {
	j := e.job
	what := jobTitle(j)
	switch {
	case j.State == apitype.StateDone && j.RebootRequired:
		return what + ": done; restart the computer to finish it"
	case waitsForRetry(j):
		msg := what + ": waits, another installation holds the machine"
		if !j.NextRetry.IsZero() {
			msg += "; the agent tries again at " + j.NextRetry.Local().Format("15:04:05")
		}
		return msg + fmt.Sprintf(" (follow it with `iscdesk watch %s`)", j.ID)
	case j.State == apitype.StateCancelled:
		return what + ": cancelled"
	}
	msg := what + ": failed"
	if j.Reason != "" {
		msg += ": " + j.Reason
	}
	return msg + fmt.Sprintf("; its log: `iscdesk logs %s`", j.ID)
}

// waitsForRetry reports whether the job stopped because another installation holds the machine.
func waitsForRetry(j apitype.Job) bool {
	return j.State == apitype.StateWaitingRetry || j.Outcome == outcomeRetryLater
}

// outcomeRetryLater is the job outcome "retry later" (docs/exit-codes.md).
const outcomeRetryLater = "retry_later"

// exitCode maps the result of a command to the process's exit code. It is the one place where
// that mapping lives.
func exitCode(err error) int {
	if err == nil {
		return exitDone
	}
	var (
		usage   usageError
		refused refusedError
		end     jobEnd
		apiErr  *client.APIError
		mktErr  *mclient.APIError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &usage):
		return exitUsage
	case errors.Is(err, client.ErrAgentNotRunning):
		return exitNoAgent
	case errors.As(err, &refused), errors.Is(err, mclient.ErrNotSignedIn), errors.Is(err, mclient.ErrSessionEnded):
		return exitRefused
	case errors.As(err, &end):
		j := end.job
		switch {
		case j.State == apitype.StateDone && j.RebootRequired:
			return exitReboot
		case j.State == apitype.StateDone:
			return exitDone
		case waitsForRetry(j):
			return exitRetryLater
		default: // failed, cancelled
			return exitFailed
		}
	case errors.As(err, &apiErr):
		switch {
		case apiErr.Status == http.StatusForbidden || apiErr.Code == "forbidden" || apiErr.Code == "ticket_refused":
			return exitRefused
		case apiErr.Status == http.StatusBadRequest:
			return exitUsage
		}
	case errors.As(err, &mktErr):
		// The marketplace refused (not signed in, not entitled, an admin rule) or found the input bad.
		switch mktErr.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			return exitRefused
		case http.StatusBadRequest:
			return exitUsage
		}
	}
	return exitFailed
}
