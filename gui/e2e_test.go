package gui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	aclient "github.com/iscdesk/iscdesk/agent/client"
	"github.com/iscdesk/iscdesk/internal/testenv"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/secretstore"
)

// The whole way, on the real binaries: sign in through the Account screen (a scripted browser
// fills in the marketplace's real login form), tap Install on demo-solver, follow the job's
// progress to the end and see the row say it is installed.
func TestInstallWithTheRealAgentAndMarketplace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs iscdesk-market and iscdesk-agent; skipped with -short")
	}
	m := testenv.StartMarket(t, "")
	key, err := m.WaitLine(flowTimeout, func(l string) bool { return strings.HasPrefix(l, ticketKeyPrefix) })
	require.NoError(t, err)
	sock := startAgent(t, strings.TrimPrefix(key, ticketKeyPrefix))

	market := mclient.New(m.URL, mclient.Options{Store: secretstore.NewFile(filepath.Join(t.TempDir(), "session.json"))})
	u := newTestUI(t, aclient.New(sock), market, Options{OpenBrowser: testenv.Browser(demoUser, demoPassword)})

	// Sign in.
	account := screenOf[*signInScreen](u)
	eventually(t, u, 20*time.Second, "Sign in is offered", func() bool { return account.signIn.Visible() })
	onUI(u, func() { test.Tap(account.signIn) })
	eventually(t, u, 60*time.Second, "the engineer of Demo Plant is signed in", func() bool {
		return u.me != nil && u.me.Username == "engineer"
	})
	onUI(u, func() {
		assert.Equal(t, "Demo Plant", u.me.TenantName)
		assert.Equal(t, "Demo Engineer (engineer)", account.heading.Text)
	})

	// Find demo-solver and install it, watching the job on the way.
	sw := screenOf[*softwareScreen](u)
	var states []string
	var sawProgress bool
	onUI(u, func() {
		u.showScreen(softwareTitle)
		u.onChange = append(u.onChange, func() {
			if j := u.jobOf("demo-solver"); j != nil && (len(states) == 0 || states[len(states)-1] != j.State) {
				states = append(states, j.State)
			}
			sawProgress = sawProgress || sw.progress.Visible()
		})
	})
	eventually(t, u, 30*time.Second, "demo-solver is listed as not installed", func() bool {
		return slices.ContainsFunc(sw.items, func(it swItem) bool { return it.ID == "demo-solver" && it.Owned && !it.installed() })
	})
	onUI(u, func() {
		test.Type(sw.search, "demo-solver")
		require.Equal(t, 1, sw.list.Length())
		sw.list.Select(0)
		require.False(t, sw.install.Disabled(), "Install is offered; status: %s", sw.status.Text)
		test.Tap(sw.install)
	})
	eventually(t, u, 2*time.Minute, "the row says demo-solver 2.1.0 is installed", func() bool {
		if txt := topDialogText(u); txt != "" {
			require.FailNow(t, "a dialog opened: "+txt)
		}
		return sw.status.Text == "Installed 2.1.0"
	})
	onUI(u, func() {
		j := u.jobOf("demo-solver")
		require.NotNil(t, j)
		assert.Equal(t, apitype.StateDone, j.State)
		assert.Contains(t, states, apitype.StateInstalling, "the job's steps as seen: %v", states)
		assert.True(t, sawProgress, "the progress bar showed while the job ran")
		assert.False(t, sw.progress.Visible(), "the progress bar is gone at the end")
		assert.False(t, sw.uninstall.Disabled(), "Uninstall is offered once installed")
		assert.True(t, sw.install.Disabled(), "Install is no longer offered")
		require.NotEmpty(t, u.notices)
		assert.Equal(t, "Demo Solver: Installed 2.1.0", u.notices[0].Title)
	})
}

// ticketKeyPrefix starts the line where iscdesk-market prints its ticket key.
const ticketKeyPrefix = "ticket key (trust it in the agent config): "

// startAgent runs `iscdesk-agent run --user` on a temporary socket, trusting key, and waits
// until it answers.
func startAgent(t *testing.T, key string) string {
	t.Helper()
	bin := testenv.MustBuild(t, "./cmd/iscdesk-agent", "")
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	require.NoError(t, os.MkdirAll(home, 0o700))
	sock := filepath.Join(dir, "agent.sock")
	// --user reads ~/.config/iscdesk/agent.yaml: keep the agent away from this machine's.
	testenv.Start(t, []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}, bin,
		"run", "--user", "--socket", sock, "--state-dir", filepath.Join(dir, "state"),
		"--install-root", filepath.Join(dir, "opt"), "--trusted-key", key)
	c := aclient.New(sock)
	testenv.Eventually(t, 30*time.Second, "the agent answers on "+sock, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := c.Status(ctx)
		return err == nil
	})
	return sock
}
