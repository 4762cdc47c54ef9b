package gui

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/secretstore"
)

// Demo account of iscdesk-market's seed (marketplace/server.DemoEngineer, DemoPassword).
const (
	demoUser     = "engineer"
	demoPassword = "demo"
	// flowTimeout bounds each wait of the flows: generous, for a loaded 2-core machine.
	flowTimeout = 60 * time.Second
)

// realMarket is iscdesk-market, built from cmd/iscdesk-market and run as a process on a free
// port of 127.0.0.1, on a fresh data folder seeded with the demo data.
type realMarket struct {
	url  string
	cmd  *exec.Cmd
	out  *lockedBuffer
	stop func()
}

// lockedBuffer is an io.Writer that the test may read while the process writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startRealMarket(t *testing.T) *realMarket {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "iscdesk-market")
	build := exec.Command("go", "build", "-o", bin, "../cmd/iscdesk-market")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building iscdesk-market: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // the market takes the port over; another taker would fail the start, loudly

	m := &realMarket{url: "http://" + addr, out: &lockedBuffer{}}
	m.cmd = exec.Command(bin, "serve", "--data", filepath.Join(dir, "data"), "--addr", addr, "--examples", "../packaging/examples")
	m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
	require.NoError(t, m.cmd.Start())
	exited := make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(exited) }()
	var once sync.Once
	m.stop = func() {
		once.Do(func() {
			_ = m.cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(20 * time.Second):
				_ = m.cmd.Process.Kill()
				<-exited
			}
		})
	}
	t.Cleanup(m.stop)

	deadline := time.Now().Add(2 * time.Minute) // the first start builds the example packages
	for {
		resp, err := http.Get(m.url + "/v1/keys")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m
			}
		}
		select {
		case <-exited:
			t.Fatalf("iscdesk-market exited before it answered:\n%s", m.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("iscdesk-market did not answer on %s within 2 min:\n%s", m.url, m.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// fillLoginForm is the user's browser: it opens the sign-in page, fills in the real form and
// submits it; the marketplace then redirects to the client's loopback listener.
func fillLoginForm(username, password string) func(string) error {
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
		for _, m := range hiddenField.FindAllStringSubmatch(string(form), -1) {
			fields.Set(m[1], html.UnescapeString(m[2]))
		}
		resp, err = browser.PostForm(authorizeURL[:strings.Index(authorizeURL, "?")], fields)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	}
}

// signedInClient signs in to m as the demo engineer through the login form and returns the
// client, its session kept in a file of the test.
func signedInClient(t *testing.T, m *realMarket) *mclient.Client {
	t.Helper()
	store := secretstore.NewFile(filepath.Join(t.TempDir(), "session.json"))
	c := mclient.New(m.url, mclient.Options{Store: store, Backoff: 10 * time.Millisecond, Retries: -1, Timeout: 20 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), flowTimeout)
	defer cancel()
	_, err := c.Login(ctx, mclient.LoginOptions{OpenBrowser: fillLoginForm(demoUser, demoPassword)})
	require.NoError(t, err, "signing in to the demo marketplace; its output:\n%s", m.out)
	return c
}

// TestMarketplaceScreens drives the Licenses, Orders, Deliveries and API packages screens against
// a real iscdesk-market, signed in as the demo engineer: each flow as a user would click it.
func TestMarketplaceScreens(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs iscdesk-market")
	}
	m := startRealMarket(t)
	c := signedInClient(t, m)
	u := newTestUI(t, newFakeAgent(), c, Options{})
	eventually(t, u, flowTimeout, "the app is signed in with the tenant's products", func() bool {
		return u.me != nil && len(u.marketSt.entitlements) > 0
	})

	t.Run("apply for a license, see it issued, install it", func(t *testing.T) { licenseFlow(t, u, c) })
	t.Run("unsubscribe hardware", func(t *testing.T) { hardwareRefundFlow(t, u, c) })
	t.Run("set a quota alert", func(t *testing.T) { quotaAlertFlow(t, u, c) })
	t.Run("filter and export orders", func(t *testing.T) { exportOrdersFlow(t, u) })
	t.Run("offline keeps the orders", func(t *testing.T) { offlineOrdersFlow(t, u, m) })
}

// show opens the screen titled title and waits until its first list is loaded.
func show(t *testing.T, u *UI, title string) {
	t.Helper()
	onUI(u, func() { u.showScreen(title) })
	eventually(t, u, 5*time.Second, title+" is shown", func() bool { return u.screens[u.current].Title() == title })
}

// saveInto is a savePicker that picks dir/name without a dialog and records the path.
func saveInto(dir string, picked *string) savePicker {
	return func(_ fyne.Window, _ string, name string, done func(string)) {
		*picked = filepath.Join(dir, name)
		done(*picked)
	}
}

func exportOrdersFlow(t *testing.T, u *UI) {
	show(t, u, ordersTitle)
	s := screenOf[*ordersScreen](u)
	eventually(t, u, flowTimeout, "orders are loaded", func() bool { return len(s.view.items) > 0 })

	var all int
	onUI(u, func() {
		all = len(s.view.items)
		s.kind.SetSelected(words(api.OrderHardware))
	})
	var shown []api.Order
	onUI(u, func() { shown = slices.Clone(s.shown) })
	require.NotEmpty(t, shown, "the demo tenant has hardware orders")
	require.Less(t, len(shown), all, "the filter keeps only hardware orders")
	for _, o := range shown {
		assert.Equal(t, api.OrderHardware, o.Kind)
	}

	// Search narrows to one order, and the detail pane shows it.
	onUI(u, func() { test.Type(s.search, shown[0].ID) })
	onUI(u, func() {
		require.Len(t, s.shown, 1)
		s.list.Select(0)
		assert.Contains(t, texts(s.detail), shown[0].ID)
		assert.Contains(t, texts(s.detail), money(shown[0].AmountCents, shown[0].Currency))
	})
	onUI(u, func() { s.search.SetText("") })

	dir, picked := t.TempDir(), ""
	onUI(u, func() {
		s.save = saveInto(dir, &picked)
		test.Tap(s.export)
	})
	eventually(t, u, flowTimeout, "the export is written", func() bool { return s.lastExported != "" })
	f, err := os.Open(picked)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, len(shown)+1, "a header and one row per order shown")
	assert.Equal(t, ordersCSVHeader, rows[0])
	for i, o := range shown {
		assert.Equal(t, o.ID, rows[i+1][0])
		assert.Equal(t, api.OrderHardware, rows[i+1][2])
	}
	onUI(u, func() { assert.Contains(t, s.status.Text, "Exported to "+picked) })
}

func offlineOrdersFlow(t *testing.T, u *UI, m *realMarket) {
	show(t, u, ordersTitle)
	s := screenOf[*ordersScreen](u)
	var before int
	onUI(u, func() { before = len(s.view.items) })
	require.Positive(t, before)

	m.stop()
	onUI(u, func() { s.view.refresh(true) })
	eventually(t, u, flowTimeout, "the orders are marked offline", func() bool {
		return strings.HasPrefix(s.status.Text, "Offline: showing your orders as loaded at")
	})
	onUI(u, func() {
		assert.Len(t, s.view.items, before, "the last orders stay")
		assert.Contains(t, bannerText(u), "Offline")
	})
}
