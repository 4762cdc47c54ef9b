package agent

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/events"
	"github.com/iscdesk/iscdesk/installer/ticket"
)

// TestInstallFromTicket is the real flow: a signed ticket, the package downloaded over HTTP, staged,
// installed and detected, with every step on the event stream in order.
func TestInstallFromTicket(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	a := start(t, newAgent(t, m, "", nil))
	_, live, reset, cancel := a.Events().Subscribe(0)
	defer cancel()
	require.False(t, reset)

	job := submit(t, a.Agent, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: m.example("solver")})
	assert.Equal(t, "demo-solver", job.Product)
	assert.Equal(t, "2.1.0", job.Version)
	assert.Equal(t, apitype.StateQueued, job.State)

	// Follow the stream until the job ends: IDs increase by one, states come in the journal's order.
	var states []string
	var last uint64
	progress := 0
	timeout := time.After(deadline)
	for done := false; !done; {
		select {
		case e, ok := <-live:
			require.True(t, ok, "the agent dropped a watcher that reads")
			if last != 0 {
				require.Equal(t, last+1, e.ID, "event IDs increase by one")
			}
			last = e.ID
			if e.Job == nil || e.Job.ID != job.ID {
				continue
			}
			switch e.Type {
			case apitype.EventProgress:
				progress++
				require.NotNil(t, e.Job.Progress)
			case apitype.EventJob:
				if len(states) == 0 || states[len(states)-1] != e.Job.State {
					states = append(states, e.Job.State)
				}
				done = e.Job.Final()
			}
		case <-timeout:
			t.Fatalf("job %s did not finish; states so far %v", job.ID, states)
		}
	}
	assert.Equal(t, []string{"queued", "fetching", "staging", "staged", "installing", "detecting", "done"}, states)
	assert.Positive(t, progress, "download and extraction report progress")

	got, err := a.Job(context.Background(), job.ID)
	require.NoError(t, err)
	assert.Equal(t, apitype.StateDone, got.State)
	assert.Equal(t, "success", got.Outcome)
	assert.Nil(t, got.Progress, "a finished job shows no progress")

	sw, err := a.Software(context.Background())
	require.NoError(t, err)
	require.Len(t, sw, 1)
	assert.Equal(t, "demo-solver", sw[0].ID)
	assert.True(t, sw[0].Detected, sw[0].Detail)
	assert.Equal(t, "2.1.0", sw[0].DetectedVersion)
	require.NotNil(t, sw[0].Job)
	assert.Equal(t, job.ID, sw[0].Job.ID)

	logPath, err := a.JobLog(job.ID)
	require.NoError(t, err)
	data, err := os.ReadFile(logPath)
	require.NoError(t, err)
	assert.Contains(t, string(data), "installed Demo Solver 2.1.0")

	st, err := a.Status(context.Background(), apitype.Caller{UID: "1000"})
	require.NoError(t, err)
	assert.Equal(t, ModeUser, st.Mode)
	assert.Equal(t, "test", st.Version)
	assert.Equal(t, []string{m.key.ID()}, st.TrustedKeys)
	assert.Zero(t, st.JobsQueued)
	assert.Zero(t, st.JobsRunning)
	assert.False(t, st.RebootRequired)
	assert.Equal(t, "iscdesk", st.Caller.Grant, "a caller who may not install is told which group grants it")
}

