// Package apitype holds the wire types of the agent's local API (docs/local-api.md): what the
// agent, its Go client, the CLI and the GUI exchange as JSON under /v1/. It has no logic.
package apitype

import "time"

// Version of the local API; the path prefix is /v1/.
const Version = "v1"

// Status is GET /v1/status.
type Status struct {
	Version        string    `json:"version"` // the agent's build version
	OS             string    `json:"os"`      // runtime.GOOS/GOARCH, e.g. "linux/amd64"
	Mode           string    `json:"mode"`    // "system" or "user"
	StartedAt      time.Time `json:"started_at"`
	StateDir       string    `json:"state_dir"`
	InstallRoot    string    `json:"install_root"`
	RebootRequired bool      `json:"reboot_required"` // a finished job asked for a reboot that has not happened yet
	RebootReasons  []string  `json:"reboot_reasons,omitempty"`
	JobsQueued     int       `json:"jobs_queued"`
	JobsRunning    int       `json:"jobs_running"`
	Recovering     bool      `json:"recovering"`   // jobs cut off by the last stop are being finished
	Caller         Caller    `json:"caller"`       // who is asking, as the OS says
	TrustedKeys    []string  `json:"trusted_keys"` // key ids of the marketplace keys the agent trusts
}

// Caller is the OS identity of the process on the other end of the socket or pipe.
type Caller struct {
	UID        string `json:"uid"`         // uid on unix, SID on windows
	User       string `json:"user"`        // user name when it can be looked up
	CanInstall bool   `json:"can_install"` // root/admin or member of the install group
	// Grant names what gives install rights (e.g. the group "iscdesk"), for the 403 message.
	Grant string `json:"grant,omitempty"`
}

// Software is one item of GET /v1/software: what detection says is installed, merged with the
// job that is running or last ran for it.
type Software struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Publisher       string    `json:"publisher,omitempty"`
	Version         string    `json:"version,omitempty"` // the version the engine installed
	Detected        bool      `json:"detected"`          // detection finds it now
	DetectedVersion string    `json:"detected_version,omitempty"`
	Detail          string    `json:"detail,omitempty"` // why detection does not find it
	InstallDir      string    `json:"install_dir,omitempty"`
	InstalledAt     time.Time `json:"installed_at,omitempty"`
	RebootRequired  bool      `json:"reboot_required,omitempty"`
	Job             *Job      `json:"job,omitempty"` // the running job, or the last one
	// LicensePath is where the product reads its license file, as its package says (for an env
	// rule: the file the agent set LicenseEnv to, once it has); LicenseInstalled says the file exists.
	LicensePath      string `json:"license_path,omitempty"`
	LicenseEnv       string `json:"license_env,omitempty"`
	LicenseInstalled bool   `json:"license_installed,omitempty"`
}

// Action of a job.
type Action string

const (
	ActionInstall   Action = "install"
	ActionUninstall Action = "uninstall"
	ActionRepair    Action = "repair"
	ActionOverwrite Action = "overwrite"
)

// JobRequest is POST /v1/jobs.
type JobRequest struct {
	Action Action `json:"action"`
	// Ticket is the signed release ticket (the bytes of a .ticket file, as JSON) for install and
	// overwrite; repair may also carry one to fetch the package again.
	Ticket []byte `json:"ticket,omitempty"`
	// Product names the installed product, for uninstall and repair.
	Product string `json:"product,omitempty"`
	// AllowDowngrade lets an install go to a lower version than the installed one.
	AllowDowngrade bool `json:"allow_downgrade,omitempty"`
	// Priority: higher runs first among queued jobs; default 0.
	Priority int `json:"priority,omitempty"`
}

// Job states, as the journal has them.
const (
	StateQueued     = "queued"
	StateFetching   = "fetching"
	StateStaging    = "staging"
	StateStaged     = "staged"
	StateInstalling = "installing"
	StateDetecting  = "detecting"
	StateDone       = "done"
	StateFailed     = "failed"
	StateCancelled  = "cancelled"
	// StateWaitingRetry is a job whose installer said "retry later" (1618, a held dpkg lock); the
	// agent runs it again after a backoff.
	StateWaitingRetry = "waiting_retry"
)

// Job is one job, as GET /v1/jobs and GET /v1/jobs/{id} return it.
type Job struct {
	ID             string    `json:"id"`
	Action         Action    `json:"action"`
	Product        string    `json:"product"`
	Name           string    `json:"name,omitempty"`
	Version        string    `json:"version,omitempty"`
	State          string    `json:"state"`
	Phase          string    `json:"phase,omitempty"`
	Mode           string    `json:"mode,omitempty"`
	Attempt        int       `json:"attempt,omitempty"`
	Priority       int       `json:"priority,omitempty"`
	Outcome        string    `json:"outcome,omitempty"` // success, reboot, retry_later, cancelled, failed
	ExitCode       int       `json:"exit_code,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	RebootRequired bool      `json:"reboot_required,omitempty"`
	Warnings       []string  `json:"warnings,omitempty"`
	Leftovers      []string  `json:"leftovers,omitempty"`
	Progress       *Progress `json:"progress,omitempty"`
	NextRetry      time.Time `json:"next_retry,omitempty"`
	Created        time.Time `json:"created"`
	Updated        time.Time `json:"updated"`
}

// Final reports whether the job has ended.
func (j Job) Final() bool {
	return j.State == StateDone || j.State == StateFailed || j.State == StateCancelled
}

// Progress of a download or an extraction.
type Progress struct {
	Step  string        `json:"step"` // "downloading", "verifying", "extracting"
	Done  int64         `json:"done"`
	Total int64         `json:"total"`
	Rate  float64       `json:"rate,omitempty"` // bytes per second
	ETA   time.Duration `json:"eta,omitempty"`
}

// Event is one message of GET /v1/events (server-sent events: "id: N", "event: TYPE", "data: JSON").
// IDs increase by one; a client that reconnects with Last-Event-ID gets what it missed while the
// agent still holds it, or an event of type "reset" when it does not.
type Event struct {
	ID   uint64    `json:"id"`
	Type string    `json:"type"` // job, progress, status, log, reset
	Time time.Time `json:"time"`
	Job  *Job      `json:"job,omitempty"`
	// Message is for people: "waiting: another install step is running".
	Message string  `json:"message,omitempty"`
	Status  *Status `json:"status,omitempty"`
}

// Event types.
const (
	EventJob      = "job"
	EventProgress = "progress"
	EventStatus   = "status"
	EventReset    = "reset"
)

// Error is the body of every non-2xx answer.
type Error struct {
	Error string `json:"error"`          // what went wrong and what to do
	Code  string `json:"code,omitempty"` // machine-readable: bad_request, forbidden, not_found, conflict, ticket_refused, ...
	Field string `json:"field,omitempty"`
}
