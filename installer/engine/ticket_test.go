package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/fetch"
	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/installer/ticket"
)

// market is a stand-in for the marketplace: it serves package files over real HTTP on loopback and
// signs tickets with a real Ed25519 key.
type market struct {
	key      ticket.PrivateKey
	srv      *httptest.Server
	dir      string
	requests atomic.Int64
}

func newMarket(t *testing.T) *market {
	t.Helper()
	key, err := ticket.GenerateKey("test marketplace")
	require.NoError(t, err)
	m := &market{key: key, dir: t.TempDir()}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.requests.Add(1)
		http.ServeFile(w, r, filepath.Join(m.dir, filepath.Base(r.URL.Path)))
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// publish builds the package folder src and returns a ticket template for it.
func (m *market) publish(t *testing.T, src string) ticket.Ticket {
	t.Helper()
	name := filepath.Base(src) + ".iscpkg"
	info, err := pkgfile.BuildFile(context.Background(), src, filepath.Join(m.dir, name), pkgfile.BuildOptions{})
	require.NoError(t, err)
	now := time.Now().UTC()
	return ticket.Ticket{
		URLs: []string{m.srv.URL + "/" + name}, Size: info.Size, SHA256: info.SHA256, ManifestSHA256: info.ManifestSHA256,
		Tenant: "demo", Order: "o-1", IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour),
	}
}

func (m *market) sign(t *testing.T, tk ticket.Ticket) []byte {
	t.Helper()
	data, err := ticket.Sign(tk, m.key)
	require.NoError(t, err)
	return data
}

func ticketEngine(t *testing.T, m *market) *Engine {
	t.Helper()
	e, _ := newEngine(t, func(c *Config) {
		c.Keyring = ticket.NewKeyring(m.key.Public())
		c.Fetcher = &fetch.Fetcher{CacheDir: filepath.Join(t.TempDir(), "cache"), Retries: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
	})
	return e
}

func solverTicket(t *testing.T, m *market) ticket.Ticket {
	tk := m.publish(t, example(t, "solver"))
	tk.Product, tk.Name, tk.Version, tk.Platform = "demo-solver", "Demo Solver", "2.1.0", "linux"
	return tk
}

func TestInstallFromATicket(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	e := ticketEngine(t, m)
	var progress atomic.Int64
	e.cfg.Events = func(ev Event) {
		if ev.Progress != nil && ev.Progress.Step == "downloading" {
			progress.Add(1)
		}
	}
	job, err := e.Do(context.Background(), Request{Action: journal.ActionInstall, Ticket: m.sign(t, solverTicket(t, m))})
	require.NoError(t, err)
	assert.Equal(t, journal.StateDone, job.State)
	assert.True(t, detected(t, e, "demo-solver").Detected)
	assert.Positive(t, progress.Load(), "download progress is reported")
	var states []string
	for _, h := range job.History {
		states = append(states, string(h.State))
	}
	assert.Equal(t, []string{"queued", "fetching", "staging", "staged", "installing", "detecting", "done"}, dedupe(states))

	// A repair of the same version downloads nothing: the package is in the cache.
	before := m.requests.Load()
	job, err = e.Do(context.Background(), Request{Action: journal.ActionRepair, Ticket: m.sign(t, solverTicket(t, m))})
	require.NoError(t, err)
	assert.Equal(t, journal.StateDone, job.State)
	assert.Equal(t, before, m.requests.Load())
}

func TestTicketRefusals(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	other := newMarket(t)
	good := solverTicket(t, m)
	cases := []struct {
		name string
		data func() []byte
		want error
	}{
		{"unsigned", func() []byte { return []byte(`{"product":"demo-solver"}`) }, ticket.ErrMalformed},
		{"tampered", func() []byte {
			var env map[string]string
			require.NoError(t, json.Unmarshal(m.sign(t, good), &env))
			payload, err := base64.StdEncoding.DecodeString(env["payload"])
			require.NoError(t, err)
			env["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), "2.1.0", "2.1.1", 1)))
			data, err := json.Marshal(env)
			require.NoError(t, err)
			return data
		}, ticket.ErrBadSignature},
		{"signed by an unknown key", func() []byte { return other.sign(t, good) }, ticket.ErrUnknownKey},
		{"expired", func() []byte {
			tk := good
			tk.IssuedAt, tk.ExpiresAt = time.Now().Add(-3*time.Hour), time.Now().Add(-time.Hour)
			return m.sign(t, tk)
		}, ticket.ErrExpired},
		{"another platform", func() []byte {
			tk := good
			tk.Platform = "windows/amd64"
			return m.sign(t, tk)
		}, ticket.ErrPlatform},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := ticketEngine(t, m)
			before := m.requests.Load()
			_, err := e.Submit(Request{Action: journal.ActionInstall, Ticket: c.data()})
			require.Error(t, err)
			var re *RefusedError
			require.ErrorAs(t, err, &re)
			if c.want != nil {
				assert.ErrorIs(t, err, c.want)
			}
			jobs, _ := e.Journal().List()
			assert.Empty(t, jobs, "a refused ticket journals nothing")
			assert.Equal(t, before, m.requests.Load(), "a refused ticket downloads nothing")
		})
	}
}

