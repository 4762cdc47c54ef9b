package main

import (
	"bufio"
	"bytes"
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
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/secretstore"
)

// market is a real iscdesk-market on a free loopback port with a temporary data folder, shared by
// the tests of this package (seeding it builds the example packages); TestMain stops it.
type market struct {
	url           string
	engineerToken string
	adminToken    string
	cmd           *exec.Cmd
	dir           string
	done          chan struct{} // closed when the process has exited
}

var (
	sharedMarket    *market
	sharedMarketErr error
	marketOnce      sync.Once
)

// startMarket returns the shared marketplace, starting it on first use.
func startMarket(t *testing.T) *market {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs iscdesk-market; skipped with -short")
	}
	marketOnce.Do(func() { sharedMarket, sharedMarketErr = launchMarket() })
	require.NoError(t, sharedMarketErr)
	return sharedMarket
}

// stopSharedMarket ends the shared marketplace, if started.
func stopSharedMarket() {
	if m := sharedMarket; m != nil {
		_ = m.cmd.Process.Signal(os.Interrupt)
		select {
		case <-m.done:
		case <-time.After(20 * time.Second):
			_ = m.cmd.Process.Kill()
			<-m.done
		}
		os.RemoveAll(m.dir)
	}
}

func launchMarket() (*market, error) {
	dir, err := os.MkdirTemp("", "iscdesk-cli-market-")
	if err != nil {
		return nil, err
	}
	m := &market{dir: dir, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := filepath.Join(dir, "iscdesk-market")
	build := exec.CommandContext(ctx, goTool(), "build", "-o", bin, "../iscdesk-market")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building iscdesk-market: %w\n%s", err, out)
	}
	m.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--examples", "../../packaging/examples")
	stdout, err := m.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	m.cmd.Stderr = &stderr
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting iscdesk-market: %w", err)
	}
	urls := make(chan string, 1)
	go func() { // owned by the process: ends when it closes its output
		defer close(m.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "marketplace on "); ok {
				urls <- u
			}
		}
		_ = m.cmd.Wait()
	}()
	select {
	case m.url = <-urls:
	case <-m.done:
		return nil, fmt.Errorf("iscdesk-market stopped before serving: %s", stderr.String())
	case <-time.After(2 * time.Minute):
		_ = m.cmd.Process.Kill()
		return nil, fmt.Errorf("iscdesk-market did not serve within 2 minutes: %s", stderr.String())
	}
	if m.engineerToken, err = m.token("engineer"); err != nil {
		return m, err
	}
	if m.adminToken, err = m.token("admin"); err != nil {
		return m, err
	}
	return m, nil
}

// token signs user in through the real login form and returns the access token.
func (m *market) token(user string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store := secretstore.NewFile(filepath.Join(m.dir, user+"-session.json"))
	c := mclient.New(m.url, mclient.Options{Store: store})
	s, err := c.Login(ctx, mclient.LoginOptions{OpenBrowser: playBrowser(user, "demo")})
	if err != nil {
		return "", fmt.Errorf("signing in as %s: %w", user, err)
	}
	return s.AccessToken, nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// playBrowser is what a person does in the browser: open the sign-in page, fill in the form and
// send it; the marketplace's redirect takes the browser back to the CLI's loopback port.
func playBrowser(user, password string) func(string) error {
	return func(authURL string) error {
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
		resp, err := hc.Get(authURL)
		if err != nil {
			return err
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("sign-in page: %s: %s", resp.Status, page)
		}
		form := url.Values{"username": {user}, "password": {password}}
		for _, m := range hiddenInput.FindAllStringSubmatch(string(page), -1) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
		if form.Get("csrf_token") == "" {
			return fmt.Errorf("the sign-in page has no CSRF token: %s", page)
		}
		u, _ := url.Parse(authURL)
		u.RawQuery = ""
		resp, err = hc.PostForm(u.String(), form) // follows the 303 to the loopback callback
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Signed in") {
			return fmt.Errorf("after the form: %s: %s", resp.Status, body)
		}
		return nil
	}
}

// testEnv is a machine with no keyring, no saved settings and no environment variables, whose
// browser signs in as user.
func testEnv(t *testing.T, user string) marketEnv {
	dir := t.TempDir()
	return marketEnv{
		getenv:      func(string) string { return "" },
		store:       secretstore.NewFile(filepath.Join(dir, "session.json")),
		configDir:   dir,
		openBrowser: playBrowser(user, "demo"),
	}
}

// mcli runs the command line in env against the agent at socket.
func mcli(t *testing.T, env marketEnv, socket string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runWith(testContext(t), append(args, "--socket", socket), stdio{out: &out, err: &errOut}, env)
	return cliResult{stdout: out.String(), stderr: errOut.String(), code: code}
}
