package client

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/events"
	"github.com/iscdesk/iscdesk/agent/localapi"
	"github.com/iscdesk/iscdesk/agent/localapi/localapitest"
)

// agent is a real local API server on a unix socket, with an in-memory backend.
type agent struct {
	srv  *localapi.Server
	done chan error
}

func startAgent(t *testing.T, sock string, b *localapitest.Backend) *agent {
	t.Helper()
	ln, err := localapi.Listen(sock, localapi.ListenOptions{})
	require.NoError(t, err)
	a := &agent{srv: localapi.NewServer(b, localapi.Policy{}, nil), done: make(chan error, 1)}
	go func() { a.done <- a.srv.Serve(ln) }()
	t.Cleanup(func() { a.stop(t) })
	return a
}

// stop shuts the server down and waits for Serve to return; it may be called again.
func (a *agent) stop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	assert.NoError(t, a.srv.Shutdown(ctx))
	if a.done != nil {
		assert.NoError(t, <-a.done)
		a.done = nil
	}
}

func newTestAgent(t *testing.T) (*Client, *localapitest.Backend, string) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	b := localapitest.New(dir)
	startAgent(t, sock, b)
	return New(sock), b, sock
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestCalls(t *testing.T) {
	c, b, _ := newTestAgent(t)
	ctx := testContext(t)
	b.SetStatus(apitype.Status{Version: "1.0.0", Mode: "system"})
	b.SetSoftware([]apitype.Software{{ID: "cadpro", Name: "CAD Pro"}, {ID: "viewer", Name: "Viewer"}})
	b.PutJob(apitype.Job{ID: "job-1", Product: "cadpro", State: apitype.StateDone})

	st, err := c.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "1.0.0", st.Version)
	assert.True(t, st.Caller.CanInstall, "the test runs as root or as the socket's owner")

	sw, err := c.Software(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"cadpro", "viewer"}, []string{sw[0].ID, sw[1].ID})

	j, err := c.Submit(ctx, apitype.JobRequest{Action: apitype.ActionUninstall, Product: "viewer"})
	require.NoError(t, err)
	assert.Equal(t, apitype.StateQueued, j.State)
	assert.Equal(t, "viewer", j.Product)

	jobs, err := c.Jobs(ctx)
	require.NoError(t, err)
	assert.Len(t, jobs, 2)

	got, err := c.Job(ctx, j.ID)
	require.NoError(t, err)
	assert.Equal(t, j.ID, got.ID)

	cancelled, err := c.Cancel(ctx, j.ID)
	require.NoError(t, err)
	assert.Equal(t, apitype.StateCancelled, cancelled.State)
}

func TestAPIErrors(t *testing.T) {
	c, b, _ := newTestAgent(t)
	ctx := testContext(t)
	b.PutJob(apitype.Job{ID: "job-1", State: apitype.StateDone})
	tests := []struct {
		name string
		call func() error
		want APIError
	}{
		{"unknown job", func() error { _, err := c.Job(ctx, "nope"); return err },
			APIError{Status: 404, Code: "not_found", Message: `no job "nope"; see GET /v1/jobs`}},
		{"bad request", func() error { _, err := c.Submit(ctx, apitype.JobRequest{Action: "install"}); return err },
			APIError{Status: 400, Code: "bad_request", Field: "ticket", Message: `install needs a release ticket: put the ticket file, in base64, in "ticket"`}},
		{"conflict", func() error { _, err := c.Cancel(ctx, "job-1"); return err },
			APIError{Status: 409, Code: "conflict", Message: "job job-1 has already ended (done)"}},
		{"log of unknown job", func() error { _, err := c.Log(ctx, "nope", 0, false); return err },
			APIError{Status: 404, Code: "not_found", Message: `no job "nope"; see GET /v1/jobs`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.want, *apiErr)
			assert.Equal(t, tt.want.Message, err.Error())
		})
	}
}

func TestAgentNotRunning(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, sock string)
		want    string
	}{
		{name: "no socket", prepare: func(*testing.T, string) {}, want: "(no socket at "},
		{name: "stale socket", prepare: func(t *testing.T, sock string) {
			ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
			require.NoError(t, err)
			ln.SetUnlinkOnClose(false)
			require.NoError(t, ln.Close())
		}, want: "(nothing answers on "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := filepath.Join(t.TempDir(), "agent.sock")
			tt.prepare(t, sock)
			_, err := New(sock).Status(testContext(t))
			require.ErrorIs(t, err, ErrAgentNotRunning)
			assert.Contains(t, err.Error(), tt.want+sock+")")
			assert.Contains(t, err.Error(), "start it with: sudo systemctl start iscdesk-agent, or iscdesk-agent run --user")
		})
	}
}

