package integration

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/internal/testenv"
)

// An install whose agent is killed with SIGKILL in the middle of the vendor's install step ends
// done after the agent restarts, and `iscdesk watch` follows it through the restart.
func TestInstallSurvivesAgentKill(t *testing.T) {
	b := binaries(t)
	v := newVendor(t, b, "vendor")
	ticketFile := v.sign(t, filepath.Join(v.dir, "vendor.key"))
	a := newAgent(t, b, v.pubLine)
	w := startWatch(t, a)

	r := a.cli("install", ticketFile, "--no-wait", "--json")
	require.Equal(t, 0, r.Code, "install --no-wait: %s", r.Stderr)
	var job apitype.Job
	require.NoError(t, json.Unmarshal([]byte(r.Stdout), &job), "install --no-wait --json printed %q", r.Stdout)
	require.NotEmpty(t, job.ID)
	assert.Equal(t, "demo-solver", job.Product)

	// Kill the agent once the vendor's script has written its first files (it takes ~3 s).
	testenv.Eventually(t, 45*time.Second, "job "+job.ID+" is installing and the script has started", func() bool {
		j := a.job(job.ID)
		require.False(t, j.Final(), "job ended before the kill: %+v", j)
		return j.State == apitype.StateInstalling && hasFile(a.installRoot, ".installed-files")
	})
	// This also shows that installerProcesses finds the script, so that its empty answer below means something.
	require.NotEmpty(t, installerProcesses(t, a.installRoot), "the vendor's install script is not running at the kill")
	seenBeforeKill := len(w.events())
	a.kill()
	a.start()

	r = a.cli("watch", job.ID, "--json")
	require.Equal(t, 0, r.Code, "watch %s after the restart: %s\n%s", job.ID, r.Stderr, r.Stdout)
	final := a.job(job.ID)
	require.Equal(t, apitype.StateDone, final.State, "job after the restart: %+v", final)
	// The solver's install is overwrite-safe: the cut-off step is re-run over what it left.
	assert.Equal(t, "continue", final.Mode, "mode of the re-run install step")
	assert.GreaterOrEqual(t, final.Attempt, 2, "the install step ran once before the kill and once after")

	var items []apitype.Software
	testenv.RunJSON(t, nil, &items, b.cli, "software", "--socket", a.socket)
	var solver *apitype.Software
	for i := range items {
		if items[i].ID == "demo-solver" {
			solver = &items[i]
		}
	}
	require.NotNil(t, solver, "software lists no demo-solver: %+v", items)
	assert.True(t, solver.Detected, "demo-solver is not detected: %s", solver.Detail)
	assert.Equal(t, "2.1.0", solver.DetectedVersion)

	testenv.Eventually(t, 20*time.Second, "the background watch saw the job done", func() bool {
		for _, e := range w.events() {
			if e.Type == apitype.EventJob && e.Job != nil && e.Job.ID == job.ID && e.Job.State == apitype.StateDone {
				return true
			}
		}
		return false
	})
	evs := w.events()
	countFor := func(evs []apitype.Event) int {
		n := 0
		for _, e := range evs {
			if e.Job != nil && e.Job.ID == job.ID {
				n++
			}
		}
		return n
	}
	assert.Positive(t, countFor(evs[:seenBeforeKill]), "the watch saw no event of the job before the kill")
	assert.Positive(t, countFor(evs[seenBeforeKill:]), "the watch saw no event of the job after the restart")

	testenv.Eventually(t, 10*time.Second, "no process of the package is left", func() bool {
		return len(installerProcesses(t, a.installRoot)) == 0
	})
	assert.Equal(t, 130, w.interrupt(t), "iscdesk watch after Ctrl-C")
}

// A ticket signed by a key the agent does not trust is refused (exit 6) with a message that says
// so, before anything is downloaded.
func TestUntrustedTicketIsRefused(t *testing.T) {
	b := binaries(t)
	v := newVendor(t, b, "vendor")
	rogue := t.TempDir()
	testenv.RunJSON(t, nil, &struct{}{}, b.pack, "keygen", "--out", filepath.Join(rogue, "rogue"))
	ticketFile := v.sign(t, filepath.Join(rogue, "rogue.key"))
	a := newAgent(t, b, v.pubLine)

	r := a.cli("install", ticketFile)
	assert.Equal(t, 6, r.Code, "install with an untrusted ticket: stdout %q stderr %q", r.Stdout, r.Stderr)
	assert.Contains(t, r.Stderr, "iscdesk:")
	assert.Contains(t, strings.ToLower(r.Stderr), "not trust", "the message should say that the key is not trusted")
	assert.Zero(t, v.server.requests.Load(), "the package was requested although the ticket was refused")

	var jobs []apitype.Job
	testenv.RunJSON(t, nil, &jobs, b.cli, "jobs", "--socket", a.socket)
	for _, j := range jobs {
		assert.NotEqual(t, apitype.StateDone, j.State, "a refused ticket made a job that is done: %+v", j)
	}
}
