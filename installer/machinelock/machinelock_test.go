package machinelock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// helperEnv makes the test binary a lock holder: it takes the lock named by the variable, prints
// "locked", and holds it until its stdin closes.
const helperEnv = "MACHINELOCK_TEST_HOLDER"

// deadline is generous: the tests run beside other packages' tests on a loaded 2-core machine.
const deadline = 30 * time.Second

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		os.Exit(holdLock(path))
	}
	os.Exit(m.Run())
}

func holdLock(path string) int {
	release, err := Acquire(context.Background(), path, fmt.Sprintf("helper pid %d", os.Getpid()), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := release(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startHolder runs the test binary as a lock holder and returns once it holds the lock. Closing the
// returned writer makes it release the lock and exit.
func startHolder(t *testing.T, path string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "helper did not report holding the lock")
	require.Equal(t, "locked\n", line)
	return cmd, stdin
}

func TestAcquireWaitsForAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "install.lock")
	helper, stdin := startHolder(t, path)

	heldBy := make(chan string, 2)
	type result struct {
		release func() error
		err     error
	}
	got := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	go func() {
		r, err := Acquire(ctx, path, "job 42 pid 1234", func(h string) { heldBy <- h })
		got <- result{r, err}
	}()

	select {
	case h := <-heldBy:
		assert.Equal(t, fmt.Sprintf("helper pid %d", helper.Process.Pid), h)
	case <-ctx.Done():
		t.Fatal("waiting was not called while another process held the lock")
	}
	require.NoError(t, stdin.Close(), "tell the helper to release")

	r := <-got
	require.NoError(t, r.err)
	assert.Len(t, heldBy, 0, "waiting is called once")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "job 42 pid 1234\n", string(b))
	require.NoError(t, r.release())
	require.NoError(t, r.release(), "a second release does nothing")
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Empty(t, b, "a released lock names no holder")
}

func TestLockOfKilledHolderIsFree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "install.lock")
	helper, _ := startHolder(t, path)
	require.NoError(t, helper.Process.Kill())
	_ = helper.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	release, err := Acquire(ctx, path, "after crash", nil)
	require.NoError(t, err, "the OS drops the lock of a dead process")
	require.NoError(t, release())
}

func TestAcquireCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "install.lock")
	_, _ = startHolder(t, path)

	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline while waiting", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 300*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancelled before", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			release, err := Acquire(ctx, path, "me", nil)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, release)
			assert.Contains(t, err.Error(), path)
		})
	}
}

func TestAcquireCancelledAfterFreeDoesNotLock(t *testing.T) {
	// A done context wins even when the lock is free: the caller gave up.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Acquire(ctx, filepath.Join(t.TempDir(), "install.lock"), "me", nil)
	require.ErrorIs(t, err, context.Canceled)
}

func TestAcquireExcludesGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "install.lock")
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()

	var inside, maxInside, done atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		wg.Go(func() {
			holder := fmt.Sprintf("goroutine %d", i)
			release, err := Acquire(ctx, path, holder, nil)
			if err != nil {
				errs <- err
				return
			}
			n := inside.Add(1)
			// While we hold the lock, the file names us and nobody else.
			if b, err := os.ReadFile(path); err != nil || string(b) != holder+"\n" {
				errs <- fmt.Errorf("%s holds the lock but the file says %q (%v)", holder, b, err)
			}
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			inside.Add(-1)
			done.Add(1)
			errs <- release()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(4), done.Load())
	assert.Equal(t, int32(1), maxInside.Load(), "never two holders at once")
}

func TestAcquireUnwritableFolder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "not-a-dir")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err := Acquire(context.Background(), filepath.Join(file, "install.lock"), "me", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "machine lock")
	assert.False(t, errors.Is(err, context.Canceled))
}
