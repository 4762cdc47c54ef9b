package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/installer/atomicfile"
)

// File names in the agent's state folder.
const (
	StateFile  = "update.json"   // the record of switches: pending, failed versions, last outcome
	HealthFile = "update-health" // written by a new binary on trial once its API serves
)

// EnvPending is set by the old agent in the environment of the new binary on trial: its value is
// the path of the old binary, kept for a rollback. An agent started with it marks itself healthy
// (MarkHealthy) once it serves, and runs no update checks of its own.
const EnvPending = "ISCDESK_UPDATE_PENDING"

// record is what update.json holds. It survives the switch, so that the new agent can report the
// outcome and so that a switch cut off by a crash or a power loss is rolled back at the next start.
type record struct {
	// Pending is set from just before the binary is swapped until the new one is confirmed or rolled back.
	Pending *pending               `json:"pending,omitempty"`
	Failed  []apitype.FailedUpdate `json:"failed,omitempty"`
	Last    string                 `json:"last,omitempty"`
}

type pending struct {
	From    string    `json:"from"`
	To      string    `json:"to"`
	Exe     string    `json:"exe"`      // the installed binary, swapped
	OldPath string    `json:"old_path"` // where the previous binary is kept
	Started time.Time `json:"started"`
}

// failed reports whether version was rolled back before.
func (r *record) failed(version string) (apitype.FailedUpdate, bool) {
	for _, f := range r.Failed {
		if f.Version == version {
			return f, true
		}
	}
	return apitype.FailedUpdate{}, false
}

// maxFailed bounds the list; only versions newer than the running one matter anyway.
const maxFailed = 20

func (r *record) addFailed(version, reason string, at time.Time) {
	if _, ok := r.failed(version); ok {
		return
	}
	r.Failed = append(r.Failed, apitype.FailedUpdate{Version: version, Reason: reason, At: at.UTC()})
	if len(r.Failed) > maxFailed {
		r.Failed = r.Failed[len(r.Failed)-maxFailed:]
	}
}

func loadRecord(stateDir string) (*record, error) {
	path := filepath.Join(stateDir, StateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the update record %s: %w", path, err)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("reading the update record %s: %w; delete the file to start afresh (the list of failed versions is lost)", path, err)
	}
	return &r, nil
}

func saveRecord(stateDir string, r *record) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the update record: %w", err)
	}
	path := filepath.Join(stateDir, StateFile)
	if err := atomicfile.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing the update record %s: %w", path, err)
	}
	return nil
}

// health is what a new binary on trial writes once its API serves.
type health struct {
	PID     int       `json:"pid"`
	Version string    `json:"version"`
	At      time.Time `json:"at"`
}

// MarkHealthy tells the old agent that waits for this one that it serves: call it once the
// local API is up, when the environment has EnvPending.
func MarkHealthy(stateDir, version string) error {
	data, err := json.Marshal(health{PID: os.Getpid(), Version: version, At: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("encoding the health marker: %w", err)
	}
	path := filepath.Join(stateDir, HealthFile)
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing the health marker %s: %w", path, err)
	}
	return nil
}

// readHealth returns the marker's content, or false when there is none (yet).
func readHealth(stateDir string) (health, bool) {
	var h health
	data, err := os.ReadFile(filepath.Join(stateDir, HealthFile))
	if err != nil || json.Unmarshal(data, &h) != nil {
		return h, false
	}
	return h, true
}
