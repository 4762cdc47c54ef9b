package agent

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/installer/journal"
)

// TestDownloadsInParallelInstallsOneAtATime: both downloads are in flight at once (the server holds
// each until both have arrived), and the journal shows the install steps one after the other.
func TestDownloadsInParallelInstallsOneAtATime(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	arrived := make(chan string, 8)
	m.hits = func(name string) { arrived <- name }
	releaseSolver, releaseViewer := m.hold("solver"), m.hold("cad-viewer")
	a := start(t, newAgent(t, m, "", nil))

	solver := submit(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("solver")})
	viewer := submit(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("cad-viewer")})
	var got []string
	for len(got) < 2 {
		select {
		case name := <-arrived:
			got = append(got, name)
		case <-time.After(deadline):
			t.Fatalf("only %v were requested: the downloads do not run in parallel", got)
		}
	}
	assert.ElementsMatch(t, []string{"solver.iscpkg", "cad-viewer.iscpkg"}, got)
	st, err := a.Status(context.Background(), apitype.Caller{})
	require.NoError(t, err)
	assert.Equal(t, 2, st.JobsRunning, "both jobs are downloading")
	releaseSolver()
	releaseViewer()

	for _, id := range []string{solver.ID, viewer.ID} {
		j := waitFinal(t, a.Agent, id)
		require.Equal(t, apitype.StateDone, j.State, j.Reason)
	}
	s1, e1 := interval(history(t, a.Agent, solver.ID), journal.StateInstalling)
	s2, e2 := interval(history(t, a.Agent, viewer.ID), journal.StateInstalling)
	require.False(t, s1.IsZero() || e1.IsZero() || s2.IsZero() || e2.IsZero())
	assert.True(t, !e1.After(s2) || !e2.After(s1),
		"install steps overlap: %s installing %s..%s, %s installing %s..%s", solver.ID, s1, e1, viewer.ID, s2, e2)
}

// TestPriorities: with one download slot taken, a later job of higher priority is prepared, and
// installed, before an earlier one of lower priority.
func TestPriorities(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	arrived := make(chan string, 8)
	m.hits = func(name string) { arrived <- name }
	release := m.hold("solver")
	a := start(t, newAgent(t, m, "", func(c *Config) { c.Downloads = 1 }))

	first := submit(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("solver")})
	select {
	case <-arrived:
	case <-time.After(deadline):
		t.Fatal("the first download did not start")
	}
	low := submit(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("cad-viewer")})
	high := submit(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("driver-kit"), Priority: 10})
	assert.Equal(t, 10, high.Priority)
	release()

	for _, id := range []string{first.ID, low.ID, high.ID} {
		j := waitFinal(t, a.Agent, id)
		require.Equal(t, apitype.StateDone, j.State, j.Reason)
	}
	hh, lh := history(t, a.Agent, high.ID), history(t, a.Agent, low.ID)
	assert.True(t, firstAt(hh, journal.StateFetching).Before(firstAt(lh, journal.StateFetching)), "the high-priority job downloads first")
	assert.True(t, firstAt(hh, journal.StateInstalling).Before(firstAt(lh, journal.StateInstalling)), "the high-priority job installs first")

	// driver-kit asks for a reboot: the status says so until the machine boots again.
	st, err := a.Status(context.Background(), apitype.Caller{CanInstall: true})
	require.NoError(t, err)
	assert.True(t, st.RebootRequired)
	require.Len(t, st.RebootReasons, 1)
	assert.Contains(t, st.RebootReasons[0], "Driver Kit 1.4.0")
	sw, err := a.Software(context.Background())
	require.NoError(t, err)
	require.Len(t, sw, 3)
	for _, s := range sw {
		assert.True(t, s.Detected, "%s: %s", s.ID, s.Detail)
		assert.Equal(t, s.ID == "driver-kit", s.RebootRequired, s.ID)
	}
}

// TestCancel cancels a job waiting in the queue, one downloading and one in its install step.
func TestCancel(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	arrived := make(chan string, 8)
	m.hits = func(name string) { arrived <- name }
	release := m.hold("solver")
	a := start(t, newAgent(t, m, "", func(c *Config) { c.Downloads = 1 }))
	ctx := context.Background()
	solverTicket := m.example("solver")

	downloading := submit(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: solverTicket})
	select {
	case <-arrived:
	case <-time.After(deadline):
		t.Fatal("the download did not start")
	}
	queued := submit(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("cad-viewer")})

	j, err := a.Cancel(ctx, queued.ID)
	require.NoError(t, err)
	assert.Equal(t, apitype.StateCancelled, j.State, "a queued job is cancelled at once")
	assert.NotContains(t, statesOf(history(t, a.Agent, queued.ID)), journal.StateFetching, "it never started")

	j, err = a.Cancel(ctx, downloading.ID)
	require.NoError(t, err)
	assert.Equal(t, apitype.StateCancelled, j.State, "Cancel returns once the running job has stopped")

	// A cancelled product may be installed again; cancel that install in its vendor step.
	release()
	installing := submit(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: solverTicket})
	waitJob(t, a.Agent, installing.ID, "in its install step", func(j apitype.Job) bool {
		return j.State == apitype.StateInstalling && j.Attempt > 0
	})
	j, err = a.Cancel(ctx, installing.ID)
	require.NoError(t, err)
	assert.Equal(t, apitype.StateCancelled, j.State, j.Reason)
	assert.Equal(t, "cancelled", j.Outcome)
	assert.NoFileExists(t, filepath.Join(a.cfg.InstallRoot, "demo-solver", "VERSION"), "the install was cut off before its end")

	_, err = a.Cancel(ctx, installing.ID)
	assert.Equal(t, CodeConflict, asError(t, err).Code, "an ended job cannot be cancelled")
	st, err := a.Status(ctx, apitype.Caller{})
	require.NoError(t, err)
	assert.Zero(t, st.JobsQueued+st.JobsRunning)
}

