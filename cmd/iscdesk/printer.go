package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// printer is the one output interface of the commands: textPrinter writes for people,
// jsonPrinter for programs (restic's internal/ui idea). Only one goroutine uses a printer.
type printer interface {
	Status(s *apitype.Status) error
	Software(items []apitype.Software) error
	Jobs(jobs []apitype.Job) error
	// Job prints one job: `jobs ID`, `cancel`, `install --no-wait`.
	Job(j *apitype.Job) error
	// Event prints one event of a stream: `watch` and the following of a job.
	Event(e apitype.Event) error
	// Log copies a job's log.
	Log(jobID string, r io.Reader) error
	// Close ends a stream: it takes down a progress bar that is still drawn.
	Close() error
}

// jobProduct names the software a job is about, for people: "Demo Solver 2.1.0". It is empty while
// the agent does not know it yet.
func jobProduct(j apitype.Job) string {
	name := j.Name
	if name == "" {
		name = j.Product
	}
	if name != "" && j.Version != "" {
		name += " " + j.Version
	}
	return name
}

// jobTitle is what a job does, for people: "install Demo Solver 2.1.0".
func jobTitle(j apitype.Job) string {
	if p := jobProduct(j); p != "" {
		return string(j.Action) + " " + p
	}
	return string(j.Action) + " job " + j.ID
}

// jobState says in a few words where a job is: "installing (attempt 2)", "done, restart required".
func jobState(j apitype.Job) string {
	s := strings.ReplaceAll(j.State, "_", " ")
	switch j.State {
	case apitype.StateDone:
		if j.RebootRequired {
			s += ", restart required"
		}
	case apitype.StateFailed:
		if j.Reason != "" {
			s += ": " + j.Reason
		}
	case apitype.StateWaitingRetry:
		s = "waiting to retry"
		if !j.NextRetry.IsZero() {
			s += " at " + j.NextRetry.Local().Format("15:04:05")
		}
	}
	// Mode, phase and attempt of the install step, without repeating one another:
	// "installing (overwrite, cleanup)", "installing (attempt 2)".
	var extra []string
	if j.Mode != "" && j.Mode != "install" {
		extra = append(extra, j.Mode)
	}
	if j.Phase != "" && j.Phase != j.State && j.Phase != j.Mode && j.Phase != "install" {
		extra = append(extra, j.Phase)
	}
	if j.Attempt > 1 {
		extra = append(extra, fmt.Sprintf("attempt %d", j.Attempt))
	}
	if len(extra) > 0 && !j.Final() {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}
