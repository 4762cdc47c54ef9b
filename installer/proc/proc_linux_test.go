package proc

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindByToken(t *testing.T) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)

	// The token must be matched whole: a process whose value only starts with the token is not ours.
	mine := exec.Command("sleep", "1000")
	mine.Env = []string{TokenEnv + "=" + token}
	other := exec.Command("sleep", "1000")
	other.Env = []string{TokenEnv + "=" + token + "x", "X_" + TokenEnv + "=" + token}
	for _, c := range []*exec.Cmd{mine, other} {
		require.NoError(t, c.Start())
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	}

	require.Eventually(t, func() bool {
		found := FindByToken(token)
		return len(found) == 1 && found[0] == mine.Process.Pid
	}, deadline, 10*time.Millisecond)
	assert.Nil(t, FindByToken(""))
	assert.NotContains(t, FindByToken(token), os.Getpid())
}

func TestStatParsesOddCommandNames(t *testing.T) {
	// A command name with spaces and ')' must not shift the fields.
	dir := t.TempDir()
	odd := dir + "/a) b ) c"
	require.NoError(t, os.Symlink("/bin/sleep", odd))
	cmd := exec.Command(odd, "1000")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	start, err := StartTime(cmd.Process.Pid)
	require.NoError(t, err)
	self, err := StartTime(os.Getpid())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, start, self, "the child started after us")
	assert.True(t, Alive(cmd.Process.Pid, start))
}
