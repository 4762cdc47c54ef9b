package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/localapi"
	"github.com/iscdesk/iscdesk/agent/localapi/localapitest"
)

func TestMain(m *testing.M) {
	pollEvery = 100 * time.Millisecond // the poll is the fallback; tests need not wait for it long
	licensePoll = 100 * time.Millisecond
	code := m.Run()
	stopSharedMarket()
	os.Exit(code)
}

// fakeAgent is the real local API server on a temporary unix socket, with an in-memory backend.
type fakeAgent struct {
	*localapitest.Backend
	*localapitest.LicenseBroker
	socket string
	// subscribed gets a value each time a watcher subscribes to the events.
	subscribed chan struct{}
	// quiet, when set, is what Job answers for its id, though no event said so.
	quiet atomic.Pointer[apitype.Job]
}

func (f *fakeAgent) Job(ctx context.Context, id string) (apitype.Job, error) {
	if j := f.quiet.Load(); j != nil && j.ID == id {
		return *j, nil
	}
	return f.Backend.Job(ctx, id)
}

// Subscribe tells the test that a watcher is listening, so that it publishes only then.
func (f *fakeAgent) Subscribe(after uint64) ([]apitype.Event, <-chan apitype.Event, bool, func()) {
	missed, live, reset, cancel := f.Backend.Subscribe(after)
	select {
	case f.subscribed <- struct{}{}:
	default:
	}
	return missed, live, reset, cancel
}

func startFakeAgent(t *testing.T) *fakeAgent {
	t.Helper()
	// A short folder: unix socket paths are limited to ~100 bytes, and subtest names are long.
	dir, err := os.MkdirTemp("", "iscdesk-cli-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	f := &fakeAgent{
		Backend:       localapitest.New(dir),
		LicenseBroker: localapitest.NewLicenseBroker(),
		socket:        filepath.Join(dir, "agent.sock"),
		subscribed:    make(chan struct{}, 16),
	}
	ln, err := localapi.Listen(f.socket, localapi.ListenOptions{})
	require.NoError(t, err)
	srv := localapi.NewServer(f, localapi.Policy{OwnerUID: strconv.Itoa(os.Getuid())}, nil)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, srv.Shutdown(ctx))
		assert.NoError(t, <-served)
		f.Events.Close()
	})
	return f
}

type cliResult struct {
	stdout, stderr string
	code           int
}

// cli runs the command line against the agent at socket, as main would.
func cli(t *testing.T, ctx context.Context, socket string, tty bool, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, append(args, "--socket", socket), stdio{out: &out, err: &errOut, tty: tty})
	return cliResult{stdout: out.String(), stderr: errOut.String(), code: code}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func writeTicket(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "demo-solver.ticket")
	require.NoError(t, os.WriteFile(p, []byte(`{"ticket":"signed"}`), 0o644))
	return p
}

func TestReadCommands(t *testing.T) {
	f := startFakeAgent(t)
	f.SetStatus(apitype.Status{Version: "1.2.3", OS: "linux/amd64", Mode: "user", JobsRunning: 1, TrustedKeys: []string{"k-2026"}})
	f.SetSoftware(sampleSoftware())
	f.PutJob(sampleJobs()[0])
	f.PutJob(sampleJobs()[2])

	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string // in stdout, or stderr when code != 0
		json     any      // when set, stdout must decode into it
	}{
		{name: "status", args: []string{"status"}, contains: []string{"agent         1.2.3 (linux/amd64), user mode", "trusted keys  k-2026", ", may install"}},
		{name: "status json", args: []string{"status", "--json"}, json: &apitype.Status{}},
		{name: "software", args: []string{"software"}, contains: []string{"demo-solver  Demo Solver  2.1.0    2.1.0"}},
		{name: "software list json", args: []string{"software", "list", "--json"}, json: &[]apitype.Software{}},
		{name: "jobs", args: []string{"jobs"}, contains: []string{"j-1", "j-333", "failed: uninstall.sh exited 1"}},
		{name: "jobs json", args: []string{"jobs", "--json"}, json: &[]apitype.Job{}},
		{name: "one job", args: []string{"jobs", "j-333"}, contains: []string{"left behind  /opt/cad-viewer/x"}},
		{name: "unknown job", args: []string{"jobs", "nope"}, code: exitFailed, contains: []string{`iscdesk: `, `"nope"`}},
		{name: "cancel an ended job", args: []string{"cancel", "j-1"}, code: exitFailed, contains: []string{"already ended"}},
		{name: "completion", args: []string{"completion", "bash"}, contains: []string{"bash completion", "__iscdesk"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, testContext(t), f.socket, false, tt.args...)
			require.Equal(t, tt.code, r.code, "stdout %q\nstderr %q", r.stdout, r.stderr)
			text := r.stdout
			if tt.code != 0 {
				text = r.stderr
			}
			for _, s := range tt.contains {
				assert.Contains(t, text, s)
			}
			if tt.json != nil {
				require.NoError(t, json.Unmarshal([]byte(r.stdout), tt.json), r.stdout)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	ticket := writeTicket(t)
	for _, args := range [][]string{
		{"frobnicate"},
		{"install"},
		{"install", ticket, "extra"},
		{"install", ticket, "--no-such-flag"},
		{"install", filepath.Join(t.TempDir(), "missing.ticket")},
		{"jobs", "a", "b"},
		{"logs", "j-1", "--tail", "-3"},
		{"software", "remove"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			// No agent behind the socket: a usage error must be found before anything is asked.
			r := cli(t, testContext(t), filepath.Join(t.TempDir(), "none.sock"), false, args...)
			assert.Equal(t, exitUsage, r.code, "stderr %q", r.stderr)
			assert.True(t, strings.HasPrefix(r.stderr, "iscdesk: "), r.stderr)
		})
	}
}

func TestAgentNotRunning(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "none.sock")
	for _, args := range [][]string{{"status"}, {"software", "--json"}, {"install", writeTicket(t)}, {"watch"}} {
		r := cli(t, testContext(t), socket, false, args...)
		assert.Equal(t, exitNoAgent, r.code, "%v: stderr %q", args, r.stderr)
	}
}

