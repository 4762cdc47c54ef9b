package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/internal/testenv"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/secretstore"
)

// market is a real iscdesk-market on a free loopback port with a temporary data folder, shared by
// the tests of this package (seeding it builds the example packages); TestMain stops it.
type market struct {
	srv           *testenv.Market
	url           string
	engineerToken string
	adminToken    string
	dir           string
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

// stopSharedMarket ends the shared marketplace, if started, and removes the binaries built.
func stopSharedMarket() {
	if m := sharedMarket; m != nil {
		m.srv.Stop(os.Interrupt)
		os.RemoveAll(m.dir)
	}
	testenv.RemoveBuilds()
}

func launchMarket() (*market, error) {
	dir, err := os.MkdirTemp("", "iscdesk-cli-market-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tm, err := testenv.LaunchMarket(ctx, filepath.Join(dir, "data"), "../../packaging/examples")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	m := &market{srv: tm, url: tm.URL, dir: dir}
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
	s, err := c.Login(ctx, mclient.LoginOptions{OpenBrowser: testenv.Browser(user, "demo")})
	if err != nil {
		return "", fmt.Errorf("signing in as %s: %w", user, err)
	}
	return s.AccessToken, nil
}

// testEnv is a machine with no keyring, no saved settings and no environment variables, whose
// browser signs in as user.
func testEnv(t *testing.T, user string) marketEnv {
	dir := t.TempDir()
	return marketEnv{
		getenv:      func(string) string { return "" },
		store:       secretstore.NewFile(filepath.Join(dir, "session.json")),
		configDir:   dir,
		openBrowser: testenv.Browser(user, "demo"),
	}
}

// mcli runs the command line in env against the agent at socket.
func mcli(t *testing.T, env marketEnv, socket string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runWith(testContext(t), append(args, "--socket", socket), stdio{out: &out, err: &errOut}, env)
	return cliResult{stdout: out.String(), stderr: errOut.String(), code: code}
}
