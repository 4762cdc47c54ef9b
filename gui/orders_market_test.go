package gui

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/internal/testenv"
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

// signedInClient signs in to m as the demo engineer through the login form and returns the
// client, its session kept in a file of the test.
func signedInClient(t *testing.T, m *testenv.Market) *mclient.Client {
	t.Helper()
	store := secretstore.NewFile(filepath.Join(t.TempDir(), "session.json"))
	c := mclient.New(m.URL, mclient.Options{Store: store, Backoff: 10 * time.Millisecond, Retries: -1, Timeout: 20 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), flowTimeout)
	defer cancel()
	_, err := c.Login(ctx, mclient.LoginOptions{OpenBrowser: testenv.Browser(demoUser, demoPassword)})
	require.NoError(t, err, "signing in to the demo marketplace; its output:\n%s", m.Stderr())
	return c
}

// TestMarketplaceScreens drives the Licenses, Orders, Deliveries and API packages screens against
// a real iscdesk-market, signed in as the demo engineer: each flow as a user would click it.
func TestMarketplaceScreens(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs iscdesk-market")
	}
	m := testenv.StartMarket(t, "")
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

func offlineOrdersFlow(t *testing.T, u *UI, m *testenv.Market) {
	show(t, u, ordersTitle)
	s := screenOf[*ordersScreen](u)
	var before int
	onUI(u, func() { before = len(s.view.items) })
	require.Positive(t, before)

	m.Stop(os.Interrupt)
	onUI(u, func() { s.view.refresh(true) })
	eventually(t, u, flowTimeout, "the orders are marked offline", func() bool {
		return strings.HasPrefix(s.status.Text, "Offline: showing your orders as loaded at")
	})
	onUI(u, func() {
		assert.Len(t, s.view.items, before, "the last orders stay")
		assert.Contains(t, bannerText(u), "Offline")
	})
}
