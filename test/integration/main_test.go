// Package integration runs ISCDesk end to end: it builds the real binaries (iscdesk,
// iscdesk-agent, iscdesk-pack), starts a real agent on a temporary socket and drives it with
// the CLI, serving real packages from packaging/examples over HTTP on 127.0.0.1.
//
// The tests are skipped with -short; they need a few seconds each once the binaries are built.
package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

var (
	binDir    string // where TestMain's binaries go
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "iscdesk-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: making a folder for the binaries:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// moduleRoot is the folder of go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(goTool(), "env", "GOMOD").Output()
	require.NoError(t, err, "go env GOMOD")
	gomod := strings.TrimSpace(string(out))
	require.NotEmpty(t, gomod, "not inside the module")
	return filepath.Dir(gomod)
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// binaries builds the three commands once for all tests and returns their folder.
func binaries(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: builds and runs the real binaries; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("integration test: checks for leftover processes through /proc, which only linux has")
	}
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool(), "build", "-o", binDir+string(filepath.Separator),
			"./cmd/iscdesk", "./cmd/iscdesk-agent", "./cmd/iscdesk-pack")
		cmd.Dir = moduleRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binDir
}

// result of one run of a command.
type result struct {
	stdout, stderr string
	code           int
}

// run runs one of the built commands to its end (2 minutes at most).
func run(t *testing.T, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, name), args...)
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
func runJSON(t *testing.T, v any, name string, args ...string) {
	t.Helper()
	r := run(t, name, append(args, "--json")...)
	require.Equal(t, 0, r.code, "%s %v: %s", name, args, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), v), "output of %s %v: %s", name, args, r.stdout)
}

// eventually polls cond every 100 ms until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out after "+within.String()+" waiting until "+what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pkgServer serves files over HTTP on 127.0.0.1 (with Range, for resumed downloads) and counts requests.
type pkgServer struct {
	*httptest.Server
	requests atomic.Int64
}

func newPkgServer(t *testing.T, dir string) *pkgServer {
	s := &pkgServer{}
	files := http.FileServer(http.Dir(dir))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// vendor is a signing key and a built solver package with a server for it.
type vendor struct {
	dir     string
	pubLine string // "iscdesk-ed25519-public ID B64", for --trusted-key
	pkg     string // the .iscpkg
	server  *pkgServer
}

// newVendor makes a key named keyName, builds packaging/examples/solver and serves it.
func newVendor(t *testing.T, keyName string) *vendor {
	t.Helper()
	v := &vendor{dir: t.TempDir()}
	var key struct {
		PublicKey string `json:"public_key"`
	}
	runJSON(t, &key, "iscdesk-pack", "keygen", "--out", filepath.Join(v.dir, keyName))
	v.pubLine = key.PublicKey
	v.pkg = filepath.Join(v.dir, "demo-solver-2.1.0.iscpkg")
	var built struct {
		File string `json:"file"`
	}
	runJSON(t, &built, "iscdesk-pack", "build", filepath.Join(moduleRoot(t), "packaging", "examples", "solver"), "-o", v.pkg)
	v.server = newPkgServer(t, v.dir)
	return v
}

// sign writes a ticket for this machine's platform, signed with keyFile.
func (v *vendor) sign(t *testing.T, keyFile string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "solver.ticket")
	var signed struct {
		File string `json:"file"`
	}
	runJSON(t, &signed, "iscdesk-pack", "sign", v.pkg, "--key", keyFile,
		"--url", v.server.URL+"/"+filepath.Base(v.pkg), "--platform", runtime.GOOS+"/"+runtime.GOARCH, "-o", out)
	return out
}

// agent is a running iscdesk-agent in user mode on a temporary socket.
type agent struct {
	t                             *testing.T
	args                          []string
	socket, stateDir, installRoot string
	logFile, home                 string
	cmd                           *exec.Cmd
}

func newAgent(t *testing.T, trustedKey string) *agent {
	t.Helper()
	dir := t.TempDir()
	a := &agent{
		t:           t,
		socket:      filepath.Join(dir, "agent.sock"),
		stateDir:    filepath.Join(dir, "state"),
		installRoot: filepath.Join(dir, "opt"),
		logFile:     filepath.Join(dir, "agent.log"),
		home:        filepath.Join(dir, "home"),
	}
	require.NoError(t, os.MkdirAll(a.home, 0o700))
	a.args = []string{"run", "--user", "--socket", a.socket, "--state-dir", a.stateDir,
		"--install-root", a.installRoot, "--trusted-key", trustedKey}
	a.start()
	t.Cleanup(func() {
		a.stop()
		if t.Failed() {
			if log, err := os.ReadFile(a.logFile); err == nil {
				t.Logf("agent output:\n%s", log)
			}
		}
	})
	return a
}

