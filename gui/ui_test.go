package gui

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	aclient "github.com/iscdesk/iscdesk/agent/client"
	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

func ents(names ...string) []api.Entitlement {
	out := make([]api.Entitlement, len(names))
	for i, n := range names {
		out[i] = api.Entitlement{ID: "e-" + n, Product: n, Name: n, Publisher: "ISCDesk Examples"}
	}
	return out
}

// With no agent on the socket, the banner says so in the client's words, with how to start it,
// and the Software screen still shows what the tenant owns.
func TestBannerWhenTheAgentIsNotRunning(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock") // nothing listens here
	u := newTestUI(t, aclient.New(sock), newFakeMarket(ents("demo-solver")...), Options{})

	eventually(t, u, 10*time.Second, "the banner says the agent is not running", func() bool {
		return u.agentSt.err != nil
	})
	onUI(u, func() {
		text := bannerText(u)
		assert.Contains(t, text, "The ISCDesk agent is not running")
		assert.Contains(t, text, sock, "the banner names the socket")
		assert.Contains(t, text, "iscdesk-agent run --user", "the banner says how to start the agent")
	})
	eventually(t, u, 10*time.Second, "the tenant's software is listed", func() bool {
		s := screenOf[*softwareScreen](u)
		u.showScreen(softwareTitle)
		return len(s.items) == 1 && s.items[0].ID == "demo-solver"
	})
	onUI(u, func() {
		s := screenOf[*softwareScreen](u)
		s.list.Select(0)
		assert.True(t, s.install.Disabled(), "Install is offered while the agent is not running")
	})
}

// When the marketplace stops answering, the software it listed stays, the banner marks it
// offline, and the next answer clears the mark.
func TestMarketplaceOfflineKeepsTheLastData(t *testing.T) {
	agent := newFakeAgent()
	market := newFakeMarket(ents("cad-viewer", "demo-solver")...)
	u := newTestUI(t, agent, market, Options{MarketRefresh: 50 * time.Millisecond})
	s := screenOf[*softwareScreen](u)
	onUI(u, func() { u.showScreen(softwareTitle) })
	eventually(t, u, 10*time.Second, "the software is listed", func() bool { return len(s.items) == 2 })

	market.set(func(f *fakeMarket) {
		f.entsErr = &mclient.UnreachableError{URL: f.BaseURL(), Err: syscall.ECONNREFUSED}
	})
	eventually(t, u, 10*time.Second, "the data is marked offline", func() bool { return u.marketSt.offline })
	onUI(u, func() {
		assert.Len(t, s.items, 2, "the last list is kept while offline")
		assert.Contains(t, bannerText(u), "Offline: the marketplace at http://127.0.0.1:1 cannot be reached")
		assert.Contains(t, bannerText(u), "showing what was loaded at")
	})

	market.set(func(f *fakeMarket) { f.entsErr = nil })
	eventually(t, u, 15*time.Second, "the offline mark is gone", func() bool { return !u.marketSt.offline })
	onUI(u, func() { assert.NotContains(t, bannerText(u), "Offline") })
}

func TestFilterAndSearch(t *testing.T) {
	inv := []apitype.Software{
		{ID: "demo-solver", Name: "Demo Solver", Detected: true, Version: "2.1.0", DetectedVersion: "2.1.0"},
		{ID: "legacy-tool", Name: "Legacy Tool", Version: "1.0", Detail: "file missing"}, // installed, not found
	}
	entitled := []api.Entitlement{
		{Product: "demo-solver", Name: "Demo Solver", Publisher: "ISCDesk Examples"},
		{Product: "cad-viewer", Name: "CAD Viewer", Publisher: "Acme CAD"},
		{Product: "driver-kit", Name: "Driver Kit", Publisher: "ISCDesk Examples"},
	}
	items := mergeSoftware(entitled, inv)
	require.Len(t, items, 4, "merged by product id")
	jobs := map[string]*apitype.Job{
		"driver-kit": {ID: "j1", Product: "driver-kit", Action: apitype.ActionInstall, State: apitype.StateFetching},
	}
	jobOf := func(id string) *apitype.Job { return jobs[id] }
	ids := func(idx []int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, items[i].ID)
		}
		return out
	}
	for _, tc := range []struct {
		q    string
		f    swFilter
		want []string
	}{
		{"", filterAll, []string{"cad-viewer", "demo-solver", "driver-kit", "legacy-tool"}},
		{"", filterInstalled, []string{"demo-solver"}},
		{"", filterNotInstalled, []string{"cad-viewer", "driver-kit", "legacy-tool"}},
		{"", filterActive, []string{"driver-kit"}},
		{"", filterAttention, []string{"legacy-tool"}},
		{"acme", filterAll, []string{"cad-viewer"}},
		{"  SOLVER ", filterAll, []string{"demo-solver"}},
		{"demo-", filterAll, []string{"demo-solver"}},
		{"examples", filterNotInstalled, []string{"driver-kit"}},
		{"nothing like it", filterAll, nil},
	} {
		t.Run(fmt.Sprintf("%s/%q", tc.f, tc.q), func(t *testing.T) {
			assert.Equal(t, tc.want, ids(filterSoftware(items, tc.q, tc.f, jobOf)))
		})
	}
}

