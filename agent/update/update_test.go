package update

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"aead.dev/minisign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/config"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

func TestPick(t *testing.T) {
	t.Parallel()
	list := []api.AgentRelease{{Version: "1.2.0"}, {Version: "1.10.0"}, {Version: "latest"}, {Version: "1.9.0"}}
	cases := []struct {
		name, current, pin string
		want               string // "" for nothing to do
		code               string // a refusal
	}{
		{name: "newest by version order", current: "1.0.0", want: "1.10.0"},
		{name: "already newest", current: "1.10.0"},
		{name: "newest is older", current: "2.0.0", code: CodeDowngrade},
		{name: "pin below the newest", current: "1.0.0", pin: "1.9.0", want: "1.9.0"},
		{name: "pin is the running version", current: "1.9.0", pin: "1.9.0"},
		{name: "pin older than running", current: "1.10.0", pin: "1.2.0", code: CodeDowngrade},
		{name: "pin not offered", current: "1.0.0", pin: "1.5.0", code: CodeUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pick(list, tc.current, tc.pin, "stable")
			if tc.code != "" {
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tc.code, e.Code)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			if tc.want == "" {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tc.want, got.Version)
		})
	}
}

func newKey(t *testing.T) (minisign.PublicKey, minisign.PrivateKey) {
	t.Helper()
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return pub, priv
}

func release(version string, data []byte, priv minisign.PrivateKey) api.AgentRelease {
	sum := sha256.Sum256(data)
	return api.AgentRelease{Version: version, URL: "/bin", SHA256: hex.EncodeToString(sum[:]), Minisig: string(minisign.Sign(priv, data))}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	otherPub, otherPriv := newKey(t)
	data := []byte("the new agent")
	sum := sha256.Sum256(data)
	good := release("2.0.0", data, priv)
	cases := []struct {
		name string
		rel  func() api.AgentRelease
		keys []minisign.PublicKey
		code string
	}{
		{"signed by a configured key", func() api.AgentRelease { return good }, []minisign.PublicKey{pub}, ""},
		{"second of two keys (rotation)", func() api.AgentRelease { return good }, []minisign.PublicKey{otherPub, pub}, ""},
		{"signed by another key", func() api.AgentRelease { return release("2.0.0", data, otherPriv) }, []minisign.PublicKey{pub}, CodeSignature},
		{"unsigned", func() api.AgentRelease { r := good; r.Minisig = ""; return r }, []minisign.PublicKey{pub}, CodeSignature},
		{"garbage signature", func() api.AgentRelease { r := good; r.Minisig = "not a signature"; return r }, []minisign.PublicKey{pub}, CodeSignature},
		{"signature of other bytes", func() api.AgentRelease { r := good; r.Minisig = string(minisign.Sign(priv, []byte("x"))); return r }, []minisign.PublicKey{pub}, CodeSignature},
		{"checksum mismatch", func() api.AgentRelease { r := good; r.SHA256 = hex.EncodeToString(make([]byte, 32)); return r }, []minisign.PublicKey{pub}, CodeChecksum},
		{"checksum not hex", func() api.AgentRelease { r := good; r.SHA256 = "zz"; return r }, []minisign.PublicKey{pub}, CodeBadRelease},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rel := tc.rel()
			err := verify(&rel, data, sum, tc.keys)
			if tc.code == "" {
				assert.NoError(t, err)
				return
			}
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.code, e.Code)
			assert.Contains(t, e.Msg, "2.0.0")
		})
	}
}

// jobs is a fake agent core whose busy flag the test sets.
type jobs struct{ busy atomic.Bool }

func (j *jobs) Busy() bool { return j.busy.Load() }

// testMarket serves one release and its binary, and counts the downloads.
func testMarket(t *testing.T, rel api.AgentRelease, data []byte) (string, *atomic.Int32) {
	t.Helper()
	var downloads atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/agent/releases", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode([]api.AgentRelease{rel})
	})
	mux.HandleFunc("GET /bin", func(w http.ResponseWriter, _ *http.Request) {
		downloads.Add(1)
		_, _ = w.Write(data)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, &downloads
}

func newUpdater(t *testing.T, market string, pub minisign.PublicKey, j Jobs) *Updater {
	t.Helper()
	cfg := config.DefaultUpdate()
	cfg.Keys = []string{pub.String()}
	u, err := New(Options{Version: "1.0.0", Marketplace: market, Config: cfg, StateDir: t.TempDir(), Jobs: j,
		FirstCheck: time.Hour, IdleWait: time.Hour})
	require.NoError(t, err)
	return u
}

func TestUpdaterWaitsForIdleJobs(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	data := []byte("agent 2.0.0")
	market, downloads := testMarket(t, release("2.0.0", data, priv), data)
	j := &jobs{}
	j.busy.Store(true)
	u := newUpdater(t, market, pub, j)
	u.idlePoll = 10 * time.Millisecond

	st, err := u.Check(context.Background(), false)
	require.NoError(t, err)
	assert.Equal(t, apitype.UpdateFound, st.State, "check-only finds and verifies, and stages nothing")
	assert.Equal(t, "2.0.0", st.Available)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); u.Run(ctx) }()
	defer func() { cancel(); <-done }()

	st, err = u.Check(ctx, true)
	require.NoError(t, err)
	assert.Equal(t, apitype.UpdateWaiting, st.State)
	select {
	case <-u.Apply():
		t.Fatal("an update was handed over while a job runs")
	case <-time.After(100 * time.Millisecond): // Run looked at the jobs on the poke; nothing may come
	}
	j.busy.Store(false)
	select {
	case staged := <-u.Apply():
		assert.Equal(t, "2.0.0", staged.Release.Version)
		assert.Equal(t, data, staged.Binary)
		assert.Equal(t, sha256.Sum256(data), staged.Sum)
	case <-time.After(30 * time.Second):
		t.Fatal("the update was not handed over once the jobs ended")
	}
	assert.Equal(t, apitype.UpdateApplying, u.Status().State)
	assert.Equal(t, int32(2), downloads.Load())
}