// start starts the agent and waits until it answers.
func (a *agent) start() {
	a.t.Helper()
	log, err := os.OpenFile(a.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(a.t, err)
	defer log.Close()
	a.cmd = exec.Command(filepath.Join(binDir, "iscdesk-agent"), a.args...)
	a.cmd.Stdout, a.cmd.Stderr = log, log
	// --user mode reads ~/.config/iscdesk/agent.yaml: keep the agent away from this machine's.
	a.cmd.Env = append(os.Environ(), "HOME="+a.home, "XDG_CONFIG_HOME="+filepath.Join(a.home, ".config"))
	require.NoError(a.t, a.cmd.Start(), "starting iscdesk-agent")
	eventually(a.t, 30*time.Second, "the agent answers on "+a.socket, func() bool {
		return run(a.t, "iscdesk", "status", "--socket", a.socket).code == 0
	})
}

// kill stops the agent with SIGKILL, as a power cut would.
func (a *agent) kill() {
	a.t.Helper()
	require.NoError(a.t, a.cmd.Process.Signal(syscall.SIGKILL))
	_ = a.cmd.Wait() // "signal: killed"
	a.cmd = nil
}

// stop ends the agent with SIGTERM, or SIGKILL when it does not stop within 20 s.
func (a *agent) stop() {
	if a.cmd == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		_ = a.cmd.Wait()
		close(done)
	}()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		a.t.Errorf("iscdesk-agent did not stop within 20 s of SIGTERM; killing it")
		_ = a.cmd.Process.Kill()
		<-done
	}
	a.cmd = nil
}

// cli runs the iscdesk CLI against this agent.
func (a *agent) cli(args ...string) result {
	a.t.Helper()
	return run(a.t, "iscdesk", append(args, "--socket", a.socket)...)
}

func (a *agent) job(id string) apitype.Job {
	a.t.Helper()
	var j apitype.Job
	runJSON(a.t, &j, "iscdesk", "jobs", id, "--socket", a.socket)
	return j
}

// watcher is `iscdesk watch --json` running in the background, with the events it printed.
type watcher struct {
	cmd  *exec.Cmd
	mu   sync.Mutex // guards events
	evs  []apitype.Event
	done chan struct{} // closed when the output ends
}

func startWatch(t *testing.T, a *agent) *watcher {
	t.Helper()
	w := &watcher{done: make(chan struct{})}
	w.cmd = exec.Command(filepath.Join(binDir, "iscdesk"), "watch", "--json", "--socket", a.socket)
	out, err := w.cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	w.cmd.Stderr = &stderr
	require.NoError(t, w.cmd.Start())
	go func() { // owned by the watcher: ends when the process closes its output
		defer close(w.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			var e apitype.Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Errorf("iscdesk watch --json printed a line that is not an event: %q: %v", sc.Text(), err)
				continue
			}
			w.mu.Lock()
			w.evs = append(w.evs, e)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			_ = w.cmd.Process.Kill()
			<-w.done
			_ = w.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("iscdesk watch stderr:\n%s", stderr.String())
		}
	})
	return w
}

func (w *watcher) events() []apitype.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]apitype.Event(nil), w.evs...)
}

// interrupt stops the watch like Ctrl-C and returns its exit code.
func (w *watcher) interrupt(t *testing.T) int {
	t.Helper()
	require.NoError(t, w.cmd.Process.Signal(os.Interrupt))
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		require.FailNow(t, "iscdesk watch did not stop within 20 s of SIGINT")
	}
	err := w.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

// installerProcesses lists the processes that run with an install folder under root: the vendor's
// install and uninstall scripts and whatever they started.
func installerProcesses(t *testing.T, root string) []string {
	t.Helper()
	procs, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var found []string
	for _, p := range procs {
		env, err := os.ReadFile(filepath.Join("/proc", p.Name(), "environ"))
		if err != nil {
			continue // not a process, or gone
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := strings.CutPrefix(string(kv), "ISCDESK_INSTALL_DIR="); ok && strings.HasPrefix(v, root) {
				cmdline, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
				found = append(found, p.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
			}
		}
	}
	return found
}

// hasFile reports whether a file of that name is anywhere under root.
func hasFile(root, name string) bool {
	found := false
	_ = filepath.WalkDir(root, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == name {
			found = true
			return io.EOF // stop the walk
		}
		return nil
	})
	return found
}