func TestDowngradeIsRefusedUnlessAsked(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	e := ticketEngine(t, m)
	_, err := e.Do(context.Background(), Request{Action: journal.ActionInstall, Ticket: m.sign(t, solverTicket(t, m))})
	require.NoError(t, err)
	older := solverTicket(t, m)
	older.Version = "2.0.0"
	_, err = e.Submit(Request{Action: journal.ActionInstall, Ticket: m.sign(t, older)})
	require.ErrorIs(t, err, ticket.ErrDowngrade)
	job, err := e.Submit(Request{Action: journal.ActionInstall, Ticket: m.sign(t, older), AllowDowngrade: true})
	require.NoError(t, err, "an explicit downgrade is taken")
	// Its package is 2.1.0, not 2.0.0: refused after the download, before anything runs.
	job, err = e.Run(context.Background(), job.ID)
	require.Error(t, err)
	assert.Equal(t, "refused", job.Outcome)
	assert.Contains(t, job.Reason, "2.0.0")
}

func TestPackageThatDoesNotMatchItsTicketNeverRuns(t *testing.T) {
	t.Parallel()
	m := newMarket(t)
	marker := filepath.Join(t.TempDir(), "ran")
	evil := writePackage(t, `[sh, -c, "touch `+marker+`"]`, "", nil)
	cases := []struct {
		name   string
		mutate func(tk *ticket.Ticket)
		reason string
	}{
		{"wrong bytes", func(tk *ticket.Ticket) {
			good := solverTicket(t, m) // the ticket names the solver's digest, the server serves evil bytes
			tk.SHA256 = good.SHA256
			tk.Size = good.Size
		}, "SHA-256"},
		{"wrong package.yaml", func(tk *ticket.Ticket) {
			tk.ManifestSHA256 = strings.Repeat("ab", 32)
		}, "package.yaml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := m.publish(t, evil)
			tk.Product, tk.Name, tk.Version, tk.Platform = "bad-pkg", "Bad", "1.0.0", "linux"
			c.mutate(&tk)
			e := ticketEngine(t, m)
			job, err := e.Do(context.Background(), Request{Action: journal.ActionInstall, Ticket: m.sign(t, tk)})
			require.Error(t, err)
			assert.Equal(t, journal.StateFailed, job.State)
			assert.Contains(t, job.Reason, c.reason)
			assert.NoFileExists(t, marker, "nothing of an unverified package runs")
			assert.NoDirExists(t, job.PackageDir)
		})
	}
}

func TestRetryLater(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "tried")
	src := writePackage(t, `[sh, -c, "if [ -e `+marker+` ]; then touch \"$ISCDESK_INSTALL_DIR/ok\"; else touch `+marker+`; exit 75; fi"]`,
		"    exit_codes: {75: retry_later}\n", nil)
	e, _ := newEngine(t, func(c *Config) {
		c.RetryBackoff = func(int) time.Duration { return 50 * time.Millisecond }
	})
	ctx := context.Background()
	job, err := e.Do(ctx, Request{Action: journal.ActionInstall, Source: src})
	require.ErrorIs(t, err, ErrRetryLater)
	assert.Equal(t, journal.StateWaitingRetry, job.State)
	assert.Equal(t, 1, job.Retries)
	open, err := e.Unfinished()
	require.NoError(t, err)
	require.Len(t, open, 1, "a waiting retry survives a restart: it is unfinished")

	_, err = e.Run(ctx, job.ID)
	if errors.Is(err, ErrRetryLater) { // not yet due
		time.Sleep(time.Until(job.RetryAt))
		_, err = e.Run(ctx, job.ID)
	}
	require.NoError(t, err)
	job, _ = e.Journal().Get(job.ID)
	assert.Equal(t, journal.StateDone, job.State)
}

func TestCancelQueuedJob(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	job, err := e.Submit(Request{Action: journal.ActionInstall, Source: example(t, "solver")})
	require.NoError(t, err)
	job, err = e.Cancel(job.ID, "cancelled by the user")
	require.NoError(t, err)
	assert.Equal(t, journal.StateCancelled, job.State)
	_, err = e.Run(context.Background(), job.ID)
	require.Error(t, err)
	_, err = e.Submit(Request{Action: journal.ActionInstall, Source: example(t, "solver")})
	require.NoError(t, err, "a cancelled job no longer holds the product")
}
