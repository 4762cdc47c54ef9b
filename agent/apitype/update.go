package apitype

import "time"

// UpdateRequest is POST /v1/agent/update: look for a new agent now and, unless CheckOnly, apply it.
type UpdateRequest struct {
	CheckOnly bool `json:"check_only,omitempty"`
}

// Update states, as UpdateStatus.State has them.
const (
	UpdateDisabled = "disabled"   // update.enabled is false, or no marketplace or key is configured
	UpdateIdle     = "idle"       // nothing checked yet, or nothing to do
	UpdateCurrent  = "up_to_date" // the last check found nothing newer (or only what was refused)
	UpdateFound    = "available"  // a check-only request found and verified a newer release
	UpdateWaiting  = "waiting"    // a verified update waits for the running jobs to end
	UpdateApplying = "applying"   // the agent is stopping to switch to the new binary
	UpdateFailed   = "failed"     // the last check or update failed; Error says why
)

// UpdateStatus is GET /v1/agent/update and the answer to POST /v1/agent/update.
type UpdateStatus struct {
	State     string    `json:"state"`
	Current   string    `json:"current"`             // the running version
	Available string    `json:"available,omitempty"` // the newest release the agent may install
	Channel   string    `json:"channel,omitempty"`
	Pin       string    `json:"pin,omitempty"`
	LastCheck time.Time `json:"last_check,omitzero"`
	NextCheck time.Time `json:"next_check,omitzero"`
	// Error says why the last check or update failed, or why an offered release was refused.
	Error string `json:"error,omitempty"`
	// Failed lists versions that failed after the swap; they are not tried again.
	Failed []FailedUpdate `json:"failed,omitempty"`
	// Last is the outcome of the last switch, e.g. "updated from 1.0.0 to 1.1.0".
	Last string `json:"last,omitempty"`
}

// FailedUpdate is a version that was installed and rolled back.
type FailedUpdate struct {
	Version string    `json:"version"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}
