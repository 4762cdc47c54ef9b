package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/localapi"
	"github.com/iscdesk/iscdesk/agent/localapi/localapitest"
)

// updatingAgent is an agent whose self-update is scripted: AgentUpdate answers `answer` or
// `err`, then the agent "restarts" as `then` (its version and update record).
type updatingAgent struct {
	*localapitest.Backend
	answer apitype.UpdateStatus
	err    error
	then   apitype.UpdateStatus

	mu      sync.Mutex // guards current
	current apitype.UpdateStatus
}

func (u *updatingAgent) AgentUpdateStatus(context.Context) (apitype.UpdateStatus, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.current, nil
}

func (u *updatingAgent) AgentUpdate(_ context.Context, req apitype.UpdateRequest) (apitype.UpdateStatus, error) {
	if u.err != nil || req.CheckOnly {
		return u.answer, u.err
	}
	u.mu.Lock()
	u.current = u.then
	u.mu.Unlock()
	u.SetStatus(apitype.Status{Version: u.then.Current})
	return u.answer, nil
}

func startUpdatingAgent(t *testing.T, u *updatingAgent) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "iscdesk-cli-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	u.Backend = localapitest.New(dir)
	u.SetStatus(apitype.Status{Version: "1.0.0"})
	u.current = apitype.UpdateStatus{State: apitype.UpdateIdle, Current: "1.0.0"}
	sock := filepath.Join(dir, "agent.sock")
	ln, err := localapi.Listen(sock, localapi.ListenOptions{})
	require.NoError(t, err)
	srv := localapi.NewServer(u, localapi.Policy{}, nil)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, srv.Shutdown(ctx))
		assert.NoError(t, <-served)
		u.Events.Close()
	})
	return sock
}

func TestAgentUpdateCommand(t *testing.T) {
	waiting := apitype.UpdateStatus{State: apitype.UpdateWaiting, Current: "1.0.0", Available: "2.0.0"}
	cases := []struct {
		name   string
		agent  *updatingAgent
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "follows the switch", agent: &updatingAgent{answer: waiting,
			then: apitype.UpdateStatus{State: apitype.UpdateIdle, Current: "2.0.0", Last: "updated from 1.0.0 to 2.0.0"}},
			code: exitDone, stdout: "updated from 1.0.0 to 2.0.0"},
		{name: "rolled back", agent: &updatingAgent{answer: waiting, then: apitype.UpdateStatus{State: apitype.UpdateIdle, Current: "1.0.0",
			Failed: []apitype.FailedUpdate{{Version: "2.0.0", Reason: "it exited before it served"}}, Last: "rolled back from 2.0.0 to 1.0.0"}},
			code: exitFailed, stderr: "rolled back to 1.0.0"},
		{name: "refused release", agent: &updatingAgent{err: &localapitest.Error{Status: http.StatusUnprocessableEntity, Code: "update_signature",
			Msg: "the agent 2.0.0 is not signed by a trusted key"}}, code: exitRefused, stderr: "not signed by a trusted key"},
		{name: "check only", agent: &updatingAgent{answer: apitype.UpdateStatus{State: apitype.UpdateFound, Current: "1.0.0", Available: "2.0.0"}},
			args: []string{"--check"}, code: exitDone, stdout: "available 2.0.0"},
		{name: "no wait", agent: &updatingAgent{answer: waiting, then: apitype.UpdateStatus{Current: "2.0.0"}},
			args: []string{"--wait", "0"}, code: exitDone, stdout: "agent 1.0.0: waiting, available 2.0.0"},
		{name: "status", agent: &updatingAgent{}, args: []string{"--status"}, code: exitDone, stdout: "agent 1.0.0: idle"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sock := startUpdatingAgent(t, tc.agent)
			r := cli(t, testContext(t), sock, false, append([]string{"agent", "update"}, tc.args...)...)
			assert.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Contains(t, r.stdout, tc.stdout)
			assert.Contains(t, r.stderr, tc.stderr)
		})
	}

	t.Run("json", func(t *testing.T) {
		u := &updatingAgent{answer: waiting, then: apitype.UpdateStatus{State: apitype.UpdateIdle, Current: "2.0.0"}}
		r := cli(t, testContext(t), startUpdatingAgent(t, u), false, "agent", "update", "--json")
		require.Equal(t, exitDone, r.code, r.stderr)
		var st apitype.UpdateStatus
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
		assert.Equal(t, "2.0.0", st.Current)
	})
}
