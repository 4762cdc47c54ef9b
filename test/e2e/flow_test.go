package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/internal/testenv"
	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/secretstore"
)

// The whole marketplace flow, as an engineer does it on a fresh machine: sign in through the
// marketplace's login form, install a product by name, apply for its license and see it issued,
// install the license, and see an order notification arrive when an admin moves an order.
func TestMarketplaceFlow(t *testing.T) {
	bin := buildBinaries(t)
	dir := t.TempDir()

	// The marketplace, on a free port.
	marketURL := testenv.StartMarket(t, "../../packaging/examples").URL
	var keys api.Keys
	getJSON(t, marketURL+"/v1/keys", &keys)
	require.NotEmpty(t, keys.Keys)

	// The agent in user mode, trusting the marketplace's ticket key. A short folder: unix socket
	// paths are limited to ~100 bytes.
	short, err := os.MkdirTemp("", "e2e-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(short) })
	socket := filepath.Join(short, "agent.sock")
	home := filepath.Join(dir, "home")
	require.NoError(t, os.MkdirAll(home, 0o700))
	// No keyring (no D-Bus session) and no browser: the session goes to a 0600 file under HOME.
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(dir, "no-dbus"), "DISPLAY=", "WAYLAND_DISPLAY=",
		"ISCDESK_SOCKET=" + socket, "ISCDESK_MARKET=", "ISCDESK_TOKEN="}
	installRoot := filepath.Join(dir, "opt")
	testenv.Start(t, env, bin.agent, "run", "--user", "--socket", socket, "--state-dir", filepath.Join(dir, "state"),
		"--install-root", installRoot, "--trusted-key", keys.Keys[0].Line)
	testenv.Eventually(t, 30*time.Second, "the agent answers", func() bool { return testenv.Run(t, env, bin.cli, "status").Code == 0 })

	// Sign in: the CLI prints the address, the "browser" signs in with the form, the CLI gets the code.
	login := testenv.Start(t, env, bin.cli, "login", "--no-browser", "--market", marketURL)
	authURL, err := login.WaitLine(30*time.Second, func(l string) bool {
		return strings.HasPrefix(strings.TrimSpace(l), marketURL+"/oauth/authorize?")
	})
	require.NoError(t, err)
	require.NoError(t, testenv.SignIn(strings.TrimSpace(authURL), "engineer", "demo"))
	code, err := login.Wait(30 * time.Second)
	require.NoError(t, err)
	require.Equal(t, 0, code, "iscdesk login: %s", login.Stderr())
	require.Contains(t, strings.Join(login.Output(), "\n"), "engineer (Demo Engineer)")
	sessionFile := filepath.Join(home, ".config", "iscdesk", "session.json")
	info, err := os.Stat(sessionFile)
	require.NoError(t, err, "the session is kept in a file when there is no keyring")
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	// Install by name: the CLI gets the ticket, the agent installs, detection finds it.
	r := testenv.Run(t, env, bin.cli, "install", "demo-solver")
	require.Equal(t, 0, r.Code, "install demo-solver: %s\n%s", r.Stderr, r.Stdout)
	assert.Contains(t, r.Stdout, "install Demo Solver 2.1.0: done")
	var raw []map[string]any
	testenv.RunJSON(t, env, &raw, bin.cli, "software")
	var solver map[string]any
	for _, row := range raw {
		if row["product"] == "demo-solver" {
			solver = row
		}
	}
	require.NotNil(t, solver, "software lists no demo-solver: %v", raw)
	assert.Equal(t, true, solver["installed"], "%v", solver)
	assert.Equal(t, "2.1.0", solver["installed_version"])
	assert.Equal(t, "installed", solver["state"])

	// Its license, bound to this machine, issued after the issuer's delay.
	var lic api.License
	testenv.RunJSON(t, env, &lic, bin.cli, "licenses", "apply", "demo-solver", "--wait")
	require.Equal(t, api.LicenseIssued, lic.State, "%+v", lic)
	var placed struct{ Path, SHA256 string }
	testenv.RunJSON(t, env, &placed, bin.cli, "licenses", "install", lic.ID)
	require.True(t, strings.HasPrefix(placed.Path, installRoot), "license written to %s, outside the install root %s", placed.Path, installRoot)
	assert.Equal(t, "solver.lic", filepath.Base(placed.Path))
	data, err := os.ReadFile(placed.Path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	assert.Equal(t, lic.SHA256, hex.EncodeToString(sum[:]))

	// An order notification: follow the stream from the latest notification on, and have an
	// admin move an order of the engineer's.
	var seen []api.Notification
	testenv.RunJSON(t, env, &seen, bin.cli, "notifications")
	var last int64
	for _, n := range seen {
		last = max(last, n.ID)
	}
	follow := testenv.Start(t, env, bin.cli, "notifications", "--follow", "--since", strconv.FormatInt(last, 10), "--json")
	var pending []api.Order
	testenv.RunJSON(t, env, &pending, bin.cli, "orders", "list", "--state", "pending_payment")
	require.NotEmpty(t, pending, "the demo has no order waiting for payment")
	admin := adminClient(t, marketURL, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = admin.SetOrderState(ctx, pending[0].ID, api.OrderStateRequest{State: api.StatePaid, Note: "payment received"})
	require.NoError(t, err)
	_, err = follow.WaitLine(30*time.Second, func(l string) bool {
		var n api.Notification
		return json.Unmarshal([]byte(l), &n) == nil && n.Kind == "order" && n.Ref == pending[0].ID
	})
	require.NoError(t, err)
	follow.Stop(os.Interrupt)
	code, err = follow.Wait(5 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 130, code, "notifications --follow after Ctrl-C")

	var order api.Order
	testenv.RunJSON(t, env, &order, bin.cli, "orders", "show", pending[0].ID)
	assert.Equal(t, api.StatePaid, order.State)

	r = testenv.Run(t, env, bin.cli, "logout")
	require.Equal(t, 0, r.Code, r.Stderr)
	r = testenv.Run(t, env, bin.cli, "whoami", "--market", marketURL)
	assert.Equal(t, 6, r.Code, "whoami after logout: %s", r.Stderr)
}

// adminClient signs the demo admin in through the same form, with the marketplace client.
func adminClient(t *testing.T, marketURL, dir string) *mclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := mclient.New(marketURL, mclient.Options{Store: secretstore.NewFile(filepath.Join(dir, "admin-session.json"))})
	_, err := c.Login(ctx, mclient.LoginOptions{OpenBrowser: testenv.Browser("admin", "demo")})
	require.NoError(t, err, "signing the admin in")
	return c
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, u)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}