func TestInstallNoWait(t *testing.T) {
	f := startFakeAgent(t)
	ticket := writeTicket(t)
	r := cli(t, testContext(t), f.socket, false, "install", ticket, "--no-wait", "--json", "--priority", "5", "--overwrite", "--allow-downgrade")
	require.Equal(t, 0, r.code, r.stderr)
	var j apitype.Job
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &j), r.stdout)
	assert.Equal(t, apitype.StateQueued, j.State)

	r = cli(t, testContext(t), f.socket, false, "uninstall", "demo-solver", "--no-wait")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `\nstate +queued\n`, r.stdout)

	sub := f.Submitted()
	require.Len(t, sub, 2)
	assert.Equal(t, apitype.JobRequest{Action: apitype.ActionOverwrite, Ticket: []byte(`{"ticket":"signed"}`), AllowDowngrade: true, Priority: 5}, sub[0])
	assert.Equal(t, apitype.JobRequest{Action: apitype.ActionUninstall, Product: "demo-solver"}, sub[1])
}

func TestSubmitRefused(t *testing.T) {
	tests := []struct {
		name string
		err  *localapitest.Error
		code int
	}{
		{"untrusted ticket", &localapitest.Error{Status: 403, Code: "ticket_refused", Msg: "ticket is signed by key \"x\", which this agent does not trust"}, exitRefused},
		{"ticket refused as bad request", &localapitest.Error{Status: 400, Code: "ticket_refused", Msg: "ticket expired"}, exitRefused},
		{"no install rights", &localapitest.Error{Status: 403, Code: "forbidden", Msg: "only root may install"}, exitRefused},
		{"malformed request", &localapitest.Error{Status: 400, Code: "bad_request", Msg: "the ticket is not JSON"}, exitUsage},
		{"conflict", &localapitest.Error{Status: 409, Code: "conflict", Msg: "demo-solver is being installed by job-1"}, exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeAgent(t)
			f.SetSubmitError(tt.err)
			r := cli(t, testContext(t), f.socket, false, "install", writeTicket(t))
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.err.Msg)
			assert.Empty(t, r.stdout)
		})
	}
}

// drive plays a job's life on the fake agent once the CLI watches: the states given, with
// download progress after the first.
func drive(t *testing.T, f *fakeAgent, id string, states ...apitype.Job) {
	select {
	case <-f.subscribed:
	case <-time.After(20 * time.Second):
		t.Error("the CLI did not subscribe to the events within 20 s")
		return
	}
	j, err := f.Job(context.Background(), id)
	if !assert.NoError(t, err) {
		return
	}
	j.Product, j.Name, j.Version = "demo-solver", "Demo Solver", "2.1.0"
	for i, s := range states {
		j.State, j.Outcome, j.Reason, j.RebootRequired = s.State, s.Outcome, s.Reason, s.RebootRequired
		f.PutJob(j)
		for _, done := range []int64{0, 2048, 4096} {
			if i > 0 {
				break
			}
			p := j // each event gets its own job: the bus keeps the pointer
			p.Progress = &apitype.Progress{Step: "downloading", Done: done, Total: 4096}
			f.Events.Publish(apitype.Event{Type: apitype.EventProgress, Job: &p})
		}
	}
}

