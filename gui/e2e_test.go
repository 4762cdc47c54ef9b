package gui

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	aclient "github.com/iscdesk/iscdesk/agent/client"
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
	bin := buildCommands(t, "iscdesk-market", "iscdesk-agent")
	marketURL, key := startMarketplace(t, bin)
	sock := startAgent(t, bin, key)

	market := mclient.New(marketURL, mclient.Options{Store: secretstore.NewFile(filepath.Join(t.TempDir(), "session.json"))})
	u := newTestUI(t, aclient.New(sock), market, Options{OpenBrowser: formBrowser("engineer", "demo")})

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

// buildCommands builds ./cmd/NAME of this module into a temporary folder.
func buildCommands(t *testing.T, names ...string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err, "go env GOMOD")
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := t.TempDir()
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./cmd/"+n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	built, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", built)
	t.Setenv("ISCDESK_TEST_ROOT", root)
	return bin
}

// startProcess starts bin/name with args, its output in a file, and stops it at the test's end.
func startProcess(t *testing.T, bin, name string, env []string, args ...string) (logFile string) {
	t.Helper()
	logFile = filepath.Join(t.TempDir(), name+".log")
	log, err := os.Create(logFile)
	require.NoError(t, err)
	cmd := exec.Command(filepath.Join(bin, name), args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), env...)
	require.NoError(t, cmd.Start(), "starting %s", name)
	log.Close()
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { // owned by this cleanup, which waits for it
			_ = cmd.Wait()
			close(done)
		}()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Errorf("%s did not stop within 20 s of SIGTERM; killing it", name)
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			data, _ := os.ReadFile(logFile)
			t.Logf("%s output:\n%s", name, data)
		}
	})
	return logFile
}

// waitLine polls file until a line starts with prefix, and returns the rest of that line.
func waitLine(t *testing.T, file, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		data, _ := os.ReadFile(file)
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				return strings.TrimSpace(rest)
			}
		}
		if time.Now().After(deadline) {
			require.FailNow(t, fmt.Sprintf("no line %q in %s after 60 s:\n%s", prefix, file, data))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startMarketplace runs `iscdesk-market serve` on demo data and returns its URL and ticket key.
func startMarketplace(t *testing.T, bin string) (marketURL, keyLine string) {
	t.Helper()
	examples := filepath.Join(os.Getenv("ISCDESK_TEST_ROOT"), "packaging", "examples")
	log := startProcess(t, bin, "iscdesk-market", nil,
		"serve", "--data", filepath.Join(t.TempDir(), "market"), "--examples", examples, "--addr", "127.0.0.1:0")
	marketURL = waitLine(t, log, "marketplace on ")
	keyLine = waitLine(t, log, "ticket key (trust it in the agent config): ")
	return marketURL, keyLine
}

// startAgent runs `iscdesk-agent run --user` on a temporary socket, trusting key, and waits
// until it answers.
func startAgent(t *testing.T, bin, key string) string {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	require.NoError(t, os.MkdirAll(home, 0o700))
	sock := filepath.Join(dir, "agent.sock")
	// --user reads ~/.config/iscdesk/agent.yaml: keep the agent away from this machine's.
	startProcess(t, bin, "iscdesk-agent", []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")},
		"run", "--user", "--socket", sock, "--state-dir", filepath.Join(dir, "state"),
		"--install-root", filepath.Join(dir, "opt"), "--trusted-key", key)
	c := aclient.New(sock)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.Status(ctx)
		cancel()
		if err == nil {
			return sock
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "the agent does not answer on "+sock+": "+err.Error())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// formBrowser is a browser and a user: it opens the sign-in page, fills in the marketplace's
// login form and submits it; the marketplace then redirects to the app's loopback listener.
func formBrowser(username, password string) func(string) error {
	return func(authorizeURL string) error {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return err
		}
		browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
		resp, err := browser.Get(authorizeURL)
		if err != nil {
			return err
		}
		form, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("sign-in page: %s: %s", resp.Status, form)
		}
		fields := url.Values{"username": {username}, "password": {password}}
		for _, m := range hiddenInput.FindAllStringSubmatch(string(form), -1) {
			fields.Set(m[1], html.UnescapeString(m[2]))
		}
		action, _, _ := strings.Cut(authorizeURL, "?")
		resp, err = browser.PostForm(action, fields)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("submitting the sign-in form: %s", resp.Status)
		}
		return nil
	}
}
