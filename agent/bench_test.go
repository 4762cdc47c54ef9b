package agent_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent"
	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/client"
	"github.com/iscdesk/iscdesk/agent/localapi"
	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/installer/ticket"
)

// benchWait bounds each wait of the benchmark: generous, for a loaded 2-core machine.
const benchWait = 2 * time.Minute

// BenchmarkSubmitToStarted measures what a user waits for between "Install" and the vendor's
// installer running, for a package already in the download cache: the time from POST /v1/jobs
// (agent/client over the real local API on a unix socket, a real agent.Agent behind it) to the
// event of the journal point installing/install:started, journaled right after the vendor process
// started. Each iteration installs the same signed ticket again (same version: a reinstall), which
// finds the package in the cache, extracts it into a new staging folder and runs its install
// command; the next iteration starts once that job is done. ns/op is the whole job; p50-ms and
// p99-ms are POST to started. The log breaks the time down by journal point.
//
// Every finished job stays in the journal, and the agent reads them all at each scheduling
// decision: the history cases show what that costs, and it is why the figures grow with b.N, so
// compare runs of the same -benchtime (docs/benchmarks.md):
//
//	go test -run '^$' -bench SubmitToStarted -benchtime 50x -count 3 ./agent
func BenchmarkSubmitToStarted(b *testing.B) {
	if runtime.GOOS == "windows" {
		b.Skip("the benchmark package's installer is a shell script")
	}
	for _, bc := range []struct {
		name        string
		files, each int // the payload
		history     int // finished jobs in the journal before the first install
	}{
		{"payload=64KiB/history=0", 1, 64 << 10, 0},
		{"payload=16MiB/history=0", 64, 256 << 10, 0},
		{"payload=64KiB/history=1000", 1, 64 << 10, 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ba := startBenchAgent(b, bc.files, bc.each, bc.history)
			ba.install(b) // the first install downloads the package into the cache
			hits := ba.hits.Load()

			var runs []pointTimes
			for b.Loop() {
				runs = append(runs, ba.install(b))
			}
			b.StopTimer()
			if n := ba.hits.Load() - hits; n != 0 {
				b.Fatalf("the timed installs downloaded the package %d times; they should have found it in the cache", n)
			}
			total := durations(runs, func(p pointTimes) time.Duration { return p.at["started"].Sub(p.post) })
			b.ReportMetric(ms(percentile(total, 0.50)), "p50-ms")
			b.ReportMetric(ms(percentile(total, 0.99)), "p99-ms")
			b.Log(breakdown(runs))
		})
	}
}

// benchAgent is a market stand-in serving one package, and an agent behind its local API.
type benchAgent struct {
	tk     []byte         // the signed ticket of the package
	hits   atomic.Int64   // downloads of the package
	c      *client.Client // over the agent's socket
	events chan apitype.Event
}