func TestLog(t *testing.T) {
	c, b, _ := newTestAgent(t)
	ctx := testContext(t)
	b.PutJob(apitype.Job{ID: "job-1", State: apitype.StateDone})
	require.NoError(t, b.AppendLog("job-1", "one\ntwo\nthree\n"))
	tests := []struct {
		tail int
		want string
	}{{0, "one\ntwo\nthree\n"}, {1, "three\n"}, {2, "two\nthree\n"}, {9, "one\ntwo\nthree\n"}}
	for _, tt := range tests {
		r, err := c.Log(ctx, "job-1", tt.tail, false)
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, r.Close())
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(got), "tail %d", tt.tail)
	}
}

func TestLogFollow(t *testing.T) {
	c, b, _ := newTestAgent(t)
	ctx := testContext(t)
	job := apitype.Job{ID: "job-1", State: apitype.StateInstalling}
	b.PutJob(job)
	require.NoError(t, b.AppendLog("job-1", "started\n"))
	r, err := c.Log(ctx, "job-1", 0, true)
	require.NoError(t, err)
	defer r.Close()
	br := bufio.NewReader(r)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "started\n", line)

	require.NoError(t, b.AppendLog("job-1", "finished\n"))
	job.State = apitype.StateDone
	b.PutJob(job)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Equal(t, "finished\n", string(rest), "the reader ends once the job has ended")
}

// watcher runs Watch in a goroutine and hands over what it sees.
type watcher struct {
	events chan apitype.Event
	ended  chan struct{} // closed when Watch has returned err
	err    error
	cancel context.CancelFunc
}

func startWatch(t *testing.T, c *Client, lastID uint64, fn func(apitype.Event) error) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{events: make(chan apitype.Event), ended: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(w.ended)
		w.err = c.Watch(ctx, lastID, func(e apitype.Event) error {
			select {
			case w.events <- e:
			case <-ctx.Done():
				return ctx.Err()
			}
			if fn != nil {
				return fn(e)
			}
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-w.ended
	})
	return w
}

func (w *watcher) next(t *testing.T) apitype.Event {
	t.Helper()
	select {
	case e := <-w.events:
		return e
	case <-w.ended:
		t.Fatalf("Watch ended: %v", w.err)
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20 s")
	}
	return apitype.Event{}
}

// wait returns what Watch returned.
func (w *watcher) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-w.ended:
		return w.err
	case <-time.After(20 * time.Second):
		t.Fatal("Watch did not return within 20 s")
		return nil
	}
}

func TestWatchInOrder(t *testing.T) {
	c, b, _ := newTestAgent(t)
	w := startWatch(t, c, b.Events.LastID(), nil)
	var sent []uint64
	for i := range 5 {
		sent = append(sent, b.Events.Publish(apitype.Event{Type: apitype.EventProgress, Message: string(rune('a' + i))}).ID)
	}
	for _, id := range sent {
		e := w.next(t)
		assert.Equal(t, id, e.ID)
		assert.Equal(t, apitype.EventProgress, e.Type)
	}
}

func TestWatchEnds(t *testing.T) {
	c, b, _ := newTestAgent(t)
	stop := errors.New("seen enough")
	w := startWatch(t, c, b.Events.LastID(), func(apitype.Event) error { return stop })
	b.Events.Publish(apitype.Event{Type: apitype.EventStatus})
	w.next(t)
	require.ErrorIs(t, w.wait(t), stop, "Watch returns fn's error")

	w = startWatch(t, c, b.Events.LastID(), nil)
	w.cancel()
	require.ErrorIs(t, w.wait(t), context.Canceled, "Watch returns when its context ends")
}

// TestWatchAcrossRestarts: the agent stops and starts again on the same socket; Watch
// reconnects, gets what it missed while the agent was down, and a reset when the agent's new
// process no longer holds it.
func TestWatchAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	b := localapitest.New(dir)
	first := startAgent(t, sock, b)
	c := New(sock)
	w := startWatch(t, c, b.Events.LastID(), nil)

	e1 := b.PutJob(apitype.Job{ID: "job-1", State: apitype.StateFetching})
	assert.Equal(t, e1.ID, w.next(t).ID)

	first.stop(t)
	e2 := b.PutJob(apitype.Job{ID: "job-1", State: apitype.StateInstalling}) // while nobody serves
	second := startAgent(t, sock, b)
	assert.Equal(t, e2.ID, w.next(t).ID, "what happened while the agent was down arrives after the reconnect")
	e3 := b.PutJob(apitype.Job{ID: "job-1", State: apitype.StateDone})
	assert.Equal(t, e3.ID, w.next(t).ID)

	// A new agent process numbers its events in a new epoch: the client's last ID means nothing to it.
	second.stop(t)
	b2 := localapitest.New(dir)
	b2.Events = events.New(0, 2)
	startAgent(t, sock, b2)
	reset := w.next(t)
	assert.Equal(t, apitype.EventReset, reset.Type)
	assert.Zero(t, reset.ID)
	e4 := b2.PutJob(apitype.Job{ID: "job-2", State: apitype.StateQueued})
	got := w.next(t)
	assert.Equal(t, e4.ID, got.ID)
	assert.Equal(t, uint32(2), events.Epoch(got.ID))
}
