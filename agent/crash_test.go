package agent

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/installer/ticket"
)

// Environment of the agent process TestAgentProcess runs for TestRestartAfterKill.
const (
	envStateDir = "ISCDESK_TEST_AGENT_STATE"
	envTicket   = "ISCDESK_TEST_AGENT_TICKET"
	envKey      = "ISCDESK_TEST_AGENT_KEY"
)

// TestAgentProcess is not a test: TestRestartAfterKill runs the test binary with it as an agent
// process that installs one ticket and runs until it is killed.
func TestAgentProcess(t *testing.T) {
	dir := os.Getenv(envStateDir)
	if dir == "" {
		t.Skip("runs only as the agent process of TestRestartAfterKill")
	}
	pub, err := ticket.ParsePublicKey([]byte(os.Getenv(envKey)))
	require.NoError(t, err)
	tk, err := os.ReadFile(os.Getenv(envTicket))
	require.NoError(t, err)
	a, err := New(Config{StateDir: dir, InstallRoot: filepath.Join(dir, "root"), Keyring: ticket.NewKeyring(pub)})
	require.NoError(t, err)
	_, err = a.Submit(context.Background(), apitype.JobRequest{Action: apitype.ActionInstall, Ticket: tk})
	require.NoError(t, err)
	require.NoError(t, a.Run(context.Background())) // returns only when killed
}

// TestRestartAfterKill: an agent process killed with SIGKILL in the middle of an install step; the
// next agent on its state folder kills what is left of the step and finishes the job.
func TestRestartAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an agent process")
	}
	t.Parallel()
	m := newMarket(t)
	dir := t.TempDir()
	tkPath := filepath.Join(t.TempDir(), "solver.ticket")
	require.NoError(t, os.WriteFile(tkPath, m.example("solver"), 0o600))
	pub, err := m.key.Public().MarshalText()
	require.NoError(t, err)

	cmd := exec.Command(os.Args[0], "-test.run=^TestAgentProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envStateDir+"="+dir, envTicket+"="+tkPath, envKey+"="+string(pub))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// The solver writes bin/solver first and VERSION about 2.5 s later: kill the agent in between.
	first := filepath.Join(dir, "root", "demo-solver", "bin", "solver")
	end := time.Now().Add(deadline)
	for {
		if _, err := os.Stat(first); err == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the agent process ended before the install step: %v", err)
		default:
		}
		require.True(t, time.Now().Before(end), "the install step did not start")
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Kill())
	<-exited

	a := newAgent(t, m, dir, nil)
	jobs, err := a.Jobs(context.Background())
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.Equal(t, apitype.StateInstalling, jobs[0].State, "the kill cut the job off in its install step")

	h := start(t, a)
	j := waitFinal(t, h.Agent, jobs[0].ID)
	require.Equal(t, apitype.StateDone, j.State, j.Reason)
	require.NotEmpty(t, j.Warnings)
	assert.Contains(t, j.Warnings[0], "was cut off")
	sw, err := h.Software(context.Background())
	require.NoError(t, err)
	require.Len(t, sw, 1)
	assert.True(t, sw[0].Detected, sw[0].Detail)
	assert.Equal(t, "2.1.0", sw[0].DetectedVersion)
}
