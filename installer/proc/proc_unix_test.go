//go:build linux || darwin

package proc

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadline is generous: the tests run beside other packages' tests on a loaded 2-core machine.
const deadline = 20 * time.Second

func TestStartTimeOfSelf(t *testing.T) {
	start, err := StartTime(os.Getpid())
	require.NoError(t, err)
	assert.NotZero(t, start)
	again, err := StartTime(os.Getpid())
	require.NoError(t, err)
	assert.Equal(t, start, again, "the start time of a process does not change")
	assert.True(t, Alive(os.Getpid(), start))
}

func TestAlive(t *testing.T) {
	self, err := StartTime(os.Getpid())
	require.NoError(t, err)

	exited := exec.Command("true")
	require.NoError(t, exited.Run())

	// A zombie: exited but not reaped yet, so its pid is still taken.
	zombie := exec.Command("true")
	require.NoError(t, zombie.Start())
	t.Cleanup(func() { _ = zombie.Wait() })
	zstart, err := StartTime(zombie.Process.Pid)
	require.NoError(t, err, "a zombie still has a start time")
	require.Eventually(t, func() bool { return !Alive(zombie.Process.Pid, zstart) }, deadline, 10*time.Millisecond)

	tests := []struct {
		name  string
		pid   int
		start uint64
		want  bool
	}{
		{"self", os.Getpid(), self, true},
		{"self with another start time", os.Getpid(), self + 1, false},
		{"exited and reaped", exited.Process.Pid, self, false},
		{"zombie", zombie.Process.Pid, zstart, false},
		{"pid 0", 0, 0, false},
		{"negative pid", -4, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Alive(tt.pid, tt.start))
		})
	}
}

func TestStartTimeErrors(t *testing.T) {
	for _, pid := range []int{0, -1} {
		_, err := StartTime(pid)
		assert.ErrorContains(t, err, "not a valid pid")
	}
	done := exec.Command("true")
	require.NoError(t, done.Run())
	_, err := StartTime(done.Process.Pid)
	assert.Error(t, err, "a reaped process has no start time")
}

func TestKillGroupKillsEveryMember(t *testing.T) {
	// A leader with two children, all in the leader's new group.
	cmd := exec.Command("sh", "-c", "sleep 1000 & sleep 1000 & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	leader := cmd.Process.Pid

	var members []int
	require.Eventually(t, func() bool { members = Group(leader); return len(members) == 3 }, deadline, 10*time.Millisecond,
		"leader and two sleeps in group %d", leader)
	starts := map[int]uint64{}
	for _, pid := range members {
		st, err := StartTime(pid)
		require.NoError(t, err)
		starts[pid] = st
	}

	require.NoError(t, KillGroup(leader))
	select {
	case err := <-waited:
		assert.ErrorContains(t, err, "killed")
	case <-time.After(deadline):
		t.Fatal("the group leader did not die")
	}
	for pid, st := range starts {
		require.Eventually(t, func() bool { return !Alive(pid, st) }, deadline, 10*time.Millisecond, "pid %d survived", pid)
	}
	assert.Empty(t, Group(leader))
	assert.NoError(t, KillGroup(leader), "killing a group that is gone is not an error")
}

func TestKillGroupRefusesWideTargets(t *testing.T) {
	for _, pid := range []int{1, 0, -1, -42} {
		assert.ErrorContains(t, KillGroup(pid), "refusing", "pid %d", pid)
	}
}

func TestCommand(t *testing.T) {
	cmd := exec.Command("sleep", "1000")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	require.Eventually(t, func() bool { return Command(cmd.Process.Pid) != "" }, deadline, 10*time.Millisecond)
	assert.Contains(t, Command(cmd.Process.Pid), "sleep")
}
