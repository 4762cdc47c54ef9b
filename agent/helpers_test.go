package agent

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/installer/ticket"
)

// examples is the folder of the example packages.
var examples = filepath.Join("..", "packaging", "examples")

// deadline bounds every wait of these tests: generous, for a loaded 2-core machine.
const deadline = 90 * time.Second

// market stands in for the marketplace: it signs tickets with its own key and serves package files
// over real HTTP on 127.0.0.1.
type market struct {
	t   *testing.T
	key ticket.PrivateKey
	srv *httptest.Server
	dir string

	// mu guards gates: a package whose download waits until its gate is closed.
	mu    sync.Mutex
	gates map[string]chan struct{}
	// hits is called, when set, as each package request arrives (before its gate).
	hits func(name string)
}

func newMarket(t *testing.T) *market {
	t.Helper()
	key, err := ticket.GenerateKey("agent test")
	require.NoError(t, err)
	m := &market{t: t, key: key, dir: t.TempDir(), gates: map[string]chan struct{}{}}
	files := http.FileServer(http.Dir(m.dir))
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if m.hits != nil {
			m.hits(name)
		}
		m.mu.Lock()
		gate := m.gates[name]
		m.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// keyring trusts the market's key.
func (m *market) keyring() *ticket.Keyring { return ticket.NewKeyring(m.key.Public()) }

// hold makes downloads of the package built from example wait until the returned func is called.
func (m *market) hold(example string) (release func()) {
	gate := make(chan struct{})
	m.mu.Lock()
	m.gates[example+".iscpkg"] = gate
	m.mu.Unlock()
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	m.t.Cleanup(release)
	return release
}

// publish builds the package folder src as NAME.iscpkg, serves it and returns a signed ticket for it.
func (m *market) publish(name, src string) []byte {
	t := m.t
	t.Helper()
	info, err := pkgfile.BuildFile(context.Background(), src, filepath.Join(m.dir, name+".iscpkg"), pkgfile.BuildOptions{})
	require.NoError(t, err)
	id, version, title := manifestFields(t, filepath.Join(src, "package.yaml"))
	now := time.Now()
	tk, err := ticket.Sign(ticket.Ticket{
		Product: id, Name: title, Version: version, Platform: runtime.GOOS,
		URLs: []string{m.srv.URL + "/" + name + ".iscpkg"}, Size: info.Size,
		SHA256: info.SHA256, ManifestSHA256: info.ManifestSHA256,
		IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour),
	}, m.key)
	require.NoError(t, err)
	return tk
}

// example publishes one of packaging/examples under its folder name.
func (m *market) example(name string) []byte {
	return m.publish(name, filepath.Join(examples, name))
}

// manifestFields reads id, version and name from a package.yaml's top-level lines.
func manifestFields(t *testing.T, path string) (id, version, name string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch k {
		case "id":
			id = v
		case "version":
			version = v
		case "name":
			name = v
		}
	}
	require.NotEmpty(t, id, "no id in %s", path)
	return id, version, name
}

// harness is an agent whose Run goroutine the test owns.
type harness struct {
	*Agent
	cancel context.CancelFunc
	done   chan error
}

// newAgent opens an agent on stateDir (a new temp folder when empty) trusting m's key.
func newAgent(t *testing.T, m *market, stateDir string, tune func(*Config)) *Agent {
	t.Helper()
	if stateDir == "" {
		stateDir = t.TempDir()
	}
	cfg := Config{
		StateDir:     stateDir,
		InstallRoot:  filepath.Join(stateDir, "root"),
		Mode:         ModeUser,
		Version:      "test",
		Keyring:      m.keyring(),
		InstallGroup: "iscdesk",
	}
	if tune != nil {
		tune(&cfg)
	}
	a, err := New(cfg)
	require.NoError(t, err)
	return a
}

// start runs a's queue until stop (or the end of the test) and closes a afterwards.
func start(t *testing.T, a *Agent) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{Agent: a, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- a.Run(ctx) }()
	select {
	case <-a.Ready():
	case err := <-h.done:
		t.Fatalf("Run returned before it was ready: %v", err)
	case <-time.After(deadline):
		t.Fatal("the agent did not get ready")
	}
	t.Cleanup(func() { h.stop(t) })
	return h
}

// stop cancels Run, waits for it and closes the agent. It may be called more than once.
func (h *harness) stop(t *testing.T) {
	t.Helper()
	h.cancel()
	select {
	case err, ok := <-h.done:
		if ok {
			require.NoError(t, err)
			close(h.done)
		}
	case <-time.After(deadline):
		t.Fatal("Run did not return after its context was cancelled")
	}
	require.NoError(t, h.Close())
}

// submit queues a job and fails the test if the agent refuses it.
func submit(t *testing.T, a *Agent, req apitype.JobRequest) apitype.Job {
	t.Helper()
	j, err := a.Submit(context.Background(), req)
	require.NoError(t, err)
	return j
}

// waitJob polls job id until cond holds, and returns it.
func waitJob(t *testing.T, a *Agent, id string, what string, cond func(apitype.Job) bool) apitype.Job {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		j, err := a.Job(context.Background(), id)
		require.NoError(t, err)
		if cond(j) {
			return j
		}
		if time.Now().After(end) {
			t.Fatalf("job %s is not %s after %s: %+v", id, what, deadline, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitFinal(t *testing.T, a *Agent, id string) apitype.Job {
	t.Helper()
	return waitJob(t, a, id, "finished", apitype.Job.Final)
}

// history is a job's journaled transitions.
func history(t *testing.T, a *Agent, id string) []journal.Transition {
	t.Helper()
	j, err := a.eng.Journal().Get(id)
	require.NoError(t, err)
	return j.History
}

// firstAt is when a job's history first reached state s (zero when never).
func firstAt(h []journal.Transition, s journal.State) time.Time {
	for _, tr := range h {
		if tr.State == s {
			return tr.At
		}
	}
	return time.Time{}
}

// interval is when a job first entered state s and when it next left it.
func interval(h []journal.Transition, s journal.State) (from, to time.Time) {
	for i, tr := range h {
		if tr.State != s || !from.IsZero() {
			continue
		}
		from = tr.At
		for _, later := range h[i+1:] {
			if later.State != s {
				return from, later.At
			}
		}
	}
	return from, to
}

// asError returns err as *Error, failing the test when it is not one.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	require.True(t, errors.As(err, &e), "want *agent.Error, got %T: %v", err, err)
	return e
}
