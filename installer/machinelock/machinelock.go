// Package machinelock lets one install or uninstall step run at a time on the machine, whichever
// process runs it, like the Windows Installer's _MSIExecute mutex. The lock is an OS file lock on a
// file in the agent's state folder: the OS drops it when the holder dies, so a crash never leaves a
// stale lock behind. The file says who holds the lock, for the people who wait.
package machinelock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// pollInterval is how often a waiter retries: file locks have no portable blocking wait that a
// context can cancel.
const pollInterval = 200 * time.Millisecond

// Acquire takes the machine lock at path, waiting until ctx is done. holder says who takes it
// ("job 42 pid 1234"); it is written into the file once the lock is held. When the lock is taken by
// someone else, waiting (if not nil) is called once with what the file says about them, which may be
// "" when they took it a moment ago. release gives the lock back; calling it again does nothing.
func Acquire(ctx context.Context, path string, holder string, waiting func(heldBy string)) (release func() error, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("machine lock %s: create its folder: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("machine lock %s: %w; the agent's state folder must be writable", path, err)
	}
	heldBy, err := wait(ctx, f, path, waiting)
	if err != nil {
		f.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("waiting for the machine lock %s (held by %q): %w", path, heldBy, err)
		}
		return nil, fmt.Errorf("machine lock %s: %w", path, err)
	}
	if err := writeHolder(f, holder); err != nil {
		err = fmt.Errorf("machine lock %s: write holder: %w", path, err)
		return nil, errors.Join(err, unlock(f), f.Close())
	}
	var once sync.Once
	var relErr error
	return func() error {
		once.Do(func() {
			// Empty the file first so that nobody reads a holder that is gone.
			trunc := f.Truncate(0)
			if err := errors.Join(trunc, unlock(f), f.Close()); err != nil {
				relErr = fmt.Errorf("release machine lock %s: %w", path, err)
			}
		})
		return relErr
	}, nil
}

// wait polls for the lock until it is held or ctx is done. It returns who held the lock when it
// had to wait.
func wait(ctx context.Context, f *os.File, path string, waiting func(string)) (heldBy string, err error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var ticker *time.Ticker
	for {
		ok, err := tryLock(f)
		if err != nil {
			return heldBy, err
		}
		if ok {
			return heldBy, nil
		}
		if ticker == nil {
			heldBy = readHolder(path)
			if waiting != nil {
				waiting(heldBy)
			}
			ticker = time.NewTicker(pollInterval)
			defer ticker.Stop()
		}
		select {
		case <-ctx.Done():
			return heldBy, ctx.Err()
		case <-ticker.C:
		}
	}
}

// maxHolder bounds what is read from the file: it is ours, but anyone with write access could fill it.
const maxHolder = 512

func readHolder(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, maxHolder))
	return strings.TrimSpace(string(b))
}

func writeHolder(f *os.File, holder string) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(holder+"\n"), 0)
	return err
}