func TestSubmitRefusals(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	other, err := ticket.GenerateKey("not trusted")
	require.NoError(t, err)
	a := newAgent(t, m, "", nil) // not running: the queued solver job stays queued
	t.Cleanup(func() { require.NoError(t, a.Close()) })

	good := m.example("solver")
	submit(t, a, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: good})

	untrusted := m.example("cad-viewer")
	untrusted = []byte(strings.Replace(string(untrusted), `"key_id": "`+m.key.ID(), `"key_id": "`+other.ID(), 1))
	altered := []byte(strings.Replace(string(m.example("driver-kit")), `"signature": "`, `"signature": "AAAA`, 1))
	otherOS := map[bool]string{true: "linux", false: "windows"}[runtime.GOOS == "windows"]
	now := time.Now()
	foreign, err := ticket.Sign(ticket.Ticket{Product: "cad-viewer", Name: "CAD Viewer", Version: "5.0.0", Platform: otherOS + "/amd64",
		URLs: []string{m.srv.URL + "/cad-viewer.iscpkg"}, Size: 1, SHA256: strings.Repeat("a", 64), ManifestSHA256: strings.Repeat("b", 64),
		IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour)}, m.key)
	require.NoError(t, err)

	tests := []struct {
		name  string
		req   apitype.JobRequest
		code  string
		field string
		msg   string
	}{
		{"no action", apitype.JobRequest{Ticket: good}, CodeBadRequest, "action", "no action"},
		{"unknown action", apitype.JobRequest{Action: "reinstall"}, CodeBadRequest, "action", `"reinstall"`},
		{"install without ticket", apitype.JobRequest{Action: apitype.ActionInstall, Product: "demo-solver"}, CodeBadRequest, "ticket", "ticket"},
		{"uninstall without product", apitype.JobRequest{Action: apitype.ActionUninstall}, CodeBadRequest, "product", "product"},
		{"uninstall with a ticket", apitype.JobRequest{Action: apitype.ActionUninstall, Product: "demo-solver", Ticket: good}, CodeBadRequest, "ticket", "not a ticket"},
		{"ticket signed by an untrusted key", apitype.JobRequest{Action: apitype.ActionInstall, Ticket: untrusted}, CodeTicketRefused, "ticket", ""},
		{"altered ticket", apitype.JobRequest{Action: apitype.ActionInstall, Ticket: altered}, CodeTicketRefused, "ticket", ""},
		{"not a ticket", apitype.JobRequest{Action: apitype.ActionInstall, Ticket: []byte("hello")}, CodeTicketRefused, "ticket", ""},
		{"ticket for another platform", apitype.JobRequest{Action: apitype.ActionInstall, Ticket: foreign}, CodeTicketRefused, "ticket", otherOS},
		{"second install of a product", apitype.JobRequest{Action: apitype.ActionInstall, Ticket: good}, CodeConflict, "", "demo-solver already has job"},
		{"uninstall of a product not installed", apitype.JobRequest{Action: apitype.ActionUninstall, Product: "cad-viewer"}, CodeNotFound, "product", "not installed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Submit(context.Background(), tc.req)
			e := asError(t, err)
			assert.Equal(t, tc.code, e.Code, e.Msg)
			assert.Equal(t, tc.field, e.Field)
			assert.Contains(t, e.Msg, tc.msg)
		})
	}

	jobs, err := a.Jobs(context.Background())
	require.NoError(t, err)
	assert.Len(t, jobs, 1, "a refused request journals nothing")

	_, err = a.Job(context.Background(), "j-999999")
	assert.Equal(t, CodeNotFound, asError(t, err).Code)
	_, err = a.Cancel(context.Background(), "nonsense")
	assert.Equal(t, CodeNotFound, asError(t, err).Code)
	_, err = a.JobLog("j-000042")
	assert.Equal(t, CodeNotFound, asError(t, err).Code)
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
		msg  string
	}{
		{"no state folder", Config{InstallRoot: dir}, "state folder"},
		{"no install root", Config{StateDir: dir}, "install root"},
		{"unknown mode", Config{StateDir: dir, InstallRoot: dir, Mode: "kiosk"}, `mode "kiosk"`},
		{"negative downloads", Config{StateDir: dir, InstallRoot: dir, Downloads: -1}, "downloads"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestSecondAgentOnOneStateFolderFailsFast(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	dir := t.TempDir()
	first := newAgent(t, m, dir, nil)
	t.Cleanup(func() { require.NoError(t, first.Close()) })

	began := time.Now()
	_, err := New(Config{StateDir: dir, InstallRoot: filepath.Join(dir, "root")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "in use by another process")
	assert.Less(t, time.Since(began), deadline, "a second agent fails instead of waiting")
}

// TestEventIDsChangeEpochAtRestart: an event ID from an earlier start gets reset, not silence.
func TestEventIDsChangeEpochAtRestart(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	dir := t.TempDir()
	first := newAgent(t, m, dir, nil)
	old := first.Events().Publish(apitype.Event{Type: apitype.EventStatus})
	require.NoError(t, first.Close())

	second := newAgent(t, m, dir, nil)
	t.Cleanup(func() { require.NoError(t, second.Close()) })
	second.Events().Publish(apitype.Event{Type: apitype.EventStatus})
	assert.Equal(t, events.Epoch(old.ID)+1, events.Epoch(second.Events().LastID()))
	missed, _, reset, cancel := second.Events().Subscribe(old.ID)
	defer cancel()
	assert.True(t, reset)
	assert.Empty(t, missed)
}

func TestErrorStatus(t *testing.T) {
	tests := []struct {
		code   string
		status int
	}{
		{CodeBadRequest, 400},
		{CodeTicketRefused, 422},
		{CodeConflict, 409},
		{CodeNotFound, 404},
		{"something new", 500},
	}
	for _, tc := range tests {
		e := &Error{Code: tc.code, Field: "f", Msg: "m"}
		assert.Equal(t, tc.status, e.HTTPStatus(), tc.code)
		assert.Equal(t, tc.code, e.ErrorCode())
		assert.Equal(t, "f", e.ErrorField())
	}
}
