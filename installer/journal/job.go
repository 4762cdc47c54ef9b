package journal

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// State is where a job is in its life. Every state but the final ones (done, failed, cancelled)
// is finished by the agent after a restart.
type State string

const (
	StateQueued     State = "queued"
	StateFetching   State = "fetching" // downloading the package a ticket names; the download resumes at its offset
	StateStaging    State = "staging"
	StateStaged     State = "staged"
	StateInstalling State = "installing" // also the state of an uninstall or repair step running
	StateDetecting  State = "detecting"
	// StateWaitingRetry: the installer said "retry later" (another install holds the machine, a
	// package lock is held); the job runs again at RetryAt.
	StateWaitingRetry State = "waiting_retry"
	StateDone         State = "done"
	StateFailed       State = "failed"
	StateCancelled    State = "cancelled"
)

var states = map[State]bool{
	StateQueued: true, StateFetching: true, StateWaitingRetry: true, StateStaging: true, StateStaged: true, StateInstalling: true,
	StateDetecting: true, StateDone: true, StateFailed: true, StateCancelled: true,
}

// Final reports whether s ends a job: nothing is left to do or to recover.
func (s State) Final() bool {
	return s == StateDone || s == StateFailed || s == StateCancelled
}

// Valid reports whether s is one of the states above.
func (s State) Valid() bool { return states[s] }

// Action is what a job does to a package.
type Action string

const (
	ActionInstall   Action = "install"
	ActionUninstall Action = "uninstall"
	ActionRepair    Action = "repair"
	// ActionOverwrite cleans up what is there (uninstall, then removal of the install folder) and installs fresh.
	ActionOverwrite Action = "overwrite"
)

// Valid reports whether a is one of the actions above.
func (a Action) Valid() bool {
	switch a {
	case ActionInstall, ActionUninstall, ActionRepair, ActionOverwrite:
		return true
	}
	return false
}

// Job is one install, uninstall, repair or overwrite of a package, as journaled before each step.
type Job struct {
	ID     string `json:"id"`
	Action Action `json:"action"`

	PackageID string `json:"package_id"`
	Name      string `json:"name"`
	Version   string `json:"version"`

	Source string `json:"source,omitempty"` // where the package came from (folder or archive)
	// Ticket is the signed release ticket the job was created from (verified before it was journaled).
	Ticket         []byte `json:"ticket,omitempty"`
	AllowDowngrade bool   `json:"allow_downgrade,omitempty"`
	Priority       int    `json:"priority,omitempty"`
	// Archive is the verified package file in the download cache, once fetched.
	Archive    string `json:"archive,omitempty"`
	PackageDir string `json:"package_dir,omitempty"` // the staged, root-only copy the step runs from
	InstallDir string `json:"install_dir,omitempty"`
	LogFile    string `json:"log_file,omitempty"`

	State State  `json:"state"`
	Phase string `json:"phase,omitempty"` // sub-step within a state, e.g. for overwrite: "cleanup" then "install"
	Mode  string `json:"mode,omitempty"`  // ISCDESK_MODE of the step being run
	// Attempt counts how many times the current step was started.
	Attempt int `json:"attempt,omitempty"`

	// The running vendor process, so that recovery can tell whether it still runs: a pid alone may
	// have been reused, PIDStart (the process start time) and StepToken (set in its environment) may not.
	PID       int    `json:"pid,omitempty"`
	PIDStart  uint64 `json:"pid_start,omitempty"`
	StepToken string `json:"step_token,omitempty"`

	ExitCode       int      `json:"exit_code"`
	Outcome        string   `json:"outcome,omitempty"`
	Reason         string   `json:"reason,omitempty"`
	RebootRequired bool     `json:"reboot_required,omitempty"`
	Leftovers      []string `json:"leftovers,omitempty"`
	Warnings       []string `json:"warnings,omitempty"`

	// Retries counts "retry later" outcomes; RetryAt is when a job waiting for a retry runs again.
	Retries int       `json:"retries,omitempty"`
	RetryAt time.Time `json:"retry_at,omitempty"`

	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// History holds every change of State or Phase, oldest first; Update appends to it.
	History []Transition `json:"history,omitempty"`
}

// Transition is one change of a job's State or Phase.
type Transition struct {
	State State     `json:"state"`
	Phase string    `json:"phase,omitempty"`
	At    time.Time `json:"at"`
	// Note is the job's Reason when the change also set a new one, e.g. why it failed.
	Note string `json:"note,omitempty"`
}

// Installed is the inventory entry of a package the engine installed. It is a record of what was
// done; whether the package is really there is for detection to say.
type Installed struct {
	ID        string `json:"id"` // the package id
	Name      string `json:"name"`
	Version   string `json:"version"`
	Publisher string `json:"publisher,omitempty"`

	InstallDir string `json:"install_dir,omitempty"`
	// PackageDir is the staged package kept for uninstall and repair.
	PackageDir string `json:"package_dir,omitempty"`

	JobID          string    `json:"job_id,omitempty"`
	InstalledAt    time.Time `json:"installed_at"`
	RebootRequired bool      `json:"reboot_required,omitempty"`
}

// parseID turns "j-000042" into the key under which the job is stored.
func parseID(id string) ([]byte, error) {
	digits, ok := strings.CutPrefix(id, "j-")
	seq, err := strconv.ParseUint(digits, 10, 64)
	// The round trip rejects "j-42" and "j-+000042": one job, one spelling.
	if !ok || err != nil || seq == 0 || formatID(seq) != id {
		return nil, fmt.Errorf("journal: %q is not a job id (like j-000042): %w", id, ErrNotFound)
	}
	return jobKey(seq), nil
}

// jobKey is the 8-byte big-endian key of job number seq, so that bbolt's byte order is creation
// order, past j-999999 too.
func jobKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func formatID(seq uint64) string { return fmt.Sprintf("j-%06d", seq) }
