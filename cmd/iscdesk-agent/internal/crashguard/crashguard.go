// Package crashguard keeps the agent out of a restart storm: every start is recorded in a small
// JSON file in the state folder and cleared when the agent stops cleanly or has run long enough,
// so the entries found at start are the runs that ended badly. Too many of them in a short time and
// the agent refuses to start until someone reads the log (like syncthing's monitor, which gives up
// after too many restarts).
package crashguard

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
)

// FileName is the guard's file in the state folder.
const FileName = "crash-guard.json"

// Defaults: 5 unclean starts within 10 minutes stop the loop; 10 minutes of running clears it.
const (
	DefaultLimit  = 5
	DefaultWindow = 10 * time.Minute
)

// ErrTooManyCrashes is wrapped by the error of Start when the agent must not start.
var ErrTooManyCrashes = errors.New("too many unclean starts")

// Guard records starts in Path.
type Guard struct {
	Path   string
	Limit  int           // unclean starts within Window that stop the next start
	Window time.Duration // how far back starts count; also how long a run must last to clear them
	Now    func() time.Time

	started time.Time // this process's recorded start, for Cancel
}

// New returns a Guard with the defaults for the file at path.
func New(path string) *Guard {
	return &Guard{Path: path, Limit: DefaultLimit, Window: DefaultWindow, Now: time.Now}
}

type record struct {
	// Starts are the start times of runs that have not stopped cleanly (the current one included).
	Starts []time.Time `json:"starts"`
}

// Start refuses (with an error wrapping ErrTooManyCrashes) when Limit unclean starts happened
// within Window, and otherwise records this start. Unclean is the number of recent unclean
// starts it found, for the log.
func (g *Guard) Start() (unclean int, err error) {
	now := g.Now()
	r, err := g.read()
	if err != nil {
		return 0, err
	}
	recent := r.Starts[:0]
	for _, t := range r.Starts {
		if now.Sub(t) < g.Window && !t.After(now) {
			recent = append(recent, t)
		}
	}
	if len(recent) >= g.Limit {
		return len(recent), fmt.Errorf("%w: the agent stopped unexpectedly %d times in %s", ErrTooManyCrashes, len(recent), minutes(g.Window))
	}
	r.Starts = append(recent, now)
	if err := g.write(r); err != nil {
		return len(recent), err
	}
	g.started = now
	return len(recent), nil
}

// Cancel forgets this process's start, for a start that failed before the agent ran (the socket
// is taken, the journal is in use): that is an error to report, not a crash to count.
func (g *Guard) Cancel() error {
	if g.started.IsZero() {
		return nil
	}
	r, err := g.read()
	if err != nil {
		return err
	}
	kept := r.Starts[:0]
	for _, t := range r.Starts {
		if !t.Equal(g.started) {
			kept = append(kept, t)
		}
	}
	r.Starts = kept
	g.started = time.Time{}
	return g.write(r)
}

// Clear forgets every recorded start: on a clean stop, after Window of running, or when the
// admin asks for it (--reset-crash-count).
func (g *Guard) Clear() error {
	if err := os.Remove(g.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("clearing the crash count in %s: %w", g.Path, err)
	}
	return nil
}

func (g *Guard) read() (record, error) {
	var r record
	data, err := os.ReadFile(g.Path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("reading the crash count in %s: %w", g.Path, err)
	}
	// A file cut off or garbled by a crash must not keep the agent down: start counting afresh.
	if json.Unmarshal(data, &r) != nil {
		return record{}, nil
	}
	return r, nil
}

func (g *Guard) write(r record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("recording the start in %s: %w", g.Path, err)
	}
	if err := atomicfile.WriteFile(g.Path, data, 0o600); err != nil {
		return fmt.Errorf("recording the start: %w", err)
	}
	return nil
}

func minutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}
