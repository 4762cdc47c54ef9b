package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"aead.dev/minisign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/client"
	"github.com/iscdesk/iscdesk/agent/update"
	"github.com/iscdesk/iscdesk/internal/testenv"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// updateBins are the binaries of the self-update tests: the agent at two versions, and two new
// "releases" that never serve (one exits 1 at start, one hangs until killed).
type updateBins struct {
	v1, v2, exits, hangs []byte
}

func buildUpdateBins(t *testing.T) updateBins {
	t.Helper()
	build := func(pkg, ldflags string) []byte {
		data, err := os.ReadFile(testenv.MustBuild(t, pkg, ldflags))
		require.NoError(t, err)
		return data
	}
	return updateBins{
		v1:    build("./cmd/iscdesk-agent", "-X main.version=1.0.0"),
		v2:    build("./cmd/iscdesk-agent", "-X main.version=2.0.0"),
		exits: build("./cmd/iscdesk-agent/testdata/brokenagent", "-X main.mode=exit"),
		hangs: build("./cmd/iscdesk-agent/testdata/brokenagent", "-X main.mode=hang"),
	}
}

// releaseServer plays the marketplace's GET /v1/agent/releases and the binary download.
func releaseServer(t *testing.T, rel api.AgentRelease, binary []byte) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/agent/releases", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, runtime.GOOS, r.URL.Query().Get("os"))
		assert.Equal(t, runtime.GOARCH, r.URL.Query().Get("arch"))
		assert.Equal(t, "stable", r.URL.Query().Get("channel"))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode([]api.AgentRelease{rel})
	})
	mux.HandleFunc("GET /agent/iscdesk-agent", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(binary) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// market is a real iscdesk-market process on a temp data folder, with no example packages.
type market struct {
	t *testing.T
	*testenv.Market
}

func startMarket(t *testing.T) *market {
	t.Helper()
	examples := t.TempDir()
	return &market{t: t, Market: testenv.StartMarket(t, examples)}
}

// publishAgent publishes binary as rel through the vendor API, signed with the demo vendor's secret.
func (m *market) publishAgent(rel api.AgentRelease, binary []byte) {
	t := m.t
	t.Helper()
	data, err := os.ReadFile(filepath.Join(m.Data, "vendor.json"))
	require.NoError(t, err)
	var creds struct {
		AccessKey string `json:"access_key"`
		Secret    string `json:"secret"`
	}
	require.NoError(t, json.Unmarshal(data, &creds))
	body, err := json.Marshal(map[string]any{"version": rel.Version, "os": runtime.GOOS, "arch": runtime.GOARCH,
		"minisig": rel.Minisig, "binary": binary})
	require.NoError(t, err)
	req, err := http.NewRequest("POST", m.URL+"/v1/vendor/agent-releases", bytes.NewReader(body))
	require.NoError(t, err)
	sum := sha256.Sum256(body)
	date := time.Now().UTC().Format(api.VendorDateFormat)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(api.VendorDateHeader, date)
	req.Header.Set(api.VendorBodyHeader, hex.EncodeToString(sum[:]))
	req.Header.Set("Authorization", api.VendorAuthorization(creds.AccessKey,
		api.VendorSignature(creds.Secret, "POST", "/v1/vendor/agent-releases", date, hex.EncodeToString(sum[:]))))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "publishing agent %s: %s", rel.Version, answer)
}

type signer struct {
	pub  string
	priv minisign.PrivateKey
}

func newSigner(t *testing.T) signer {
	t.Helper()
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return signer{pub: pub.String(), priv: priv}
}

// release describes binary as version, signed by s.
func (s signer) release(version string, binary []byte) api.AgentRelease {
	sum := sha256.Sum256(binary)
	return api.AgentRelease{Version: version, URL: "/agent/iscdesk-agent", SHA256: hex.EncodeToString(sum[:]),
		Minisig: string(minisign.Sign(s.priv, binary)), PublishedAt: time.Now().UTC()}
}

