package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/installer/engine"
	"github.com/iscdesk/iscdesk/installer/journal"
)

// journalRetry is how soon the scheduler tries again when it could not read the journal.
const journalRetry = 5 * time.Second

// errCancelled is the cause given to the context of a job cancelled by request: the engine journals
// it as a cancel, whatever step it cut. Any other end of the context (the agent stopping) leaves the
// job for recovery.
var errCancelled = engine.ErrCancelled

// worker is one job being prepared (fetch and stage) or run (install steps) by this process.
type worker struct {
	install bool
	cancel  context.CancelCauseFunc
	done    chan struct{} // closed once the engine call returned and the worker left active
}

// queueCounts are the numbers a status event carries.
type queueCounts struct {
	queued, running int
	recovering      bool
}

// Run finishes the jobs that the last stop cut off, then runs the queue until ctx is done. Jobs that
// were unfinished at start run before any new one (new ones wait in the queue). When ctx is done
// Run stops its workers and returns nil once they have returned: a vendor step cut off that way is
// finished by the next start's recovery. Run may be called once.
func (a *Agent) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.runCalled {
		a.mu.Unlock()
		return errors.New("agent: Run was called twice; an Agent runs its queue once")
	}
	a.runCalled = true
	a.mu.Unlock()

	open, err := a.eng.Unfinished()
	if err != nil {
		return fmt.Errorf("agent: reading the jobs to recover: %w", err)
	}
	a.mu.Lock()
	if len(open) > 0 {
		a.recovery = map[string]bool{}
		for _, j := range open {
			a.recovery[j.ID] = true
		}
		a.recovering = true
		a.log.Info("recovering jobs cut off by the last stop", "jobs", len(open))
	}
	a.mu.Unlock()
	close(a.ready)

	var wg sync.WaitGroup
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next, counts, changed := a.schedule(ctx, &wg)
		if changed {
			a.publishStatus(counts)
		}
		if next.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(max(time.Until(next), 0))
		}
		select {
		case <-ctx.Done():
			// Each worker's context is a child of ctx: they are being stopped already.
			wg.Wait()
			return nil
		case <-a.wake:
		case <-timer.C:
		}
	}
}

// poke asks the scheduler to look at the queue again.
func (a *Agent) poke() {
	select {
	case a.wake <- struct{}{}:
	default: // a poke is pending already
	}
}

// schedule starts what may start now: up to Downloads jobs preparing, one job running its install
// steps. It returns when the next waiting retry is due (zero when none), the queue counts and
// whether they changed since the last status event.
func (a *Agent) schedule(ctx context.Context, wg *sync.WaitGroup) (next time.Time, counts queueCounts, changed bool) {
	open, err := a.eng.Unfinished()
	if err != nil {
		a.log.Error("reading the queue from the journal", "err", err, "retry_in", journalRetry)
		return time.Now().Add(journalRetry), queueCounts{}, false
	}
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if ctx.Err() != nil {
		return time.Time{}, queueCounts{}, false
	}
	if a.recovery != nil && !a.recoveryLeft(open) {
		a.log.Info("recovery finished; taking new jobs")
		a.recovery, a.recovering = nil, false
	}

	var prepare, install []*journal.Job
	preparing, installing := 0, 0
	for _, w := range a.active {
		if w.install {
			installing++
		} else {
			preparing++
		}
	}
	for _, j := range open {
		if a.active[j.ID] != nil || (a.recovery != nil && !a.recovery[j.ID]) {
			continue
		}
		switch j.State {
		case journal.StateQueued, journal.StateFetching, journal.StateStaging:
			prepare = append(prepare, j)
		case journal.StateWaitingRetry:
			if j.RetryAt.After(now) {
				if next.IsZero() || j.RetryAt.Before(next) {
					next = j.RetryAt
				}
				continue
			}
			install = append(install, j)
		default: // staged, or a step cut off in installing or detecting
			install = append(install, j)
		}
	}
	slices.SortStableFunc(prepare, byPriority)
	slices.SortStableFunc(install, byPriority)
	for _, j := range prepare {
		if preparing >= a.cfg.Downloads {
			break
		}
		a.start(ctx, wg, j, false)
		preparing++
	}
	if installing == 0 && len(install) > 0 {
		a.start(ctx, wg, install[0], true)
	}

	counts = a.countsLocked(open)
	changed = counts != a.published
	a.published = counts
	return next, counts, changed
}

// recoveryLeft reports whether a job of the recovery set still has to run. One that waits for its
// retry does not hold up new jobs. a.mu is held.
func (a *Agent) recoveryLeft(open []*journal.Job) bool {
	for _, j := range open {
		if a.recovery[j.ID] && j.State != journal.StateWaitingRetry {
			return true
		}
	}
	return false
}

// countsLocked counts the jobs running in this process and those waiting. a.mu is held.
func (a *Agent) countsLocked(open []*journal.Job) queueCounts {
	c := queueCounts{running: len(a.active), recovering: a.recovering}
	for _, j := range open {
		if a.active[j.ID] == nil {
			c.queued++
		}
	}
	return c
}

// byPriority orders jobs by priority, highest first, then by age, oldest first.
func byPriority(x, y *journal.Job) int {
	if c := cmp.Compare(y.Priority, x.Priority); c != 0 {
		return c
	}
	if c := x.Created.Compare(y.Created); c != 0 {
		return c
	}
	return cmp.Compare(x.ID, y.ID)
}

// start runs job in a new worker: Prepare, or Run when install is set. a.mu is held.
func (a *Agent) start(ctx context.Context, wg *sync.WaitGroup, job *journal.Job, install bool) {
	jctx, cancel := context.WithCancelCause(ctx)
	w := &worker{install: install, cancel: cancel, done: make(chan struct{})}
	a.active[job.ID] = w
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer a.poke()
		a.work(jctx, job.ID, install)
		cancel(nil)
		a.mu.Lock()
		delete(a.active, job.ID)
		a.mu.Unlock()
		a.setProgress(job.ID, nil)
		close(w.done)
	}()
}

// work makes one engine call for job id and logs how it ended; the journal has the rest.
func (a *Agent) work(ctx context.Context, id string, install bool) {
	call, what := a.eng.Prepare, "preparing"
	if install {
		call, what = a.eng.Run, "running"
	}
	job, err := call(ctx, id)
	if install {
		a.lic.afterJob(job) // an uninstall leaves the license the agent placed: remove it
	}
	switch {
	case err == nil:
		if job != nil {
			a.log.Debug("job "+what+" ended", "id", id, "state", job.State)
		}
	case errors.Is(err, engine.ErrRetryLater):
		a.log.Info("job waits for a retry", "id", id, "err", err)
	case ctx.Err() != nil:
		a.log.Info("job stopped", "id", id, "why", context.Cause(ctx), "err", err)
	default:
		a.log.Warn("job "+what+" failed", "id", id, "err", err)
	}
}

// publishStatus sends a status event with the queue counts.
func (a *Agent) publishStatus(c queueCounts) {
	st := apitype.Status{JobsQueued: c.queued, JobsRunning: c.running, Recovering: c.recovering}
	st.RebootReasons = a.pendingReboots()
	st.RebootRequired = len(st.RebootReasons) > 0
	msg := fmt.Sprintf("%s running, %d waiting", plural(c.running, "job"), c.queued)
	if c.recovering {
		msg += "; finishing jobs cut off by the last stop"
	}
	a.bus.Publish(apitype.Event{Type: apitype.EventStatus, Status: &st, Message: msg})
}

// plural says "1 job", "2 jobs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
