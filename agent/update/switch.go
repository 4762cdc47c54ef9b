package update

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/selfupdate"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
)

// Switcher swaps the installed agent binary for a staged one and proves the new one on trial.
// The agent must have stopped (its instance lock, socket and journal released) before Switch.
type Switcher struct {
	Exe           string   // the installed binary, as os.Executable names it
	Args          []string // the arguments of this run, without the program name
	Env           []string // the environment of this run
	StateDir      string
	From          string        // the running version
	HealthTimeout time.Duration // how long the new binary may take to serve
	Logger        *slog.Logger
	// Stdout and Stderr receive the output of the binary on trial; nil discards it.
	Stdout, Stderr io.Writer
	// StopGrace bounds the clean stop of the binary on trial once it is confirmed; default 60 s.
	StopGrace time.Duration
}

// ErrRestartByServiceManager is returned by Restart where a process cannot replace itself
// (Windows): the caller exits with a failure code, and the service manager's recovery actions
// start the installed binary again.
var ErrRestartByServiceManager = errors.New("the service manager restarts the agent")

// HealthError is a new binary that did not serve in time: it was rolled back and recorded so
// that its version is not tried again.
type HealthError struct {
	Version string
	Reason  string
}

func (e *HealthError) Error() string {
	return fmt.Sprintf("agent %s failed its health check (%s); the previous binary was put back and %s will not be tried again", e.Version, e.Reason, e.Version)
}

// OldPath is where the previous binary is kept during and after a switch.
func OldPath(exe string) string {
	ext := filepath.Ext(exe)
	if ext != ".exe" {
		ext = ""
	}
	return strings.TrimSuffix(exe, ext) + ".old" + ext
}

// Switch installs st in place of the running binary, keeping the old one at OldPath, and starts
// the new one on trial. It returns nil once the new binary served and was stopped again: the
// caller then restarts on it (Restart). Any error means the old binary is in place again (a
// *HealthError after a rollback), except when even putting it back failed: the error says so and
// what to copy where. Either way the caller restarts, on whatever the installed binary now is.
func (s *Switcher) Switch(ctx context.Context, st *Staged) error {
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	to := st.Release.Version
	rec, err := loadRecord(s.StateDir)
	if err != nil {
		return err
	}
	old := OldPath(s.Exe)
	rec.Pending = &pending{From: s.From, To: to, Exe: s.Exe, OldPath: old, Started: time.Now().UTC()}
	if err := saveRecord(s.StateDir, rec); err != nil {
		return fmt.Errorf("not updating to %s: %w", to, err)
	}
	mode := os.FileMode(0o755)
	if fi, err := os.Stat(s.Exe); err == nil {
		mode = fi.Mode().Perm()
	}
	err = selfupdate.Apply(bytes.NewReader(st.Binary), selfupdate.Options{
		TargetPath:  s.Exe,
		TargetMode:  mode,
		Checksum:    st.Sum[:], // checked again on the bytes selfupdate writes
		OldSavePath: old,
	})
	if err != nil {
		_ = os.Remove(filepath.Join(filepath.Dir(s.Exe), "."+filepath.Base(s.Exe)+".new"))
		rec.Pending = nil
		if rerr := selfupdate.RollbackError(err); rerr != nil {
			rec.Last = fmt.Sprintf("installing %s failed and the old binary could not be put back: copy %s to %s", to, old, s.Exe)
			_ = saveRecord(s.StateDir, rec)
			log.Error("agent update: the binary is missing", "exe", s.Exe, "old", old, "err", err, "rollback_err", rerr)
			return fmt.Errorf("installing agent %s into %s failed (%v), and putting the old binary back failed too (%v): copy %s to %s before the agent is started again", to, s.Exe, err, rerr, old, s.Exe)
		}
		rec.Last = fmt.Sprintf("installing %s failed: %v", to, err)
		_ = saveRecord(s.StateDir, rec)
		return fmt.Errorf("installing agent %s into %s: %w; the old binary is unchanged (check that the folder is writable)", to, s.Exe, err)
	}
	if err := atomicfile.SyncDir(filepath.Dir(s.Exe)); err != nil {
		log.Warn("agent update: syncing the binary's folder", "err", err)
	}
	log.Info("agent update: new binary in place; starting it on trial", "from", s.From, "to", to, "old", old, "deadline", s.HealthTimeout)

	reason, ok := s.trial(ctx, to, old, log)
	if ok {
		rec.Pending = nil
		rec.Last = fmt.Sprintf("updated from %s to %s at %s", s.From, to, time.Now().UTC().Format(time.RFC3339))
		if err := saveRecord(s.StateDir, rec); err != nil {
			log.Warn("agent update: recording the outcome", "err", err) // the next start rolls back: safe
		}
		log.Info("agent update: the new binary served; restarting on it", "version", to)
		return nil
	}
	log.Error("agent update: the new binary failed its health check; putting the old one back", "version", to, "why", reason)
	if err := os.Rename(old, s.Exe); err != nil {
		rec.Pending = nil
		rec.addFailed(to, reason, time.Now())
		rec.Last = fmt.Sprintf("%s failed its health check and the old binary could not be put back: copy %s to %s", to, old, s.Exe)
		_ = saveRecord(s.StateDir, rec)
		return fmt.Errorf("agent %s failed its health check (%s), and putting back the old binary failed: %w; copy %s to %s", to, reason, err, old, s.Exe)
	}
	_ = atomicfile.SyncDir(filepath.Dir(s.Exe))
	rec.Pending = nil
	rec.Last = fmt.Sprintf("rolled back from %s to %s at %s: %s", to, s.From, time.Now().UTC().Format(time.RFC3339), reason)
	interrupted := ctx.Err() != nil
	if !interrupted { // a stop during the trial says nothing about the new version: try it again later
		rec.addFailed(to, reason, time.Now())
	}
	if err := saveRecord(s.StateDir, rec); err != nil {
		log.Warn("agent update: recording the rollback", "err", err)
	}
	if interrupted {
		return fmt.Errorf("the update to %s was interrupted during its trial; the previous binary was put back: %w", to, ctx.Err())
	}
	return &HealthError{Version: to, Reason: reason}
}

