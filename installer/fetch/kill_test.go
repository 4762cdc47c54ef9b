package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childEnv makes the test binary run one Fetch (described by the other variables) instead of the tests.
const childEnv = "ISCDESK_FETCH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

func runChild() int {
	size, err := strconv.ParseInt(os.Getenv(childEnv+"_SIZE"), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: bad size:", err)
		return 2
	}
	f := &Fetcher{CacheDir: os.Getenv(childEnv + "_DIR")}
	r := Request{URLs: []string{os.Getenv(childEnv + "_URL")}, Size: size, SHA256: os.Getenv(childEnv + "_SHA")}
	if _, err := f.Fetch(context.Background(), r); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// TestKillAndResume SIGKILLs a process in the middle of a 200 MiB download, then lets a second
// process finish it: almost nothing may be downloaded twice.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 200 MiB through loopback and disk; skipped with -short")
	}
	const size = 200 << 20
	c := content{seed: 42, size: size}
	sha := c.sha256()
	s := newServer(t, version{data: c, size: size, etag: `"big"`}, nil)
	// Not on a 4 MiB boundary, so that resuming from the last checkpoint alone would resend > 1 %.
	const pauseAt = 103<<20 - 12345
	s.pauseAt.Store(pauseAt)
	dir := t.TempDir()

	child := func() (*exec.Cmd, *bytes.Buffer) {
		var out bytes.Buffer
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", childEnv+"_DIR="+dir, childEnv+"_URL="+s.URL+"/big.pkg",
			childEnv+"_SIZE="+strconv.Itoa(size), childEnv+"_SHA="+sha)
		cmd.Stdout, cmd.Stderr = &out, &out
		return cmd, &out
	}

	first, out := child()
	require.NoError(t, first.Start())
	select {
	case <-s.paused:
	case <-time.After(2 * time.Minute):
		first.Process.Kill()
		first.Wait()
		t.Fatalf("the server did not reach %d bytes; child output:\n%s", pauseAt, out)
	}
	// Kill once the child has written what it received: the count then measures our resume, not
	// the bytes that were still in the kernel's socket buffers.
	part := filepath.Join(dir, sha+".partial")
	require.Eventually(t, func() bool {
		fi, err := os.Stat(part)
		return err == nil && fi.Size() == pauseAt
	}, time.Minute, 10*time.Millisecond, "the child never wrote the bytes it was sent")
	require.NoError(t, first.Process.Kill())
	require.Error(t, first.Wait(), "the first child was killed")
	st, ok := (&cache{dir: dir}).loadState(sha)
	require.True(t, ok, "a state file survives the kill")
	t.Logf("killed with %d bytes on disk, last checkpoint at %d", pauseAt, st.Offset)

	sentBefore := s.sent.Load()
	second, out := child()
	require.NoError(t, second.Run(), "second child:\n%s", out)

	resent := s.sent.Load() - sentBefore - (size - pauseAt)
	assert.Less(t, resent, int64(size/100), "bytes sent twice")
	assert.GreaterOrEqual(t, resent, int64(0))

	file, err := os.Open(filepath.Join(dir, sha+".pkg"))
	require.NoError(t, err)
	defer file.Close()
	h := sha256.New()
	n, err := io.Copy(h, file)
	require.NoError(t, err)
	assert.EqualValues(t, size, n)
	assert.Equal(t, sha, hex.EncodeToString(h.Sum(nil)))
}