// installedAgent is v1 installed in a temp folder, run from there as the service would run it.
type installedAgent struct {
	t        *testing.T
	exe      string
	config   string
	socket   string
	stateDir string
	env      []string
	cmd      *exec.Cmd
	out      *testenv.SyncBuffer
	exited   chan struct{}
}

func installAgent(t *testing.T, binary []byte, market, updateKey string) *installedAgent {
	t.Helper()
	dir := t.TempDir()
	a := &installedAgent{t: t, exe: filepath.Join(dir, "bin", "iscdesk-agent"), config: filepath.Join(dir, "agent.yaml"),
		socket: filepath.Join(dir, "a.sock"), stateDir: filepath.Join(dir, "state"), env: agentEnv(t), out: &testenv.SyncBuffer{}}
	require.NoError(t, os.MkdirAll(filepath.Dir(a.exe), 0o755))
	require.NoError(t, os.WriteFile(a.exe, binary, 0o755))
	cfg := map[string]any{
		"mode": "user", "state_dir": a.stateDir, "install_root": filepath.Join(dir, "software"), "socket": a.socket,
		"marketplace_url": market, "trusted_keys": []string{keyLine(t, "market")},
		"update": map[string]any{"keys": []string{updateKey}, "health_timeout": "3s", "check_interval": "6h"},
	}
	data, err := json.Marshal(cfg) // JSON is YAML
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(a.config, data, 0o644))
	return a
}

// start runs the installed binary and waits until it answers.
func (a *installedAgent) start() {
	t := a.t
	a.cmd = exec.Command(a.exe, "run", "--user", "--config", a.config)
	a.cmd.Env = a.env
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	// A new binary on trial inherits the output; a kill of this one must not wait for it.
	a.cmd.WaitDelay = 5 * time.Second
	a.exited = make(chan struct{})
	require.NoError(t, a.cmd.Start())
	go func() { _ = a.cmd.Wait(); close(a.exited) }()
	t.Cleanup(func() {
		_ = a.cmd.Process.Kill()
		<-a.exited
	})
	a.waitVersion("1.0.0")
}

// waitVersion polls GET /v1/status until the agent reports version; the agent is down while it
// switches binaries, which the poll rides through.
func (a *installedAgent) waitVersion(version string) {
	t := a.t
	t.Helper()
	c := client.New(a.socket)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := c.Status(ctx)
		cancel()
		if err == nil && st.Version == version {
			return
		}
		select {
		case <-a.exited:
			t.Fatalf("the agent exited while waiting for version %s\n%s", version, a.out)
		default:
		}
		require.True(t, time.Now().Before(deadline), "the agent did not report version %s: %v %+v\n%s", version, err, st, a.out)
		time.Sleep(20 * time.Millisecond) // poll interval, bounded by the deadline above
	}
}

// waitUpdate polls GET /v1/agent/update until done says so.
func (a *installedAgent) waitUpdate(done func(apitype.UpdateStatus) bool) apitype.UpdateStatus {
	t := a.t
	t.Helper()
	c := client.New(a.socket)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := c.AgentUpdateStatus(ctx)
		cancel()
		if err == nil && done(*st) {
			return *st
		}
		require.True(t, time.Now().Before(deadline), "the update did not reach the state awaited: %v %+v\n%s", err, st, a.out)
		time.Sleep(20 * time.Millisecond) // poll interval, bounded by the deadline above
	}
}

func (a *installedAgent) requestUpdate() (*apitype.UpdateStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return client.New(a.socket).AgentUpdate(ctx, apitype.UpdateRequest{})
}

// installed returns the bytes of the installed binary.
func (a *installedAgent) installed() []byte {
	data, err := os.ReadFile(a.exe)
	require.NoError(a.t, err)
	return data
}

