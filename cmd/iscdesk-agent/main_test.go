package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/config"
	"github.com/iscdesk/iscdesk/installer/ticket"
	"github.com/iscdesk/iscdesk/internal/testenv"
)

// agentBin is the binary built once by TestMain; the tests run it as IT and the service manager would.
var agentBin string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		defer testenv.RemoveBuilds()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		bin, err := testenv.Build(ctx, "./cmd/iscdesk-agent", "-X main.version=1.2.3-test")
		if err != nil {
			fmt.Fprintln(os.Stderr, "building iscdesk-agent:", err)
			return 1
		}
		agentBin = bin
		return m.Run()
	}())
}

// agentEnv is a clean environment: no ISCDESK_* or XDG_* of the machine running the tests, and a
// temp home so that --user defaults stay inside the test.
func agentEnv(t testing.TB, extra ...string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ISCDESK_") || strings.HasPrefix(kv, "XDG_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, append([]string{"HOME=" + t.TempDir()}, extra...)...)
}

type result struct {
	code           int
	stdout, stderr string
}

func runAgent(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, agentBin, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func keyLine(t testing.TB, comment string) string {
	t.Helper()
	k, err := ticket.GenerateKey(comment)
	require.NoError(t, err)
	line, err := k.Public().MarshalText()
	require.NoError(t, err)
	return string(line)
}

func TestVersion(t *testing.T) {
	r := runAgent(t, agentEnv(t), "version")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "iscdesk-agent 1.2.3-test\n", r.stdout)
}