func statesOf(h []journal.Transition) []journal.State {
	var out []journal.State
	for _, tr := range h {
		out = append(out, tr.State)
	}
	return out
}

// retryPackage writes a package whose install says "retry later" (exit 75) the first time and
// succeeds the second.
func retryPackage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"package.yaml": `format: 1
id: busy-app
name: Busy App
version: 1.0.0
publisher: ISCDesk Tests
platforms:
  ` + runtime.GOOS + `:
    installer:
      type: script
      install: [sh, install.sh]
      uninstall: [sh, uninstall.sh]
    timeout: 1m
    on_interrupt: continue
    exit_codes: {75: retry_later}
    detect:
      - file: "{{.InstallDir}}/VERSION"
        version: {pattern: '(\d+\.\d+\.\d+)'}
`,
		"install.sh": `set -eu
if [ ! -e "$ISCDESK_INSTALL_DIR/.tried" ]; then
	: >"$ISCDESK_INSTALL_DIR/.tried"
	echo "busy-app: the package manager is busy; try again later"
	exit 75
fi
printf '1.0.0\n' >"$ISCDESK_INSTALL_DIR/VERSION"
`,
		"uninstall.sh": "rm -rf \"$ISCDESK_INSTALL_DIR\"\n",
	}
	for name, text := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	return dir
}

// TestRetryLater: a "retry later" outcome puts the job in waiting_retry with its next retry, and the
// agent runs it again when that time comes.
func TestRetryLater(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	a := start(t, newAgent(t, m, "", func(c *Config) {
		c.RetryBackoff = func(int) time.Duration { return 300 * time.Millisecond }
	}))
	_, live, _, cancel := a.Events().Subscribe(0)
	defer cancel()

	job := submit(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.publish("busy", retryPackage(t))})
	var waiting *apitype.Job
	timeout := time.After(deadline)
	for done := false; !done; {
		select {
		case e := <-live:
			if e.Type != apitype.EventJob || e.Job.ID != job.ID {
				continue
			}
			if e.Job.State == apitype.StateWaitingRetry && waiting == nil {
				waiting = e.Job
			}
			done = e.Job.Final()
		case <-timeout:
			t.Fatal("the job did not finish")
		}
	}
	require.NotNil(t, waiting, "the job waited for a retry")
	assert.False(t, waiting.NextRetry.IsZero(), "a waiting job says when it runs again")
	assert.Contains(t, waiting.Reason, "retry")

	j, err := a.Job(context.Background(), job.ID)
	require.NoError(t, err)
	assert.Equal(t, apitype.StateDone, j.State, j.Reason)
	states := statesOf(history(t, a.Agent, job.ID))
	i := slices.Index(states, journal.StateWaitingRetry)
	require.Positive(t, i, "%v", states)
	assert.Equal(t, []journal.State{journal.StateStaged, journal.StateInstalling, journal.StateDetecting, journal.StateDone},
		slices.Compact(states[i+1:]), "after the wait it is staged and installed again")
}

// TestRestartFinishesCutOffInstall: an agent stopped in the middle of an install step leaves the job
// in the journal; the next agent on the state folder finishes it before anything else.
func TestRestartFinishesCutOffInstall(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	dir := t.TempDir()
	first := start(t, newAgent(t, m, dir, nil))
	job := submit(t, first.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("solver")})
	waitJob(t, first.Agent, job.ID, "in its install step", func(j apitype.Job) bool {
		return j.State == apitype.StateInstalling && j.Attempt > 0
	})
	first.stop(t)

	second := newAgent(t, m, dir, nil)
	cut, err := second.Job(context.Background(), job.ID)
	require.NoError(t, err)
	require.Equal(t, apitype.StateInstalling, cut.State, "stopping the agent cuts the job off; it does not end it: %s", cut.Reason)

	// A job submitted once the new agent runs waits for the recovered one.
	h := start(t, second)
	later := submit(t, second, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("driver-kit")})
	j := waitFinal(t, h.Agent, job.ID)
	require.Equal(t, apitype.StateDone, j.State, j.Reason)
	assert.NotEmpty(t, j.Warnings, "the job says it was cut off and resumed")
	require.Equal(t, apitype.StateDone, waitFinal(t, h.Agent, later.ID).State)
	assert.True(t, firstAt(history(t, h.Agent, job.ID), journal.StateDone).Before(
		firstAt(history(t, h.Agent, later.ID), journal.StateFetching)), "the recovered job ends before a new one starts")

	sw, err := h.Software(context.Background())
	require.NoError(t, err)
	require.Len(t, sw, 2)
	for _, s := range sw {
		assert.True(t, s.Detected, "%s: %s", s.ID, s.Detail)
	}
}
