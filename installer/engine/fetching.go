package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/iscdesk/iscdesk/installer/extract"
	"github.com/iscdesk/iscdesk/installer/fetch"
	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/installer/ticket"
)

// ErrRetryLater marks a job whose installer said "retry later": it waits in journal.StateWaitingRetry
// until its RetryAt.
var ErrRetryLater = errors.New("the installer asked to retry later")

// RefusedError is a request the engine will not take: a ticket that is not signed by a trusted key, is
// altered, expired, for another platform, a downgrade, or a package that does not match its ticket.
// Nothing of a refused package is run.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// ConflictError is a second job for a product that already has one.
type ConflictError struct {
	Product, JobID string
	msg            string
}

func (e *ConflictError) Error() string { return e.msg }

// Progress of a download or an extraction, sent with events.
type Progress struct {
	Step  string // "downloading", "extracting"
	Done  int64
	Total int64
	Rate  float64 // bytes per second
	ETA   time.Duration
}

// verifyTicket checks a ticket's signature and what it allows on this machine, before anything is
// journaled or fetched.
func (e *Engine) verifyTicket(data []byte, allowDowngrade bool) (*ticket.Ticket, error) {
	if e.cfg.Keyring == nil {
		return nil, &RefusedError{errors.New("this agent trusts no marketplace key, so it refuses every ticket; add the marketplace's public key to trusted_keys in the agent config")}
	}
	t, err := e.cfg.Keyring.Verify(data, e.now())
	if err != nil {
		return nil, &RefusedError{err}
	}
	installed := ""
	if in, err := e.journal.GetInstalled(t.Product); err == nil {
		installed = in.Version
	}
	if err := t.Check(ticket.Checks{GOOS: e.cfg.GOOS, GOARCH: e.cfg.GOARCH, Installed: installed, AllowDowngrade: allowDowngrade}); err != nil {
		return nil, &RefusedError{err}
	}
	return t, nil
}

// fetching downloads the ticket's package into the cache (resuming a partial download), checks its
// size, SHA-256 and package.yaml against the ticket, and only then lets it be staged.
func (e *Engine) fetching(ctx context.Context, job *journal.Job) (*journal.Job, error) {
	if e.cfg.Fetcher == nil {
		return nil, errors.New("this engine has no downloader configured; it cannot install from a ticket")
	}
	// The signature was checked when the job was taken; check it again, since the journal is only a file.
	t, err := e.cfg.Keyring.Verify(job.Ticket, t0(job))
	if err != nil {
		return nil, &RefusedError{fmt.Errorf("the journaled ticket of job %s no longer verifies: %w", job.ID, err)}
	}
	e.mu.Lock()
	for _, u := range t.URLs {
		e.fetchingJobs[u] = job
	}
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		for _, u := range t.URLs {
			delete(e.fetchingJobs, u)
		}
		e.mu.Unlock()
	}()
	path, err := e.cfg.Fetcher.Fetch(ctx, fetch.Request{URLs: t.URLs, Size: t.Size, SHA256: t.SHA256})
	if err != nil {
		return nil, fmt.Errorf("downloading %s %s: %w", t.Product, t.Version, err)
	}
	if err := checkPackage(path, t); err != nil {
		return nil, &RefusedError{err}
	}
	return e.update(job, "staging", func(j *journal.Job) {
		j.State, j.Archive = journal.StateStaging, path
	})
}

// t0 is the time at which a journaled ticket was accepted: its expiry is judged then, not now, so
// that a job cut off by a long power cut still finishes.
func t0(job *journal.Job) time.Time { return job.Created }

// checkPackage reads the package.yaml at the head of a verified archive and checks it against the ticket.
func checkPackage(path string, t *ticket.Ticket) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	data, sum, err := pkgfile.ReadManifest(f)
	if err != nil {
		return fmt.Errorf("the package for %s %s: %w", t.Product, t.Version, err)
	}
	if err := t.MatchPackage(fi.Size(), t.SHA256, sum); err != nil {
		return err
	}
	m, err := manifest.Parse("package.yaml", data)
	if err != nil {
		return fmt.Errorf("the package for %s %s: %w", t.Product, t.Version, err)
	}
	if m.ID != t.Product || m.Version != t.Version {
		return fmt.Errorf("the ticket is for %s %s but its package is %s %s; the marketplace published a wrong package", t.Product, t.Version, m.ID, m.Version)
	}
	return nil
}

// stageArchive extracts a verified package into its root-only staging folder and checks that the
// package.yaml it staged is the one the ticket signed.
func (e *Engine) stageArchive(ctx context.Context, job *journal.Job) error {
	t, err := e.cfg.Keyring.Verify(job.Ticket, t0(job))
	if err != nil {
		return &RefusedError{err}
	}
	last := time.Time{}
	_, err = extract.Archive(ctx, job.Archive, job.PackageDir, extract.Options{
		Sync: true,
		Progress: func(done, total int64) {
			if time.Since(last) < 100*time.Millisecond && done != total {
				return
			}
			last = time.Now()
			e.emitProgress(job, Progress{Step: "extracting", Done: done, Total: total})
		},
	})
	if err != nil {
		return fmt.Errorf("staging %s %s: %w", job.PackageID, job.Version, err)
	}
	data, err := os.ReadFile(filepath.Join(job.PackageDir, "package.yaml"))
	if err != nil {
		return fmt.Errorf("staging %s %s: %w", job.PackageID, job.Version, err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != t.ManifestSHA256 {
		_ = os.RemoveAll(job.PackageDir)
		return &RefusedError{fmt.Errorf("the staged package.yaml of %s %s is not the one the ticket signed; the package was removed", job.PackageID, job.Version)}
	}
	return nil
}

// fetchProgress turns the downloader's reports into events of the job being fetched. The downloader
// serves every job, so the report is matched by the ticket's URL.
func (e *Engine) fetchProgress(p fetch.Progress) {
	e.mu.Lock()
	job := e.fetchingJobs[p.URL]
	e.mu.Unlock()
	if job == nil {
		return
	}
	e.emitProgress(job, Progress{Step: "downloading", Done: p.Done, Total: p.Total, Rate: p.Rate, ETA: p.ETA})
}

func (e *Engine) emitProgress(job *journal.Job, p Progress) {
	if e.cfg.Events != nil {
		e.cfg.Events(Event{Job: *job, Progress: &p})
	}
}

func (e *Engine) now() time.Time {
	if e.cfg.Now != nil {
		return e.cfg.Now()
	}
	return time.Now()
}