// TestConfigCheckPrecedence runs `config check --json` with a file, variables and flags and reads
// back which layer won each field: defaults < file < environment < flags.
func TestConfigCheckPrecedence(t *testing.T) {
	dir := t.TempDir()
	fileKey, envKey, flagKey := keyLine(t, "file"), keyLine(t, "env"), keyLine(t, "flag")
	cfgPath := filepath.Join(dir, "agent.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf(`state_dir: %s/file-state
install_root: %s/file-root
socket: %s/file.sock
downloads: 3
cache_cap: 512MiB
trusted_keys: [%q]
marketplace_url: https://file.example.com
log:
  level: debug
`, dir, dir, dir, fileKey)), 0o644))

	env := agentEnv(t,
		"ISCDESK_INSTALL_ROOT="+dir+"/env-root",
		"ISCDESK_SOCKET="+dir+"/env.sock",
		"ISCDESK_MARKETPLACE_URL=http://127.0.0.1:1",
		"ISCDESK_TRUSTED_KEYS="+envKey,
		"ISCDESK_LOG_LEVEL=error",
	)
	r := runAgent(t, env, "config", "check", "--json", "--config", cfgPath,
		"--socket", dir+"/flag.sock", "--trusted-key", flagKey)
	require.Equal(t, 0, r.code, r.stderr)

	var got config.Config
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, config.ModeSystem, got.Mode, "default")
	assert.Equal(t, "/var/cache/iscdesk", got.CacheDir, "default")
	assert.Equal(t, dir+"/file-state", got.StateDir, "file")
	assert.Equal(t, 3, got.Downloads, "file")
	assert.Equal(t, 512*config.MiB, got.CacheCap, "file")
	assert.Equal(t, dir+"/env-root", got.InstallRoot, "environment over file")
	assert.Equal(t, "http://127.0.0.1:1", got.MarketplaceURL, "environment over file")
	assert.Equal(t, "error", got.Log.Level, "environment over file")
	assert.Equal(t, dir+"/flag.sock", got.Socket, "flag over environment")
	assert.Equal(t, []string{flagKey}, got.TrustedKeys, "flag over environment")

	// The YAML form says where it was read from and reads back as a config.
	r = runAgent(t, env, "config", "check", "--config", cfgPath)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "# read from "+cfgPath)
	out := filepath.Join(dir, "effective.yaml")
	require.NoError(t, os.WriteFile(out, []byte(r.stdout), 0o644))
	r = runAgent(t, agentEnv(t), "config", "check", "--config", out)
	require.Equal(t, 0, r.code, r.stderr)
}

func TestConfigCheckErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	tests := []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"unknown key", []string{"--config", write("typo.yaml", "downloads: 2\nsate_dir: /x\n")},
			nil, []string{"typo.yaml:2: unknown key \"sate_dir\""}},
		{"wrong type", []string{"--config", write("type.yaml", "log:\n  max_backups: many\n")},
			nil, []string{"type.yaml:2:", "cannot unmarshal"}},
		{"missing file", []string{"--config", filepath.Join(dir, "none.yaml")},
			nil, []string{"none.yaml", "does not exist"}},
		{"bad key flag", []string{"--config", write("ok.yaml", ""), "--trusted-key", "iscdesk-ed25519-public nope"},
			nil, []string{"trusted_keys[0]"}},
		{"bad variable", []string{"--config", write("ok2.yaml", "")},
			[]string{"ISCDESK_LOG_LEVEL=chatty"}, []string{"log.level:", `"chatty" is not a log level`}},
		{"unknown flag", []string{"--colour"}, nil, []string{"unknown flag: --colour"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runAgent(t, agentEnv(t, tt.env...), append([]string{"config", "check"}, tt.args...)...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.True(t, strings.HasPrefix(r.stderr, "iscdesk-agent: "), r.stderr)
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
		})
	}
}

// TestSystemdUnitVerifies has systemd check the unit that `service install` would write.
func TestSystemdUnitVerifies(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("systemd units are for linux")
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; install systemd to verify the unit")
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "my config", "agent 100%.yaml") // quoting and specifiers
	r := runAgent(t, agentEnv(t), "service", "unit", "--config", cfgPath)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "ExecStart="+agentBin+` run --config "`+filepath.Join(dir, "my config", "agent 100%%.yaml")+`"`)

	unit := filepath.Join(dir, serviceName+".service")
	require.NoError(t, os.WriteFile(unit, []byte(r.stdout), 0o644))
	out, err := exec.Command(analyze, "verify", "--man=no", unit).CombinedOutput()
	require.NoError(t, err, "systemd-analyze verify: %s", out)
	// verify only warns about unknown or misplaced keys: any line about our unit is a mistake.
	for _, line := range strings.Split(string(out), "\n") {
		assert.NotContains(t, line, unit)
	}
}

// unixGet does GET path on the agent's socket; it is how the tests wait for "ready".
func unixGet(ctx context.Context, socket, path string, v any) error {
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://local"+path, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// userAgent is one `run --user` process on a temp state folder and socket.
type userAgent struct {
	t        testing.TB
	env      []string
	stateDir string
	socket   string
}

func newUserAgent(t testing.TB) *userAgent {
	dir := t.TempDir()
	return &userAgent{
		t:        t,
		env:      agentEnv(t),
		stateDir: filepath.Join(dir, "state"),
		socket:   filepath.Join(dir, "agent.sock"),
	}
}

func (u *userAgent) args(extra ...string) []string {
	return append([]string{"run", "--user", "--state-dir", u.stateDir, "--install-root", filepath.Dir(u.stateDir) + "/software",
		"--socket", u.socket, "--trusted-key", keyLine(u.t, "test")}, extra...)
}

// proc is a running agent process.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	exited chan struct{} // closed once Wait returned; err is then set
	err    error
}

// start runs the agent and waits until GET /v1/status answers.
func (u *userAgent) start(extra ...string) (*proc, apitype.Status) {
	t := u.t
	t.Helper()
	p := &proc{t: t, cmd: exec.Command(agentBin, u.args(extra...)...), stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	p.cmd.Env = u.env
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start())
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})

	deadline := time.Now().Add(45 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var st apitype.Status
		err := unixGet(ctx, u.socket, "/v1/status", &st)
		cancel()
		if err == nil {
			return p, st
		}
		select {
		case <-p.exited:
			t.Fatalf("the agent exited before it answered: %v\n%s", p.err, p.stderr)
		default:
		}
		require.True(t, time.Now().Before(deadline), "the agent did not answer on %s: %v\n%s", u.socket, err, p.stderr)
		time.Sleep(10 * time.Millisecond) // poll interval, bounded by the deadline above
	}
}

// stop sends sig and returns the exit code (-1 for death by signal).
func (p *proc) stop(sig os.Signal) int {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(sig))
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		p.t.Fatalf("the agent did not exit within 60 s of %v\n%s", sig, p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

func TestRunUserServesStatus(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("signals and unix sockets: the windows service is vetted, not run, here")
	}
	u := newUserAgent(t)
	p, st := u.start()
	assert.Equal(t, "user", st.Mode)
	assert.Equal(t, "1.2.3-test", st.Version)
	assert.Equal(t, u.stateDir, st.StateDir)
	assert.Len(t, st.TrustedKeys, 1)
	assert.True(t, st.Caller.CanInstall, "the user owns a --user agent")

	fi, err := os.Stat(u.socket)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "nobody else may connect to a --user agent")

	// A second agent on the same state folder fails to start, says why, and is not a crash: the
	// guard holds only the first agent's start.
	r := runAgent(t, u.env, u.args()...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "another agent is running on the state folder "+u.stateDir+" (iscdesk-agent pid ")
	guard, err := os.ReadFile(filepath.Join(u.stateDir, "crash-guard.json"))
	require.NoError(t, err)
	var rec struct{ Starts []time.Time }
	require.NoError(t, json.Unmarshal(guard, &rec))
	assert.Len(t, rec.Starts, 1)

	// The health check sees it.
	r = runAgent(t, u.env, "status", "--user", "--socket", u.socket, "--json")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	var h health
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &h))
	assert.True(t, h.Answers)
	require.NotNil(t, h.Status)
	assert.Equal(t, "user", h.Status.Mode)

	assert.Equal(t, 0, p.stop(syscall.SIGTERM), p.stderr.String())
	_, err = os.Stat(filepath.Join(u.stateDir, "crash-guard.json"))
	assert.ErrorIs(t, err, os.ErrNotExist, "a clean stop clears the crash count")

	logText, err := os.ReadFile(filepath.Join(u.stateDir, "agent.log"))
	require.NoError(t, err)
	var sawReady bool
	for _, line := range strings.Split(strings.TrimSpace(string(logText)), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "log lines are JSON: %s", line)
		sawReady = sawReady || rec["msg"] == "ready"
	}
	assert.True(t, sawReady, "the log says ready:\n%s", logText)

	// Stopped: the health check says "not running".
	r = runAgent(t, u.env, "status", "--user", "--socket", u.socket)
	assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "api: not answering on "+u.socket)
}

// TestCrashLoopGuard kills the agent with SIGKILL five times; the sixth start refuses with exit
// code 3 and says what to do, and --reset-crash-count lets it start again.
func TestCrashLoopGuard(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL and unix sockets: the windows service is vetted, not run, here")
	}
	u := newUserAgent(t)
	for range 5 {
		p, _ := u.start()
		assert.Equal(t, -1, p.stop(syscall.SIGKILL))
	}

	r := runAgent(t, u.env, u.args()...)
	require.Equal(t, exitCrashLoop, r.code, r.stderr)
	logFile := filepath.Join(u.stateDir, "agent.log")
	assert.Contains(t, r.stderr, "the agent stopped unexpectedly 5 times in 10 minutes; not starting again so that it does not loop. Read "+
		logFile+", then run: iscdesk-agent run --reset-crash-count")
	logText, err := os.ReadFile(logFile)
	require.NoError(t, err)
	assert.Contains(t, string(logText), "not starting again")

	p, _ := u.start("--reset-crash-count")
	assert.Equal(t, 0, p.stop(syscall.SIGINT), p.stderr.String())
}

// TestServiceInstallChecksConfig: install refuses a config file that is missing or invalid before
// it touches the service manager, since the service would fail at every start.
func TestServiceInstallChecksConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("dowloads: 2\n"), 0o644))
	tests := []struct{ path, want string }{
		{filepath.Join(dir, "missing.yaml"), "missing.yaml: the file does not exist"},
		{bad, "bad.yaml:1: unknown key \"dowloads\""},
	}
	for _, tt := range tests {
		r := runAgent(t, agentEnv(t), "service", "install", "--config", tt.path)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "not installing the service")
		assert.Contains(t, r.stderr, tt.want)
	}
}

// BenchmarkStartToReady measures a --user agent from exec to its first answer on the socket, and
// reports its resident memory once idle (linux).
func BenchmarkStartToReady(b *testing.B) {
	if runtime.GOOS == "windows" {
		b.Skip("unix sockets")
	}
	var rssKiB float64
	for b.Loop() {
		u := newUserAgent(b)
		p, _ := u.start()
		b.StopTimer()
		if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)); err == nil {
			for _, line := range strings.Split(string(status), "\n") {
				if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
					var kib float64
					if _, err := fmt.Sscanf(strings.TrimSpace(v), "%f kB", &kib); err == nil {
						rssKiB = max(rssKiB, kib)
					}
				}
			}
		}
		require.Equal(b, 0, p.stop(syscall.SIGTERM))
		b.StartTimer()
	}
	if rssKiB > 0 {
		b.ReportMetric(rssKiB, "idle-RSS-KiB")
	}
}
