package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/localapi"
	"github.com/iscdesk/iscdesk/agent/localapi/localapitest"
	"github.com/iscdesk/iscdesk/internal/testenv"
)

// Ctrl-C while following a job stops the CLI, not the job, and says how to get back to it.
func TestFollowInterrupted(t *testing.T) {
	tests := []struct {
		name     string
		args     func(t *testing.T) []string
		job      string
		existing bool // the job is in the agent before the command starts
	}{
		{"watch", func(*testing.T) []string { return []string{"watch", "j-7"} }, "j-7", true},
		{"watch json", func(*testing.T) []string { return []string{"watch", "j-7", "--json"} }, "j-7", true},
		{"install", func(t *testing.T) []string { return []string{"install", writeTicket(t)} }, "job-1", false}, // the fake's first id
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeAgent(t)
			if tt.existing {
				f.PutJob(apitype.Job{ID: tt.job, Action: apitype.ActionInstall, Product: "demo-solver", State: apitype.StateInstalling})
			}
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			go func() { // Ctrl-C once the CLI follows
				select {
				case <-f.subscribed:
					cancel()
				case <-ctx.Done():
				}
			}()
			r := cli(t, ctx, f.socket, false, tt.args(t)...)

			assert.Equal(t, exitInterrupted, r.code, "stderr %q", r.stderr)
			assert.Equal(t, "iscdesk: interrupted; job "+tt.job+" goes on in the agent: follow it again with `iscdesk watch "+
				tt.job+"`, or cancel it with `iscdesk cancel "+tt.job+"`\n", r.stderr)
			j, err := f.Job(context.Background(), tt.job)
			require.NoError(t, err)
			assert.False(t, j.Final(), "the job must go on in the agent; it is %s", j.State)
		})
	}
}

// An agent that stops answering while a job is followed gets one notice, and the CLI waits for it
// to come back and finish the job.
func TestFollowWaitsForSilentAgent(t *testing.T) {
	defer func(d time.Duration) { agentSilence = d }(agentSilence)
	agentSilence = 500 * time.Millisecond // pollEvery is 100 ms in these tests

	a := startRestartableAgent(t)
	a.PutJob(apitype.Job{ID: "j-8", Action: apitype.ActionInstall, Product: "demo-solver", State: apitype.StateInstalling})
	var out bytes.Buffer
	var errOut testenv.SyncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(testContext(t), []string{"watch", "j-8", "--socket", a.socket}, stdio{out: &out, err: &errOut})
	}()
	select {
	case <-a.subscribed:
	case <-time.After(20 * time.Second):
		require.FailNow(t, "the CLI did not subscribe to the events within 20 s")
	}

	a.stop()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errOut.String(), silenceNotice) {
		require.True(t, time.Now().Before(deadline), "no notice within 20 s of the agent stopping; stderr %q", errOut.String())
		time.Sleep(50 * time.Millisecond)
	}
	// The silence goes on for several more polls: the notice must not repeat.
	<-time.After(10 * pollEvery)
	a.start()
	a.PutJob(apitype.Job{ID: "j-8", Action: apitype.ActionInstall, Product: "demo-solver", State: apitype.StateDone, Outcome: "success"})

	select {
	case c := <-code:
		assert.Equal(t, exitDone, c, "stderr %q", errOut.String())
	case <-time.After(20 * time.Second):
		require.FailNow(t, "the CLI did not end within 20 s of the agent finishing the job", "stderr %q", errOut.String())
	}
	assert.Equal(t, "iscdesk: "+silenceNotice+"\n", errOut.String(), "one notice, and nothing else")
	assert.Contains(t, out.String(), "j-8  install demo-solver: done\n")
}

// restartableAgent is a fake agent whose local API can stop and start again on the same socket, as
// an agent that is stopped, or restarts, does; the jobs stay in its backend.
type restartableAgent struct {
	*fakeAgent
	t      *testing.T
	srv    *localapi.Server
	served chan error
}

func startRestartableAgent(t *testing.T) *restartableAgent {
	t.Helper()
	dir, err := os.MkdirTemp("", "iscdesk-cli-") // short: unix socket paths are limited to ~100 bytes
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	a := &restartableAgent{t: t, fakeAgent: &fakeAgent{
		Backend:    localapitest.New(dir),
		socket:     filepath.Join(dir, "agent.sock"),
		subscribed: make(chan struct{}, 16),
	}}
	a.start()
	t.Cleanup(func() {
		a.stop()
		a.Events.Close()
	})
	return a
}

func (a *restartableAgent) start() {
	a.t.Helper()
	ln, err := localapi.Listen(a.socket, localapi.ListenOptions{})
	require.NoError(a.t, err)
	a.srv = localapi.NewServer(a.fakeAgent, localapi.Policy{OwnerUID: strconv.Itoa(os.Getuid())}, nil)
	served := make(chan error, 1)
	a.served = served
	go func(srv *localapi.Server) { served <- srv.Serve(ln) }(a.srv) // stop ends it
}

// stop shuts the local API down, ending the event streams; nothing answers on the socket until start.
func (a *restartableAgent) stop() {
	if a.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	assert.NoError(a.t, a.srv.Shutdown(ctx))
	assert.NoError(a.t, <-a.served)
	a.srv = nil
}