func TestItemStatus(t *testing.T) {
	installed := &apitype.Software{ID: "p", Detected: true, Version: "2.1.0", DetectedVersion: "2.1.0", InstalledAt: time.Unix(100, 0)}
	for _, tc := range []struct {
		name string
		it   swItem
		job  *apitype.Job
		want string
		kind statusKind
	}{
		{"owned, not installed", swItem{ID: "p", Owned: true}, nil, "Not installed", statusNone},
		{"installed", swItem{ID: "p", Owned: true, Installed: installed}, nil, "Installed 2.1.0", statusOK},
		{"downloading", swItem{ID: "p", Owned: true},
			&apitype.Job{Action: apitype.ActionInstall, State: apitype.StateFetching,
				Progress: &apitype.Progress{Step: "downloading", Done: 5_000_000, Total: 10_000_000, Rate: 2_000_000, ETA: 3 * time.Second}},
			"Installing: Downloading · 5.0 MB of 10.0 MB · 2.0 MB/s · 3 s left", statusBusy},
		{"failed", swItem{ID: "p", Owned: true},
			&apitype.Job{Action: apitype.ActionInstall, State: apitype.StateFailed, Reason: "the installer exited with 1603", Updated: time.Unix(200, 0)},
			"Failed: the installer exited with 1603", statusAttention},
		{"reboot", swItem{ID: "p", Owned: true, Installed: &apitype.Software{ID: "p", Detected: true, Version: "1.0", RebootRequired: true}}, nil,
			"Installed 1.0 · restart the computer to finish", statusAttention},
		{"uninstalled by hand", swItem{ID: "p", Installed: &apitype.Software{ID: "p", Version: "1.0", Detail: `no file "bin/p"`}}, nil,
			`Installed 1.0 but not found on this computer: no file "bin/p"`, statusAttention},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, kind := itemStatus(&tc.it, tc.job)
			assert.Equal(t, tc.want, text)
			assert.Equal(t, tc.kind, kind)
		})
	}
}

func TestTextHelpers(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {999, "999 B"}, {1000, "1.0 kB"}, {73_400_320, "73.4 MB"}, {5_000_000_000, "5.0 GB"}} {
		assert.Equal(t, tc.want, byteSize(tc.n), "byteSize(%d)", tc.n)
	}
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{0, ""}, {8 * time.Second, "8 s left"}, {3 * time.Minute, "3 min left"}, {65 * time.Minute, "1 h 5 min left"}} {
		assert.Equal(t, tc.want, timeLeft(tc.d), "timeLeft(%s)", tc.d)
	}
	assert.Equal(t, "notifications", slug("Notifications (3)"))
	assert.Equal(t, "api-packages", slug("API packages"))
}

// A tenant with 5,000 products: the list holds them all, search narrows it, and scrolling to
// the end shows the last one.
func TestSoftwareListOf5000Items(t *testing.T) {
	u := newTestUI(t, newFakeAgent(), newFakeMarket(demoItems(5000)...), Options{})
	s := screenOf[*softwareScreen](u)
	onUI(u, func() { u.showScreen(softwareTitle) })
	eventually(t, u, 10*time.Second, "5,000 items are listed", func() bool { return s.list.Length() == 5000 })
	onUI(u, func() {
		assert.Equal(t, "5000 of 5000", s.count.Text)
		s.list.ScrollToBottom()
		s.list.Select(4999)
		assert.Equal(t, "Demo Item 04999", s.name.Text, "the last item's detail")
		test.Type(s.search, "Item 0420")
		assert.Equal(t, 10, s.list.Length(), "Demo Item 04200..04209")
		assert.Equal(t, "10 of 5000", s.count.Text)
	})
}