func TestUpdaterDisabled(t *testing.T) {
	t.Parallel()
	pub, _ := newKey(t)
	cases := []struct {
		name string
		edit func(*Options)
		why  string
	}{
		{"off", func(o *Options) { o.Config.Enabled = false }, "update.enabled: false"},
		{"no marketplace", func(o *Options) { o.Marketplace = "" }, "marketplace_url"},
		{"no keys", func(o *Options) { o.Config.Keys = nil }, "update.keys"},
		{"on trial", func(o *Options) { o.Trial = true }, "on trial"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Version: "1.0.0", Marketplace: "http://127.0.0.1:1", Config: config.DefaultUpdate(), StateDir: t.TempDir(), Jobs: &jobs{}}
			o.Config.Keys = []string{pub.String()}
			tc.edit(&o)
			u, err := New(o)
			require.NoError(t, err)
			st, err := u.Check(context.Background(), true)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, CodeUnavailable, e.Code)
			assert.Contains(t, e.Msg, tc.why)
			assert.Equal(t, apitype.UpdateDisabled, st.State)
			u.Run(context.Background()) // returns at once: nothing to schedule
		})
	}
}

func TestCheckRefusesFailedVersion(t *testing.T) {
	t.Parallel()
	pub, priv := newKey(t)
	data := []byte("agent 2.0.0")
	market, downloads := testMarket(t, release("2.0.0", data, priv), data)
	u := newUpdater(t, market, pub, &jobs{})
	rec := &record{}
	rec.addFailed("2.0.0", "it exited before it served", time.Now())
	require.NoError(t, saveRecord(u.o.StateDir, rec))

	st, err := u.Check(context.Background(), true)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, CodeFailedVer, e.Code)
	assert.Contains(t, e.Msg, "it exited before it served")
	assert.Equal(t, int32(0), downloads.Load(), "a failed version is not even downloaded")
	assert.Equal(t, apitype.UpdateFailed, st.State)
	require.Len(t, st.Failed, 1)
}

func TestMarketplaceErrors(t *testing.T) {
	t.Parallel()
	pub, _ := newKey(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	u := newUpdater(t, srv.URL, pub, &jobs{})
	_, err := u.Check(context.Background(), true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "503")
	assert.Contains(t, err.Error(), "down for maintenance")
	assert.False(t, errors.As(err, new(*Error)), "an unreachable marketplace is not a refusal")
}

func TestRecover(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		version     string
		oldExists   bool
		wantRestart bool
		wantExe     string
	}{
		{"new binary never confirmed", "2.0.0", true, true, "old"},
		{"old binary already back", "1.0.0", true, false, "new"},
		{"nothing kept to go back to", "2.0.0", false, false, "new"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			exe := filepath.Join(dir, "iscdesk-agent")
			require.NoError(t, os.WriteFile(exe, []byte("new"), 0o755))
			if tc.oldExists {
				require.NoError(t, os.WriteFile(OldPath(exe), []byte("old"), 0o755))
			}
			require.NoError(t, saveRecord(dir, &record{Pending: &pending{From: "1.0.0", To: "2.0.0", Exe: exe, OldPath: OldPath(exe)}}))

			restart, err := Recover(dir, exe, tc.version, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.wantRestart, restart)
			got, err := os.ReadFile(exe)
			require.NoError(t, err)
			assert.Equal(t, tc.wantExe, string(got))
			rec, err := loadRecord(dir)
			require.NoError(t, err)
			assert.Nil(t, rec.Pending)
			_, failed := rec.failed("2.0.0")
			assert.True(t, failed, "an unconfirmed version is not tried again")

			restart, err = Recover(dir, exe, tc.version, nil)
			require.NoError(t, err)
			assert.False(t, restart, "a second start has nothing to recover")
		})
	}
}

func TestOldPath(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "/usr/bin/iscdesk-agent.old", OldPath("/usr/bin/iscdesk-agent"))
	assert.Equal(t, `C:\ISCDesk\iscdesk-agent.old.exe`, OldPath(`C:\ISCDesk\iscdesk-agent.exe`))
}