// healthPoll is how often the trial looks for the health marker.
const healthPoll = 50 * time.Millisecond

// trial runs the installed (new) binary with this run's arguments and EnvPending, and waits until
// it writes the health marker, exits, or the deadline passes. A healthy binary is stopped again.
func (s *Switcher) trial(ctx context.Context, version, old string, log *slog.Logger) (reason string, ok bool) {
	_ = os.Remove(filepath.Join(s.StateDir, HealthFile))
	cmd := exec.Command(s.Exe, s.Args...)
	cmd.Env = append(withoutEnv(s.Env, EnvPending), EnvPending+"="+old)
	cmd.Stdout, cmd.Stderr = s.Stdout, s.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Sprintf("it could not be started: %v", err), false
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // drained by every return path below

	deadline := time.NewTimer(s.HealthTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(healthPoll)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return fmt.Sprintf("it exited before it served: %v", exitText(err)), false
		case <-deadline.C:
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Sprintf("it did not serve within %v", s.HealthTimeout), false
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-exited
			return "the agent was stopped during the trial", false
		case <-tick.C:
			h, found := readHealth(s.StateDir)
			if !found || h.PID != cmd.Process.Pid {
				continue
			}
			if h.Version != version {
				_ = cmd.Process.Kill()
				<-exited
				return fmt.Sprintf("it reports version %s, not %s", h.Version, version), false
			}
			if err := s.stop(cmd, exited); err != nil {
				log.Warn("agent update: stopping the binary on trial", "err", err)
			}
			return "", true
		}
	}
}

// stop asks the binary on trial to stop cleanly (stopSignal), and kills it after StopGrace.
func (s *Switcher) stop(cmd *exec.Cmd, exited <-chan error) error {
	grace := s.StopGrace
	if grace <= 0 {
		grace = time.Minute
	}
	if err := stopSignal(cmd.Process); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("asking it to stop: %w; it was killed", err)
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-exited:
		return nil
	case <-t.C:
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("it did not stop within %v; it was killed", grace)
	}
}

func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// withoutEnv returns env without the variable key.
func withoutEnv(env []string, key string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// Recover finishes a switch that a crash, a kill or a power loss cut off, at the start of a run
// that is not itself a trial. A pending switch means the new binary was never confirmed: when this
// process is that binary and the old one is still kept, the old one is put back and Recover
// returns restart=true, and the caller restarts on it (Restart). The version is recorded as failed.
func Recover(stateDir, exe, version string, log *slog.Logger) (restart bool, err error) {
	if os.Getenv(EnvPending) != "" {
		return false, nil
	}
	rec, err := loadRecord(stateDir)
	if err != nil || rec.Pending == nil {
		return false, err
	}
	p := rec.Pending
	rec.Pending = nil
	reason := "the switch was cut off before the new version was confirmed"
	rec.addFailed(p.To, reason, time.Now())
	rec.Last = fmt.Sprintf("rolled back from %s to %s: %s", p.To, p.From, reason)
	if version == p.To && p.Exe == exe {
		if _, err := os.Stat(p.OldPath); err == nil {
			if err := os.Rename(p.OldPath, exe); err != nil {
				return false, fmt.Errorf("an update to %s was cut off and putting back %s failed: %w; copy it to %s", p.To, p.OldPath, err, exe)
			}
			restart = true
		}
	}
	if log != nil {
		log.Warn("agent update: rolled back a switch that was cut off", "from", p.From, "to", p.To, "restart", restart)
	}
	if err := saveRecord(stateDir, rec); err != nil {
		return restart, err
	}
	return restart, nil
}
