package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/iscdesk/iscdesk/installer/journal"
)

// Recover finishes every job the journal holds unfinished, oldest first, as the start of a process must
// before it takes new work. It returns the jobs as they ended; a job that failed is journaled as failed
// and is not an error here. The error is for a journal that cannot be read or written.
func (e *Engine) Recover(ctx context.Context) ([]*journal.Job, error) {
	open, err := e.journal.Unfinished()
	if err != nil {
		return nil, err
	}
	var ended []*journal.Job
	for _, job := range open {
		e.log.Info("recovering job", "id", job.ID, "package", job.PackageID, "action", job.Action, "state", job.State, "phase", job.Phase)
		done, err := e.Run(ctx, job.ID)
		var jerr *journalError
		if errors.As(err, &jerr) {
			return ended, err
		}
		if ctx.Err() != nil {
			return ended, ctx.Err()
		}
		if done != nil {
			ended = append(ended, done)
		}
	}
	e.collectPackages()
	return ended, nil
}

// collectPackages removes staged packages that neither the inventory nor an unfinished job refers to:
// the package of a version that was replaced, of an uninstalled product, of a failed install, and the
// partial copies a crash left behind.
func (e *Engine) collectPackages() {
	keep := map[string]bool{}
	installed, err := e.journal.ListInstalled()
	if err != nil {
		return
	}
	for _, in := range installed {
		keep[filepath.Base(in.PackageDir)] = true
	}
	open, err := e.journal.Unfinished()
	if err != nil {
		return
	}
	for _, j := range open {
		if j.PackageDir != "" {
			keep[filepath.Base(j.PackageDir)] = true
		}
	}
	dir := filepath.Join(e.cfg.StateDir, "packages")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	e.mu.Lock()
	busy := len(e.running) > 1 // another job of this process may be staging right now
	e.mu.Unlock()
	for _, ent := range entries {
		name := ent.Name()
		if keep[name] || (busy && strings.Contains(name, ".partial")) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			e.log.Warn("removing an unused staged package", "path", name, "err", err)
		}
	}
}

// pruneJobs drops the oldest finished jobs beyond KeepJobs, with their logs, so that the journal
// and the logs folder do not grow for ever.
func (e *Engine) pruneJobs() {
	removed, err := e.journal.Prune(e.cfg.KeepJobs)
	if err != nil {
		e.log.Warn("pruning old jobs", "err", err)
		return
	}
	for _, j := range removed {
		for _, f := range []string{j.LogFile, filepath.Join(e.cfg.StateDir, "logs", j.ID+".vendor.log")} {
			if f != "" {
				_ = os.Remove(f)
			}
		}
	}
}

// Status is what detection says of one package the engine installed.
type Status struct {
	journal.Installed
	Detected        bool
	DetectedVersion string
	Detail          string // why detection does not find it
}

// Inventory runs detection for every package in the inventory record: what is installed is what
// detection finds, not what the journal hoped.
func (e *Engine) Inventory(ctx context.Context) ([]Status, error) {
	list, err := e.journal.ListInstalled()
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(list))
	for _, in := range list {
		st := Status{Installed: *in}
		m, p, err := e.readManifest(filepath.Join(in.PackageDir, "package.yaml"))
		if err != nil {
			st.Detail = "its package is gone from the state folder: " + err.Error()
			out = append(out, st)
			continue
		}
		job := &journal.Job{ID: in.JobID, InstallDir: in.InstallDir, PackageDir: in.PackageDir}
		res, err := e.cfg.Detector.Detect(ctx, p.Detect, e.vars(job, m, "detect"))
		if err != nil {
			st.Detail = err.Error()
		} else {
			st.Detected, st.DetectedVersion = res.Installed, res.Version
			if !res.Installed {
				st.Detail = detectionSummary(res.Rules)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// JobErr is the error a finished job ended with: nil when it is done.
func JobErr(j *journal.Job) error {
	switch j.State {
	case journal.StateDone:
		return nil
	case journal.StateCancelled:
		return fmt.Errorf("job %s cancelled: %s", j.ID, j.Reason)
	case journal.StateFailed:
		return fmt.Errorf("job %s failed: %s", j.ID, j.Reason)
	}
	return fmt.Errorf("job %s is still %s", j.ID, j.State)
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