func TestInstallFollowsJob(t *testing.T) {
	tests := []struct {
		name   string
		end    apitype.Job
		code   int
		stderr string
	}{
		{"done", apitype.Job{State: apitype.StateDone, Outcome: "success"}, exitDone, ""},
		{"reboot", apitype.Job{State: apitype.StateDone, Outcome: "reboot", RebootRequired: true}, exitReboot, "restart the computer"},
		{"retry later", apitype.Job{State: apitype.StateWaitingRetry, Outcome: "retry_later"}, exitRetryLater, "another installation holds the machine"},
		{"failed", apitype.Job{State: apitype.StateFailed, Outcome: "failed", Reason: "install.sh exited 1"}, exitFailed, "install Demo Solver 2.1.0: failed: install.sh exited 1; its log: `iscdesk logs job-1`"},
		{"cancelled", apitype.Job{State: apitype.StateCancelled, Outcome: "cancelled"}, exitFailed, ": cancelled"},
	}
	for _, tt := range tests {
		for _, asJSON := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{true: " json"}[asJSON], func(t *testing.T) {
				f := startFakeAgent(t)
				done := make(chan struct{})
				go func() {
					defer close(done)
					drive(t, f, "job-1", apitype.Job{State: apitype.StateFetching}, apitype.Job{State: apitype.StateInstalling}, tt.end)
				}()
				args := []string{"install", writeTicket(t)}
				if asJSON {
					args = append(args, "--json")
				}
				r := cli(t, testContext(t), f.socket, false, args...)
				<-done
				assert.Equal(t, tt.code, r.code, "stderr %q", r.stderr)
				if tt.stderr != "" {
					assert.Contains(t, r.stderr, tt.stderr)
				} else {
					assert.Empty(t, r.stderr)
				}
				if !asJSON {
					assert.Contains(t, r.stdout, "job-1  install job job-1: queued\n") // the fake agent reads no ticket
					assert.Contains(t, r.stdout, "job-1  downloading 2.0 KiB of 4.0 KiB (50%)\n")
					assert.Contains(t, r.stdout, "job-1  install Demo Solver 2.1.0: installing\n")
					assert.Contains(t, r.stdout, "job-1  install Demo Solver 2.1.0: "+jobState(tt.end)+"\n")
					return
				}
				var states []string
				for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
					var e apitype.Event
					require.NoError(t, json.Unmarshal([]byte(line), &e), line)
					require.NotNil(t, e.Job, line)
					if e.Type == apitype.EventJob {
						states = append(states, e.Job.State)
					}
				}
				assert.Equal(t, []string{apitype.StateQueued, apitype.StateFetching, apitype.StateInstalling, tt.end.State}, states)
			})
		}
	}
}

// A job that the stream never reports (the CLI connected late, the agent restarted) is still
// followed to its end, through the poll.
func TestFollowCatchesUpByPolling(t *testing.T) {
	f := startFakeAgent(t)
	j := apitype.Job{ID: "j-9", Action: apitype.ActionRepair, Product: "demo-solver", State: apitype.StateInstalling}
	f.PutJob(j)
	go func() {
		<-f.subscribed
		j.State = apitype.StateDone
		f.quiet.Store(&j) // nothing published: only the poll sees it
	}()
	r := cli(t, testContext(t), f.socket, false, "watch", "j-9")
	assert.Equal(t, exitDone, r.code, r.stderr)
	assert.Contains(t, r.stdout, "repair demo-solver: done\n")
}

