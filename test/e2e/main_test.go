// Package e2e runs the marketplace flow end to end with the real binaries: iscdesk-market on a
// temporary data folder, iscdesk-agent in user mode trusting the marketplace's ticket key, and the
// iscdesk CLI signed in through the marketplace's real login form (the test plays the browser).
//
// The tests are skipped with -short, and on other systems than Linux.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var binDir string // where TestMain's binaries go

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "iscdesk-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: making a folder for the binaries:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// buildBinaries builds the three commands of the flow.
func buildBinaries(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: builds and runs the real binaries; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("end-to-end test: runs the agent's example packages, which are shell scripts for Linux")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", binDir+string(filepath.Separator),
		"./cmd/iscdesk", "./cmd/iscdesk-agent", "./cmd/iscdesk-market")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
}

// process is a background command whose output is collected line by line.
type process struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	mu     sync.Mutex // guards lines
	lines  []string
	stderr bytes.Buffer
	done   chan struct{} // closed when the output ends and the process was waited for
	err    error         // of Wait, once done
}

// start runs a built command in the background with env added to the environment.
func start(t *testing.T, env []string, name string, args ...string) *process {
	t.Helper()
	p := &process{t: t, name: name, done: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(binDir, name), args...)
	p.cmd.Env = append(os.Environ(), env...)
	out, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = &p.stderr
	require.NoError(t, p.cmd.Start(), "starting %s", name)
	go func() { // owned by the process: ends when it closes its output
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.stop(os.Interrupt)
		if t.Failed() {
			t.Logf("%s %v\nstdout:\n%s\nstderr:\n%s", name, args, strings.Join(p.output(), "\n"), p.stderr.String())
		}
	})
	return p
}

func (p *process) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// waitLine waits until a line of the output matches and returns it.
func (p *process) waitLine(within time.Duration, match func(string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, l := range p.output() {
			if match(l) {
				return l
			}
		}
		select {
		case <-p.done:
			require.FailNow(p.t, p.name+" ended before printing the line waited for", "stderr: %s", p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			require.FailNow(p.t, "timed out after "+within.String()+" waiting for a line of "+p.name)
		}
	}
}

// wait waits for the process to end and returns its exit code.
func (p *process) wait(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		require.FailNow(p.t, p.name+" did not end within "+within.String())
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	require.NoError(p.t, p.err)
	return 0
}

// stop signals the process and waits for it, killing it after 20 s.
func (p *process) stop(sig os.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs a built command to its end (2 minutes at most).
func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, name), args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "running %s %v: %s", name, args, e.String())
		code = exit.ExitCode()
	}
	return result{stdout: o.String(), stderr: e.String(), code: code}
}

// runJSON runs a command that must succeed with --json and decodes its output into v.
func runJSON(t *testing.T, env []string, v any, name string, args ...string) {
	t.Helper()
	r := run(t, env, name, append(args, "--json")...)
	require.Equal(t, 0, r.code, "%s %v: %s", name, args, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), v), "output of %s %v: %s", name, args, r.stdout)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// playBrowser does what a person does with the sign-in address: open the page, fill in the form
// with its CSRF token and send it; the marketplace's redirect takes the browser to the CLI's
// loopback port, whose page must say that the sign-in worked.
func playBrowser(authURL, user, password string) error {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := hc.Get(authURL)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the sign-in page: %s: %s", resp.Status, page)
	}
	form := url.Values{"username": {user}, "password": {password}}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if form.Get("csrf_token") == "" {
		return fmt.Errorf("the sign-in page has no CSRF token: %s", page)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		return err
	}
	u.RawQuery = ""
	resp, err = hc.PostForm(u.String(), form)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Signed in") {
		return fmt.Errorf("after sending the form, the browser shows %s: %s", resp.Status, body)
	}
	if !strings.HasPrefix(resp.Request.URL.Host, "127.0.0.1:") {
		return fmt.Errorf("the form's redirect went to %s, not to the CLI's loopback port", resp.Request.URL)
	}
	return nil
}