func TestSelfUpdate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("re-exec and unix sockets: the windows restart goes through the SCM, vetted not run here")
	}
	bins := buildUpdateBins(t)
	key := newSigner(t)

	t.Run("applied from the marketplace", func(t *testing.T) {
		market := startMarket(t)
		market.publishAgent(key.release("2.0.0", bins.v2), bins.v2)
		a := installAgent(t, bins.v1, market.URL, key.pub)
		a.start()
		st, err := a.requestUpdate()
		require.NoError(t, err, a.out)
		assert.Contains(t, []string{apitype.UpdateWaiting, apitype.UpdateApplying}, st.State)
		assert.Equal(t, "2.0.0", st.Available)

		a.waitVersion("2.0.0")
		select {
		case <-a.exited:
			t.Fatal("the process that the service manager started has exited; it should have replaced itself")
		default:
		}
		assert.Equal(t, bins.v2, a.installed())
		old, err := os.ReadFile(update.OldPath(a.exe))
		require.NoError(t, err)
		assert.Equal(t, bins.v1, old, "the previous binary is kept")
		// The new binary answers as 2.0.0 already on trial, before the old one records the switch.
		us := a.waitUpdate(func(s apitype.UpdateStatus) bool { return s.Current == "2.0.0" && s.Last != "" })
		assert.Contains(t, us.Last, "updated from 1.0.0 to 2.0.0")
		assert.Empty(t, us.Failed)
	})

	other := newSigner(t)
	badSum := key.release("2.0.0", bins.v2)
	badSum.SHA256 = hex.EncodeToString(make([]byte, 32))
	unsigned := key.release("2.0.0", bins.v2)
	unsigned.Minisig = ""
	refusals := []struct {
		name string
		rel  api.AgentRelease
		code string
	}{
		{"signed by another key", other.release("2.0.0", bins.v2), update.CodeSignature},
		{"unsigned", unsigned, update.CodeSignature},
		{"wrong checksum", badSum, update.CodeChecksum},
		{"downgrade", key.release("0.9.0", bins.v2), update.CodeDowngrade},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			a := installAgent(t, bins.v1, releaseServer(t, tc.rel, bins.v2), key.pub)
			a.start()
			_, err := a.requestUpdate()
			var apiErr *client.APIError
			require.True(t, errors.As(err, &apiErr), "want a refusal, got %v", err)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Equal(t, http.StatusUnprocessableEntity, apiErr.Status)
			assert.Contains(t, apiErr.Message, tc.rel.Version, "the refusal names the version")

			a.waitVersion("1.0.0")
			assert.Equal(t, bins.v1, a.installed(), "the binary must not change")
			entries, err := os.ReadDir(filepath.Dir(a.exe))
			require.NoError(t, err)
			assert.Len(t, entries, 1, "nothing but the binary in its folder")
			st := a.waitUpdate(func(apitype.UpdateStatus) bool { return true })
			assert.Equal(t, apitype.UpdateFailed, st.State)
		})
	}

	unhealthy := []struct {
		name   string
		binary []byte
		why    string
	}{
		{"new binary exits at start", bins.exits, "exited before it served"},
		{"new binary never serves", bins.hangs, "did not serve within 3s"},
	}
	for _, tc := range unhealthy {
		t.Run(tc.name, func(t *testing.T) {
			a := installAgent(t, bins.v1, releaseServer(t, key.release("2.0.0", tc.binary), tc.binary), key.pub)
			a.start()
			st, err := a.requestUpdate()
			require.NoError(t, err, a.out)
			assert.Equal(t, "2.0.0", st.Available)

			us := a.waitUpdate(func(s apitype.UpdateStatus) bool { return len(s.Failed) > 0 })
			a.waitVersion("1.0.0")
			require.Len(t, us.Failed, 1)
			assert.Equal(t, "2.0.0", us.Failed[0].Version)
			assert.Contains(t, us.Failed[0].Reason, tc.why)
			assert.Contains(t, us.Last, "rolled back from 2.0.0 to 1.0.0")
			assert.Equal(t, bins.v1, a.installed(), "the old binary is restored")

			// The failed version is not tried again.
			_, err = a.requestUpdate()
			var apiErr *client.APIError
			require.True(t, errors.As(err, &apiErr), "want a refusal, got %v", err)
			assert.Equal(t, update.CodeFailedVer, apiErr.Code)
			assert.Equal(t, bins.v1, a.installed())
		})
	}
}