// startBenchAgent builds a package whose payload is files random files of each bytes, serves it on
// 127.0.0.1, journals history finished jobs, and starts an agent and its local API on a temp
// socket, with a watch of its events. Everything stops when the benchmark ends.
func startBenchAgent(b *testing.B, files, each, history int) *benchAgent {
	b.Helper()
	dir := b.TempDir()
	ba := &benchAgent{events: make(chan apitype.Event, 1024)}

	key, err := ticket.GenerateKey("benchmark")
	require.NoError(b, err)
	pkg := filepath.Join(dir, "bench.iscpkg")
	info, err := pkgfile.BuildFile(b.Context(), writeBenchPackage(b, filepath.Join(dir, "src"), files, each), pkg, pkgfile.BuildOptions{})
	require.NoError(b, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ba.hits.Add(1)
		http.ServeFile(w, r, pkg)
	}))
	b.Cleanup(srv.Close)
	now := time.Now()
	ba.tk, err = ticket.Sign(ticket.Ticket{
		Product: "bench-pkg", Name: "Benchmark Package", Version: "1.0.0", Platform: runtime.GOOS,
		URLs: []string{srv.URL + "/bench.iscpkg"}, Size: info.Size, SHA256: info.SHA256, ManifestSHA256: info.ManifestSHA256,
		IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(24 * time.Hour),
	}, key)
	require.NoError(b, err)

	state := filepath.Join(dir, "state")
	if history > 0 {
		journalHistory(b, state, history, ba.tk)
	}
	a, err := agent.New(agent.Config{
		StateDir: state, InstallRoot: filepath.Join(dir, "root"), Mode: agent.ModeUser, Version: "bench",
		Keyring: ticket.NewKeyring(key.Public()),
	})
	require.NoError(b, err)
	sock := filepath.Join(dir, "agent.sock")
	ln, err := localapi.Listen(sock, localapi.ListenOptions{Mode: 0o600})
	require.NoError(b, err)
	srvAPI := localapi.NewServer(benchBackend{a}, localapi.Policy{OwnerUID: strconv.Itoa(os.Getuid())}, nil)

	// The agent and the API run as cmd/iscdesk-agent runs them; the cleanup stops both and waits.
	ctx, cancel := context.WithCancel(context.Background())
	runDone, serveDone, watchDone := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	go func() { runDone <- a.Run(ctx) }()
	select {
	case <-a.Ready():
	case err := <-runDone:
		b.Fatalf("the agent stopped before it was ready: %v", err)
	}
	go func() { serveDone <- srvAPI.Serve(ln) }()

	ba.c = client.New(sock)
	after := a.Events().LastID() // the watch replays from here, so no event is missed while it connects
	go func() {
		watchDone <- ba.c.Watch(ctx, after, func(e apitype.Event) error {
			select {
			case ba.events <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	b.Cleanup(func() {
		cancel()
		sctx, scancel := context.WithTimeout(context.Background(), benchWait)
		defer scancel()
		require.NoError(b, srvAPI.Shutdown(sctx))
		require.NoError(b, <-serveDone)
		require.NoError(b, <-runDone)
		if err := <-watchDone; !errors.Is(err, context.Canceled) {
			b.Errorf("the event watch ended with %v", err)
		}
		require.NoError(b, a.Close())
	})
	return ba
}

// journalHistory journals n finished installs in the agent's journal (the engine keeps it at
// state/journal.db), each through the states a real install journals, with a ticket of the size
// of tk: the records of a workstation that has installed and updated software for some time.
func journalHistory(b *testing.B, state string, n int, tk []byte) {
	b.Helper()
	j, err := journal.Open(filepath.Join(state, "journal.db"))
	require.NoError(b, err)
	defer func() { require.NoError(b, j.Close()) }()
	steps := []struct {
		state journal.State
		phase string
	}{
		{journal.StateFetching, ""}, {journal.StateStaging, ""}, {journal.StateStaged, ""},
		{journal.StateInstalling, "install"}, {journal.StateDetecting, ""}, {journal.StateDone, ""},
	}
	for i := range n {
		id := fmt.Sprintf("old-product-%04d", i)
		job := &journal.Job{
			Action: journal.ActionInstall, PackageID: id, Name: "Old Product", Version: "1.0.0",
			Source: "http://127.0.0.1/" + id + ".iscpkg", Ticket: tk,
			InstallDir: filepath.Join(state, "..", "root", id),
			PackageDir: filepath.Join(state, "packages", id+"-1.0.0-j-000000"),
			LogFile:    filepath.Join(state, "logs", "j-000000.log"),
		}
		require.NoError(b, j.Create(job))
		for _, st := range steps {
			_, err := j.Update(job.ID, func(jj *journal.Job) error {
				jj.State, jj.Phase = st.state, st.phase
				if st.state == journal.StateDone {
					jj.Outcome, jj.Attempt = "success", 1
				}
				return nil
			})
			require.NoError(b, err)
		}
	}
}

// benchBackend is what the local API serves: the agent and the watch of its event bus.
type benchBackend struct{ *agent.Agent }

func (b benchBackend) Subscribe(after uint64) ([]apitype.Event, <-chan apitype.Event, bool, func()) {
	return b.Events().Subscribe(after)
}

// writeBenchPackage writes a package folder whose install command writes one file and exits, and
// whose payload (extracted at every staging, never read by the installer) is files random files.
func writeBenchPackage(b *testing.B, dir string, files, each int) string {
	b.Helper()
	const manifest = `format: 1
id: bench-pkg
name: Benchmark Package
version: 1.0.0
publisher: ISCDesk Benchmarks
platforms:
  %s:
    installer:
      type: script
      install: [sh, install.sh]
      uninstall: [sh, uninstall.sh]
    timeout: 1m
    on_interrupt: continue
    detect:
      - file: "{{.InstallDir}}/VERSION"
        version: {file: "{{.InstallDir}}/VERSION", pattern: '(\d+\.\d+\.\d+)'}
`
	scripts := map[string]string{
		"package.yaml": fmt.Sprintf(manifest, runtime.GOOS),
		"install.sh":   "set -eu\nmkdir -p \"$ISCDESK_INSTALL_DIR\"\nprintf '1.0.0\\n' >\"$ISCDESK_INSTALL_DIR/VERSION\"\n",
		"uninstall.sh": "set -eu\nrm -f \"$ISCDESK_INSTALL_DIR/VERSION\"\n",
	}
	require.NoError(b, os.MkdirAll(filepath.Join(dir, "payload"), 0o755))
	for name, text := range scripts {
		require.NoError(b, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	// Incompressible, so that the archive is as large as the payload and extraction writes it all.
	rng := rand.New(rand.NewChaCha8([32]byte{'i', 's', 'c'}))
	data := make([]byte, each)
	for i := range files {
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		require.NoError(b, os.WriteFile(filepath.Join(dir, "payload", fmt.Sprintf("data-%03d.bin", i)), data, 0o644))
	}
	return dir
}

// pointTimes is one job: when the POST was sent, and when each journal point's event was published.
type pointTimes struct {
	post time.Time
	at   map[string]time.Time
}

// points are the journal points of an install, in order, as the breakdown names them.
var points = []string{"queued", "fetching", "staging", "staged", "installing", "starting", "started", "exited", "detecting", "done"}

// install submits the ticket over the socket and follows the job's events until it is done. It
// fails the benchmark when the job does not end done or its events are not the install's points.
func (ba *benchAgent) install(b *testing.B) pointTimes {
	b.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), benchWait)
	defer cancel()
	p := pointTimes{post: time.Now(), at: map[string]time.Time{}}
	job, err := ba.c.Submit(ctx, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: ba.tk})
	require.NoError(b, err)
	for {
		var e apitype.Event
		select {
		case e = <-ba.events:
		case <-ctx.Done():
			b.Fatalf("job %s did not finish within %s; points so far %v", job.ID, benchWait, p.at)
		}
		if e.Type == apitype.EventReset {
			b.Fatalf("the event watch lost events (reset) during job %s", job.ID)
		}
		if e.Type != apitype.EventJob || e.Job == nil || e.Job.ID != job.ID {
			continue
		}
		name := pointOf(*e.Job, p.at)
		if name == "started" && !strings.Contains(e.Message, "running (pid ") {
			b.Fatalf("job %s: the event taken for installing/install:started says %q; the engine's points changed", job.ID, e.Message)
		}
		if _, seen := p.at[name]; !seen {
			p.at[name] = e.Time
		}
		if e.Job.Final() {
			if e.Job.State != apitype.StateDone {
				b.Fatalf("job %s ended %s: %s", job.ID, e.Job.State, e.Job.Reason)
			}
			break
		}
	}
	for _, name := range points {
		if p.at[name].IsZero() {
			b.Fatalf("job %s: no event for the journal point %s; got %v", job.ID, name, p.at)
		}
	}
	return p
}

// pointOf names the journal point of a job event. The wire has no point names: the install step's
// points all say state installing, phase install, and come in the engine's order: the move to the
// step (attempt not yet counted), installing/install:starting (attempt counted, just before the
// exec), installing/install:started (the PID journaled) and installing/install:exited (outcome set).
func pointOf(j apitype.Job, seen map[string]time.Time) string {
	if j.State != apitype.StateInstalling {
		return j.State
	}
	switch {
	case j.Outcome != "":
		return "exited"
	case j.Attempt == 0:
		return "installing"
	case seen["starting"].IsZero():
		return "starting"
	default:
		return "started"
	}
}

// breakdown is a table of the time between consecutive points up to started, then to done, as
// median and p99 over runs. It is kept to ten lines: go test shows no more of a benchmark's log without -v.
func breakdown(runs []pointTimes) string {
	var s strings.Builder
	fmt.Fprintf(&s, "%-26s %9s %9s\n", fmt.Sprintf("%d installs, ms between", len(runs)), "p50", "p99")
	row := func(label string, f func(pointTimes) time.Duration) {
		d := durations(runs, f)
		fmt.Fprintf(&s, "  %-24s %9.2f %9.2f\n", label, ms(percentile(d, 0.5)), ms(percentile(d, 0.99)))
	}
	prev := "POST"
	for _, name := range points[:slices.Index(points, "started")+1] {
		row(prev+" → "+name, func(p pointTimes) time.Duration {
			from := p.post
			if prev != "POST" {
				from = p.at[prev]
			}
			return p.at[name].Sub(from)
		})
		prev = name
	}
	row("started → done", func(p pointTimes) time.Duration { return p.at["done"].Sub(p.at["started"]) })
	return strings.TrimSuffix(s.String(), "\n")
}

// durations applies f to every run, sorted.
func durations(runs []pointTimes, f func(pointTimes) time.Duration) []time.Duration {
	d := make([]time.Duration, len(runs))
	for i, r := range runs {
		d[i] = f(r)
	}
	slices.Sort(d)
	return d
}

// percentile is the nearest-rank percentile of sorted d (0 when d is empty).
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[int(p*float64(len(d)-1)+0.5)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