func TestLogs(t *testing.T) {
	f := startFakeAgent(t)
	f.PutJob(apitype.Job{ID: "j-1", Action: apitype.ActionInstall, Product: "demo-solver", State: apitype.StateDone})
	require.NoError(t, f.AppendLog("j-1", "fetching\ninstalling\ndone\n"))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"whole log", []string{"logs", "j-1"}, "fetching\ninstalling\ndone\n"},
		{"tail", []string{"logs", "j-1", "--tail", "2"}, "installing\ndone\n"},
		{"json", []string{"logs", "j-1", "--tail", "1", "--json"}, `{"job":"j-1","line":"done"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, testContext(t), f.socket, false, tt.args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, tt.want, r.stdout)
		})
	}
}

func TestCancel(t *testing.T) {
	f := startFakeAgent(t)
	f.PutJob(apitype.Job{ID: "j-1", Action: apitype.ActionInstall, Product: "demo-solver", State: apitype.StateFetching})
	r := cli(t, testContext(t), f.socket, false, "cancel", "j-1", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var j apitype.Job
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &j))
	assert.Equal(t, apitype.StateCancelled, j.State)
	got, err := f.Backend.Job(context.Background(), "j-1")
	require.NoError(t, err)
	assert.Equal(t, apitype.StateCancelled, got.State)
}

// `watch` prints every job's events until interrupted, and then exits 130.
func TestWatchAllUntilInterrupted(t *testing.T) {
	f := startFakeAgent(t)
	ctx, cancel := context.WithCancel(testContext(t))
	published := make(chan struct{})
	go func() {
		defer close(published)
		<-f.subscribed
		f.PutJob(apitype.Job{ID: "j-1", Action: apitype.ActionInstall, Product: "a", State: apitype.StateQueued})
		f.PutJob(apitype.Job{ID: "j-2", Action: apitype.ActionUninstall, Product: "b", State: apitype.StateDone})
		f.Events.Publish(apitype.Event{Type: apitype.EventStatus, Message: "reboot required"})
		f.PutJob(apitype.Job{ID: "j-1", Action: apitype.ActionInstall, Product: "a", State: apitype.StateFailed, Reason: "disk full"})
	}()
	var out, errOut bytes.Buffer
	// The writer sees each line; the last one ends the watch like Ctrl-C would.
	w := &lineWatcher{w: &out, stopAt: "install a: failed: disk full\n", stop: cancel}
	code := run(ctx, []string{"watch", "--socket", f.socket}, stdio{out: w, err: &errOut})
	<-published
	assert.Equal(t, exitInterrupted, code, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 4, out.String())
	assert.True(t, strings.HasSuffix(lines[0], "  j-1  install a: queued"), lines[0])
	assert.True(t, strings.HasSuffix(lines[1], "  j-2  uninstall b: done"), lines[1])
	assert.True(t, strings.HasSuffix(lines[2], "  reboot required"), lines[2])
	assert.True(t, strings.HasSuffix(lines[3], "  j-1  install a: failed: disk full"), lines[3])
}

// lineWatcher passes writes on and calls stop once a write ends with stopAt.
type lineWatcher struct {
	w      *bytes.Buffer
	stopAt string
	stop   func()
}

func (l *lineWatcher) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if strings.HasSuffix(l.w.String(), l.stopAt) {
		l.stop()
	}
	return n, err
}

// On a terminal, install draws a progress bar and still prints the state lines.
func TestInstallOnTerminal(t *testing.T) {
	f := startFakeAgent(t)
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		drive(t, f, "job-1", apitype.Job{State: apitype.StateFetching}, apitype.Job{State: apitype.StateDone})
	}()
	r := cli(t, testContext(t), f.socket, true, "install", writeTicket(t))
	<-driven
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "100% |")
	assert.Contains(t, r.stdout, "install Demo Solver 2.1.0: downloading 4.0 KiB of 4.0 KiB")
	assert.True(t, strings.HasSuffix(r.stdout, "job-1  install Demo Solver 2.1.0: done\n"), r.stdout)
}

// After a reset (the agent restarted and lost the events in between), `watch` shows the jobs that
// are still running, which the lost events would have shown.
func TestWatchAllReloadsAfterReset(t *testing.T) {
	f := startFakeAgent(t)
	f.PutJob(apitype.Job{ID: "j-old", Action: apitype.ActionInstall, Product: "old", State: apitype.StateDone, Updated: t0})
	f.PutJob(apitype.Job{ID: "j-5", Action: apitype.ActionInstall, Product: "a", State: apitype.StateInstalling, Updated: t0})
	ctx, cancel := context.WithCancel(testContext(t))
	published := make(chan struct{})
	go func() {
		defer close(published)
		<-f.subscribed
		f.Events.Publish(apitype.Event{Type: apitype.EventReset, Message: "events after 7 are no longer held"})
		f.Events.Publish(apitype.Event{Type: apitype.EventStatus, Message: "the end"})
	}()
	var out, errOut bytes.Buffer
	w := &lineWatcher{w: &out, stopAt: "the end\n", stop: cancel}
	code := run(ctx, []string{"watch", "--socket", f.socket}, stdio{out: w, err: &errOut})
	<-published
	assert.Equal(t, exitInterrupted, code, errOut.String())
	assert.Equal(t, "iscdesk: interrupted\n", errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3, out.String())
	assert.Contains(t, lines[0], "missed events while away")
	assert.True(t, strings.HasSuffix(lines[1], "  j-5  install a: installing"), lines[1])
	assert.True(t, strings.HasSuffix(lines[2], "  the end"), lines[2])
}