// A job that ends arrives as an in-app notice and a desktop notification, and the Software row
// follows its progress on the way.
func TestJobEventsNotify(t *testing.T) {
	agent := newFakeAgent()
	u := newTestUI(t, agent, newFakeMarket(ents("demo-solver")...), Options{})
	s := screenOf[*softwareScreen](u)
	onUI(u, func() { u.showScreen(softwareTitle) })
	eventually(t, u, 10*time.Second, "the agent answered", func() bool { return u.agentSt.loaded && len(s.items) == 1 })

	job := apitype.Job{ID: "j1", Product: "demo-solver", Name: "Demo Solver", Version: "2.1.0", Action: apitype.ActionInstall,
		State: apitype.StateFetching, Created: time.Now(), Updated: time.Now(),
		Progress: &apitype.Progress{Step: "downloading", Done: 50, Total: 100}}
	agent.events <- apitype.Event{Type: apitype.EventProgress, Job: &job}
	eventually(t, u, 10*time.Second, "the detail shows the progress", func() bool {
		return s.progress.Visible() && s.progress.Value == 0.5
	})
	onUI(u, func() { assert.False(t, s.cancel.Disabled(), "Cancel is offered while the job runs") })

	done := job
	done.State, done.Progress, done.Updated, done.RebootRequired = apitype.StateDone, nil, time.Now(), true
	agent.events <- apitype.Event{Type: apitype.EventJob, Job: &done}
	eventually(t, u, 10*time.Second, "a notice says the job ended", func() bool { return len(u.notices) == 1 })
	onUI(u, func() {
		assert.Equal(t, "Demo Solver: Installed 2.1.0; restart the computer to finish", u.notices[0].Title)
		assert.Equal(t, "Notifications (1)", screenOf[*notificationsScreen](u).Title())
		assert.False(t, s.progress.Visible())
		assert.True(t, s.reboot.Visible(), "the detail says a restart is required")
	})
}

// The marketplace's refusal to remove an admin is shown in its own words.
func TestAdminRemovalRefusalIsShown(t *testing.T) {
	market := newFakeMarket()
	market.admins = []api.OrgAdmin{{UserID: "a1", Username: "admin", DisplayName: "Demo Admin", Creator: true}}
	market.removeErr = &mclient.APIError{Status: 409, Code: "conflict", Message: "the creator of the organisation cannot be removed"}
	u := newTestUI(t, newFakeAgent(), market, Options{})
	s := screenOf[*settingsScreen](u)
	eventually(t, u, 10*time.Second, "signed in", func() bool { return u.me != nil })
	onUI(u, func() { u.showScreen("Settings") })
	eventually(t, u, 10*time.Second, "the admins are listed", func() bool { return len(s.adminList) == 1 })
	onUI(u, func() { s.removeAdmin(s.adminList[0]) })
	eventually(t, u, 10*time.Second, "a dialog shows the refusal", func() bool {
		return topDialogText(u) != ""
	})
	onUI(u, func() {
		text := topDialogText(u)
		assert.Contains(t, text, "The creator of the organisation cannot be removed")
		assert.NotContains(t, text, "409", "the reason is in words, not a status code")
	})
}

// Screens registered by any file appear in the navigation in their order.
func TestScreensAreOrdered(t *testing.T) {
	u := newTestUI(t, newFakeAgent(), newFakeMarket(), Options{})
	var titles []string
	onUI(u, func() {
		for _, s := range u.screens {
			titles = append(titles, s.Title())
		}
	})
	require.GreaterOrEqual(t, len(titles), 4)
	assert.Equal(t, signInTitle, titles[0])
	assert.Equal(t, softwareTitle, titles[1])
	assert.Equal(t, "Settings", titles[len(titles)-1])
}

// A marketplace notification arrives in the in-app list and as a desktop notification.
func TestMarketplaceNotificationIsShown(t *testing.T) {
	market := newFakeMarket()
	u := newTestUI(t, newFakeAgent(), market, Options{})
	eventually(t, u, 10*time.Second, "signed in", func() bool { return u.me != nil })
	n := api.Notification{ID: 7, Kind: "license", Title: "License issued", Body: "Your license for driver-kit is issued.", CreatedAt: time.Now()}
	test.AssertNotificationSent(t, fyne.NewNotification(n.Title, n.Body), func() {
		market.stream <- n
		eventually(t, u, 10*time.Second, "the notice is listed", func() bool { return len(u.notices) == 1 })
	})
	onUI(u, func() {
		assert.Equal(t, "License issued", u.notices[0].Title)
		assert.False(t, u.notices[0].Read)
		assert.Equal(t, "Notifications (1)", screenOf[*notificationsScreen](u).Title())
	})
}

// When the marketplace ends the session, the app signs out and opens Account.
func TestEndedSessionSignsOut(t *testing.T) {
	market := newFakeMarket(ents("demo-solver")...)
	u := newTestUI(t, newFakeAgent(), market, Options{MarketRefresh: 50 * time.Millisecond})
	eventually(t, u, 10*time.Second, "signed in", func() bool { return u.me != nil })
	market.set(func(f *fakeMarket) {
		f.entsErr = fmt.Errorf("refreshing: %w; sign in again", mclient.ErrSessionEnded)
	})
	eventually(t, u, 10*time.Second, "signed out", func() bool { return u.me == nil })
	onUI(u, func() {
		assert.Equal(t, signInTitle, u.screens[u.current].Title())
		assert.Empty(t, u.marketSt.entitlements, "the signed-out user's data is dropped")
		assert.True(t, screenOf[*signInScreen](u).signIn.Visible(), "Sign in is offered")
	})
}
