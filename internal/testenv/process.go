package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stopGrace is how long a process may take to end after the signal that asks it to.
const stopGrace = 20 * time.Second

// Process is a command running in the background. Its standard output is kept line by line (the
// binaries print what tests wait for there: "marketplace on URL", a sign-in address, JSON events),
// its standard error whole.
type Process struct {
	name    string
	cmd     *exec.Cmd
	stderr  SyncBuffer
	mu      sync.Mutex // guards lines and partial
	lines   []string
	partial []byte        // the last line, until its newline comes
	changed chan struct{} // gets a value (if none is waiting) when a line is added
	done    chan struct{} // closed when the process was waited for
	err     error         // of Wait, once done
}

// StartProcess starts bin with args, and env added to the test's environment.
func StartProcess(env []string, bin string, args ...string) (*Process, error) {
	p := &Process{name: filepath.Base(bin), changed: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = lineWriter{p}, &p.stderr
	// A child of the process that keeps its output open must not keep Wait waiting.
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", p.name, err)
	}
	go func() { // owned by the process: ends when it has ended
		defer close(p.done)
		p.err = p.cmd.Wait()
		p.mu.Lock()
		if len(p.partial) > 0 {
			p.lines, p.partial = append(p.lines, string(p.partial)), nil
		}
		p.mu.Unlock()
	}()
	return p, nil
}

// lineWriter adds what the process writes to its lines.
type lineWriter struct{ p *Process }

func (w lineWriter) Write(b []byte) (int, error) {
	p := w.p
	p.mu.Lock()
	p.partial = append(p.partial, b...)
	added := false
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		p.lines = append(p.lines, strings.TrimSuffix(string(p.partial[:i]), "\r"))
		p.partial = p.partial[i+1:]
		added = true
	}
	p.mu.Unlock()
	if added {
		select {
		case p.changed <- struct{}{}:
		default:
		}
	}
	return len(b), nil
}

// Start is StartProcess for a test: it fails the test when the process cannot start, stops the
// process (interrupt, then kill) when the test ends, and logs its output if the test failed.
func Start(t testing.TB, env []string, bin string, args ...string) *Process {
	t.Helper()
	p, err := StartProcess(env, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop(os.Interrupt)
		if t.Failed() {
			t.Logf("%s %v\nstdout:\n%s\nstderr:\n%s", p.name, args, strings.Join(p.Output(), "\n"), p.Stderr())
		}
	})
	return p
}

// Output returns the lines of standard output so far.
func (p *Process) Output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// Stderr returns the standard error so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// WaitLine waits until a line of the output matches and returns it. It fails when the process ends
// first, or when within passes.
func (p *Process) WaitLine(within time.Duration, match func(string) bool) (string, error) {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		for _, l := range p.Output() {
			if match(l) {
				return l, nil
			}
		}
		select {
		case <-p.changed:
		case <-p.done:
			for _, l := range p.Output() { // the last lines may have come with the end
				if match(l) {
					return l, nil
				}
			}
			return "", fmt.Errorf("%s ended before printing the line waited for: %v; stderr: %s", p.name, p.err, p.Stderr())
		case <-deadline.C:
			return "", fmt.Errorf("timed out after %v waiting for a line of %s; stderr: %s", within, p.name, p.Stderr())
		}
	}
}

// Wait waits up to within for the process to end and returns its exit code.
func (p *Process) Wait(within time.Duration) (int, error) {
	select {
	case <-p.done:
	case <-time.After(within):
		return 0, fmt.Errorf("%s did not end within %v", p.name, within)
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode(), nil
	}
	if p.err != nil {
		return 0, fmt.Errorf("waiting for %s: %w", p.name, p.err)
	}
	return 0, nil
}

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Stop sends sig and waits for the process to end, killing it after 20 s. It reports whether it
// had to kill it; a process that already ended is left as it is.
func (p *Process) Stop(sig os.Signal) (killed bool) {
	select {
	case <-p.done:
		return false
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return false
	case <-time.After(stopGrace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return true
	}
}

// Kill kills the process at once, as a power cut would, and waits for it.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// SyncBuffer is a bytes.Buffer that a process or a goroutine writes while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (l *SyncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *SyncBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
