// Package integration runs ISCDesk end to end: it builds the real binaries (iscdesk,
// iscdesk-agent, iscdesk-pack), starts a real agent on a temporary socket and drives it with
// the CLI, serving real packages from packaging/examples over HTTP on 127.0.0.1.
//
// The tests are skipped with -short; they need a few seconds each once the binaries are built.
package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }

// bins are the built commands.
type bins struct{ cli, agent, pack string }

// binaries builds the three commands (once for all tests) and returns them.
func binaries(t *testing.T) bins {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: builds and runs the real binaries; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("integration test: checks for leftover processes through /proc, which only linux has")
	}
	return bins{
		cli:   testenv.MustBuild(t, "./cmd/iscdesk", ""),
		agent: testenv.MustBuild(t, "./cmd/iscdesk-agent", ""),
		pack:  testenv.MustBuild(t, "./cmd/iscdesk-pack", ""),
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
	pack    string // the iscdesk-pack binary
	dir     string
	pubLine string // "iscdesk-ed25519-public ID B64", for --trusted-key
	pkg     string // the .iscpkg
	server  *pkgServer
}

// newVendor makes a key named keyName, builds packaging/examples/solver and serves it.
func newVendor(t *testing.T, b bins, keyName string) *vendor {
	t.Helper()
	root, err := testenv.ModuleRoot()
	require.NoError(t, err)
	v := &vendor{pack: b.pack, dir: t.TempDir()}
	var key struct {
		PublicKey string `json:"public_key"`
	}
	testenv.RunJSON(t, nil, &key, v.pack, "keygen", "--out", filepath.Join(v.dir, keyName))
	v.pubLine = key.PublicKey
	v.pkg = filepath.Join(v.dir, "demo-solver-2.1.0.iscpkg")
	var built struct {
		File string `json:"file"`
	}
	testenv.RunJSON(t, nil, &built, v.pack, "build", filepath.Join(root, "packaging", "examples", "solver"), "-o", v.pkg)
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
	testenv.RunJSON(t, nil, &signed, v.pack, "sign", v.pkg, "--key", keyFile,
		"--url", v.server.URL+"/"+filepath.Base(v.pkg), "--platform", runtime.GOOS+"/"+runtime.GOARCH, "-o", out)
	return out
}

// agent is a running iscdesk-agent in user mode on a temporary socket.
type agent struct {
	t                             *testing.T
	bin                           bins
	args                          []string
	socket, stateDir, installRoot string
	home                          string
	proc                          *testenv.Process   // the running agent; nil when stopped
	runs                          []*testenv.Process // every start, for the log of a failed test
}

func newAgent(t *testing.T, b bins, trustedKey string) *agent {
	t.Helper()
	dir := t.TempDir()
	a := &agent{
		t:           t,
		bin:         b,
		socket:      filepath.Join(dir, "agent.sock"),
		stateDir:    filepath.Join(dir, "state"),
		installRoot: filepath.Join(dir, "opt"),
		home:        filepath.Join(dir, "home"),
	}
	require.NoError(t, os.MkdirAll(a.home, 0o700))
	a.args = []string{"run", "--user", "--socket", a.socket, "--state-dir", a.stateDir,
		"--install-root", a.installRoot, "--trusted-key", trustedKey}
	a.start()
	t.Cleanup(func() {
		a.stop()
		if t.Failed() {
			for i, p := range a.runs {
				t.Logf("agent output (run %d):\n%s\n%s", i+1, strings.Join(p.Output(), "\n"), p.Stderr())
			}
		}
	})
	return a
}

// start starts the agent and waits until it answers.
func (a *agent) start() {
	a.t.Helper()
	// --user mode reads ~/.config/iscdesk/agent.yaml: keep the agent away from this machine's.
	p, err := testenv.StartProcess([]string{"HOME=" + a.home, "XDG_CONFIG_HOME=" + filepath.Join(a.home, ".config")}, a.bin.agent, a.args...)
	require.NoError(a.t, err)
	a.proc, a.runs = p, append(a.runs, p)
	testenv.Eventually(a.t, 30*time.Second, "the agent answers on "+a.socket, func() bool {
		return testenv.Run(a.t, nil, a.bin.cli, "status", "--socket", a.socket).Code == 0
	})
}

// kill stops the agent with SIGKILL, as a power cut would.
func (a *agent) kill() {
	a.t.Helper()
	a.proc.Kill()
	a.proc = nil
}

// stop ends the agent with SIGTERM, or SIGKILL when it does not stop within 20 s.
func (a *agent) stop() {
	if a.proc == nil {
		return
	}
	if a.proc.Stop(syscall.SIGTERM) {
		a.t.Errorf("iscdesk-agent did not stop within 20 s of SIGTERM; killed it")
	}
	a.proc = nil
}

// cli runs the iscdesk CLI against this agent.
func (a *agent) cli(args ...string) testenv.Result {
	a.t.Helper()
	return testenv.Run(a.t, nil, a.bin.cli, append(args, "--socket", a.socket)...)
}

func (a *agent) job(id string) apitype.Job {
	a.t.Helper()
	var j apitype.Job
	testenv.RunJSON(a.t, nil, &j, a.bin.cli, "jobs", id, "--socket", a.socket)
	return j
}

// watcher is `iscdesk watch --json` running in the background; its lines are events.
type watcher struct {
	t    *testing.T
	proc *testenv.Process
}

func startWatch(t *testing.T, a *agent) *watcher {
	t.Helper()
	return &watcher{t: t, proc: testenv.Start(t, nil, a.bin.cli, "watch", "--json", "--socket", a.socket)}
}

// events returns the events printed so far; a line that is not an event fails the test.
func (w *watcher) events() []apitype.Event {
	w.t.Helper()
	var evs []apitype.Event
	for _, l := range w.proc.Output() {
		var e apitype.Event
		if !assert.NoError(w.t, json.Unmarshal([]byte(l), &e), "iscdesk watch --json printed a line that is not an event: %q", l) {
			continue
		}
		evs = append(evs, e)
	}
	return evs
}

// interrupt stops the watch like Ctrl-C and returns its exit code.
func (w *watcher) interrupt(t *testing.T) int {
	t.Helper()
	require.NoError(t, w.proc.Signal(os.Interrupt))
	code, err := w.proc.Wait(20 * time.Second)
	require.NoError(t, err, "iscdesk watch after SIGINT")
	return code
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
