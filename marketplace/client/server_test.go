package client_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/ticket"
	"github.com/iscdesk/iscdesk/internal/testenv"
	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/client"
	"github.com/iscdesk/iscdesk/marketplace/client/secretstore"
	"github.com/iscdesk/iscdesk/marketplace/server"
)

// market is the real marketplace, seeded with the demo data, on a temp SQLite file behind a real
// HTTP server on 127.0.0.1:0.
type market struct {
	srv *server.Server
	url string
}

func startMarket(t *testing.T) *market {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the example packages and a seeded marketplace")
	}
	dir := t.TempDir()
	ctx := context.Background()
	db, err := server.Open(ctx, filepath.Join(dir, "market.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err = server.Seed(ctx, db, server.SeedOptions{DataDir: dir, Examples: "../../packaging/examples", PasswordIterations: 1000, Logger: logger})
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	srv, err := server.New(db, server.Options{DataDir: dir, BaseURL: base, Logger: logger, Heartbeat: 100 * time.Millisecond})
	require.NoError(t, err)
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(func() {
		srv.Close() // ends the SSE streams, so that ts.Close does not wait on them
		ts.Close()
	})
	return &market{srv: srv, url: base}
}

// signInWithForm is a browser and a user: it fills in the real login form, and sends done the page
// that the browser shows then: the client's loopback page after the redirect, or the form again.
func signInWithForm(username, password string, done chan<- string) func(string) error {
	return func(authorizeURL string) error {
		page, err := testenv.FillSignInForm(authorizeURL, username, password)
		if err != nil {
			return err
		}
		done <- page.Body
		return nil
	}
}

func TestAgainstTheRealMarketplace(t *testing.T) {
	t.Parallel()
	m := startMarket(t)
	store := secretstore.NewFile(filepath.Join(t.TempDir(), "session.json"))
	c := client.New(m.url, client.Options{Store: store})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Sign in through the real form.
	page := make(chan string, 1)
	sess, err := c.Login(ctx, client.LoginOptions{OpenBrowser: signInWithForm(server.DemoEngineer, server.DemoPassword, page)})
	require.NoError(t, err)
	assert.Contains(t, <-page, "You can close this window")
	assert.Equal(t, server.DemoEngineer, sess.User)
	assert.NotEmpty(t, sess.TenantID)
	assert.NotEmpty(t, sess.RefreshToken)
	assert.WithinDuration(t, time.Now().Add(server.AccessTokenTTL), sess.Expiry, time.Minute)

	// A second client (the next run of the CLI) finds the stored session.
	c = client.New(m.url, client.Options{Store: store})
	me, err := c.Me(ctx)
	require.NoError(t, err)
	assert.Equal(t, server.DemoEngineer, me.Username)
	assert.Equal(t, sess.TenantID, me.TenantID)

	// Entitlements and a ticket that the agent would accept.
	ents, err := client.Collect(c.Entitlements(ctx, client.ListOptions{PageSize: 1}))
	require.NoError(t, err)
	require.NotEmpty(t, ents, "the demo tenant owns products")
	var product *api.Product
	var release api.Release
	for _, e := range ents {
		p, err := c.Product(ctx, e.Product)
		require.NoError(t, err)
		for _, r := range p.Releases {
			if r.Platform == runtime.GOOS || r.Platform == runtime.GOOS+"/"+runtime.GOARCH {
				product, release = p, r
			}
		}
	}
	require.NotNil(t, product, "an entitled product has a release for %s", runtime.GOOS)
	tr, err := c.Ticket(ctx, product.ID, "", release.Platform)
	require.NoError(t, err)
	assert.Equal(t, product.ID, tr.Product)
	keys, err := c.Keys(ctx)
	require.NoError(t, err)
	ring := ticket.NewKeyring()
	for _, k := range keys.Keys {
		pub, err := ticket.ParsePublicKey([]byte(k.Line))
		require.NoError(t, err)
		ring.Add(pub)
	}
	tk, err := ring.Verify(tr.Ticket, time.Now())
	require.NoError(t, err, "the ticket verifies with the keys from /v1/keys")
	assert.Equal(t, product.ID, tk.Product)
	assert.Equal(t, release.SHA256, tk.SHA256)

	// A license, applied for twice (one license), issued, its content checked; its
	// notification arrives on the stream.
	require.NoError(t, m.srv.SetLicenseIssuer(ctx, product.ID, server.LicenseIssuerConfig{Kind: server.IssuerBuiltin, Delay: 10 * time.Millisecond}))
	app := api.LicenseApplication{Product: product.ID, Fingerprint: "00:11:22:33:44:55|disk-1|board-1|cpu-1",
		ExpiresAt: time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)}
	lic, err := c.ApplyLicense(ctx, app, "")
	require.NoError(t, err)
	again, err := c.ApplyLicense(ctx, app, "")
	require.NoError(t, err)
	assert.Equal(t, lic.ID, again.ID, "the same application gives the same license")
	issued, err := c.WaitLicense(ctx, lic.ID, 20*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, api.LicenseIssued, issued.State, issued.Reason)
	content, err := c.LicenseContentOf(ctx, lic.ID)
	require.NoError(t, err)
	assert.Equal(t, issued.SHA256, content.SHA256)
	assert.NotEmpty(t, content.Data)

	var seen []string
	for n, err := range c.NotificationsStream(ctx, "0") {
		require.NoError(t, err)
		seen = append(seen, n.Kind+" "+n.Ref)
		if n.Ref == lic.ID {
			break
		}
	}
	assert.Contains(t, seen, "license "+lic.ID)

	// A bad request comes back as an APIError naming the field.
	_, err = c.ApplyLicense(ctx, api.LicenseApplication{Product: product.ID, Fingerprint: "nonsense", ExpiresAt: app.ExpiresAt}, "")
	var apiErr *client.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.Status)
	assert.Equal(t, "fingerprint", apiErr.Field)

	// Sign out: the token no longer works, and nothing is stored.
	old, err := c.Session(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Logout(ctx))
	_, err = c.Me(ctx)
	require.ErrorIs(t, err, client.ErrNotSignedIn)
	_, err = c.WithToken(old.AccessToken).Me(ctx)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.Status)
	assert.NoFileExists(t, store.Path())
}

// TestRealRefresh: a client whose clock says the access token is about to expire refreshes it at
// the real token endpoint, and the rotated tokens work.
func TestRealRefresh(t *testing.T) {
	t.Parallel()
	m := startMarket(t)
	store := secretstore.NewFile(filepath.Join(t.TempDir(), "session.json"))
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := client.New(m.url, client.Options{Store: store, Now: clock})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	page := make(chan string, 1)
	first, err := c.Login(ctx, client.LoginOptions{OpenBrowser: signInWithForm(server.DemoAdmin, server.DemoPassword, page)})
	require.NoError(t, err)
	<-page

	mu.Lock()
	now = now.Add(server.AccessTokenTTL - 30*time.Second)
	mu.Unlock()
	me, err := c.Me(ctx)
	require.NoError(t, err)
	assert.Equal(t, server.DemoAdmin, me.Username)
	second, err := c.Session(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, second.AccessToken)
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken, "the server rotates refresh tokens")

	// Logging in with a wrong password shows the form again; the client keeps waiting until ctx ends.
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	defer cancelShort()
	_, err = client.New(m.url, client.Options{Store: secretstore.NewFile(filepath.Join(t.TempDir(), "s.json"))}).
		Login(short, client.LoginOptions{OpenBrowser: signInWithForm(server.DemoAdmin, "wrong", page)})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, <-page, "Wrong username or password")
}

// signIn logs a user in through the real form and returns the client.
func signIn(t *testing.T, ctx context.Context, m *market, username string) *client.Client {
	t.Helper()
	c := client.New(m.url, client.Options{Store: secretstore.NewFile(filepath.Join(t.TempDir(), "session.json"))})
	page := make(chan string, 1)
	_, err := c.Login(ctx, client.LoginOptions{OpenBrowser: signInWithForm(username, server.DemoPassword, page)})
	require.NoError(t, err)
	<-page
	return c
}

// TestRealDeliveriesOrdersAndAlerts drives the engineer's and the admin's calls on deliveries,
// orders and API packages, and sees their notifications arrive live on the engineer's stream.
func TestRealDeliveriesOrdersAndAlerts(t *testing.T) {
	t.Parallel()
	m := startMarket(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	eng, adm := signIn(t, ctx, m, server.DemoEngineer), signIn(t, ctx, m, server.DemoAdmin)

	images, err := client.Collect(eng.ImageDeliveries(ctx, client.ListOptions{}))
	require.NoError(t, err)
	assert.NotEmpty(t, images)

	// A refund of hardware that never arrived: a wrong amount is refused, then the admin approves.
	inTransit, err := client.Collect(eng.HardwareDeliveries(ctx, client.ListOptions{Filter: url.Values{"state": {api.HardwareInTransit}}}))
	require.NoError(t, err)
	require.NotEmpty(t, inTransit)
	hw := inTransit[0]
	_, err = eng.Unsubscribe(ctx, hw.ID, api.UnsubscribeRequest{Type: api.UnsubscribeNotReceived, AmountCents: hw.PaidCents + 1, Reason: "never came"})
	var apiErr *client.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "amount_cents", apiErr.Field)
	got, err := eng.Unsubscribe(ctx, hw.ID, api.UnsubscribeRequest{Type: api.UnsubscribeNotReceived, AmountCents: hw.PaidCents, Reason: "never came"})
	require.NoError(t, err)
	require.NotNil(t, got.Unsubscribe)
	assert.Equal(t, api.ReviewPending, got.Unsubscribe.ReviewState)
	_, err = eng.ReviewUnsubscribe(ctx, hw.ID, api.ReviewRequest{Decision: api.ReviewApprove})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.Status, "an engineer may not review")
	got, err = adm.ReviewUnsubscribe(ctx, hw.ID, api.ReviewRequest{Decision: api.ReviewApprove})
	require.NoError(t, err)
	assert.Equal(t, api.ReviewApproved, got.Unsubscribe.ReviewState)

	// The review's notification is the engineer's first; replaying it shows the stream is open.
	first, err := client.Collect(eng.Notifications(ctx, client.ListOptions{PageSize: 1}))
	require.NoError(t, err)
	require.NotEmpty(t, first)
	var pending []api.Order
	for o, err := range eng.Orders(ctx, client.ListOptions{Filter: url.Values{"state": {api.StatePendingPayment}}}) {
		require.NoError(t, err)
		pending = append(pending, o)
	}
	require.NotEmpty(t, pending)
	pkgs, err := client.Collect(eng.APIPackages(ctx, client.ListOptions{}))
	require.NoError(t, err)
	var quiet *api.APIPackage
	for i := range pkgs {
		if pkgs[i].Alert == nil {
			quiet = &pkgs[i]
		}
	}
	require.NotNil(t, quiet, "a seeded API package has no alert")

	want := map[string]bool{"delivery " + hw.ID: true, "order " + pending[0].ID: true, "quota " + quiet.ID: true}
	for n, err := range eng.NotificationsStream(ctx, fmt.Sprint(first[len(first)-1].ID-1)) {
		require.NoError(t, err)
		delete(want, n.Kind+" "+n.Ref)
		if n.Kind == "delivery" {
			// Now that the stream is open, cause two more notifications: they must arrive live.
			moved, err := adm.SetOrderState(ctx, pending[0].ID, api.OrderStateRequest{State: api.StatePaid})
			require.NoError(t, err)
			assert.Equal(t, api.StatePaid, moved.State)
			pkg, err := eng.SetAlert(ctx, quiet.ID, api.QuotaAlert{Mode: api.AlertPercent, Threshold: 50, Channels: []string{api.ChannelInSite}})
			require.NoError(t, err)
			require.NotNil(t, pkg.Alert)
			used, err := eng.ReportUsage(ctx, quiet.ID, quiet.TotalCalls*6/10)
			require.NoError(t, err)
			assert.True(t, used.AlertFired)
		}
		if len(want) == 0 {
			break
		}
	}
	assert.Empty(t, want, "notifications that did not arrive")
}

func TestRealOrgAdmins(t *testing.T) {
	t.Parallel()
	m := startMarket(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	eng, adm := signIn(t, ctx, m, server.DemoEngineer), signIn(t, ctx, m, server.DemoAdmin)

	admins, err := adm.OrgAdmins(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, admins)
	creator, before := admins[0], len(admins)
	assert.Equal(t, server.DemoAdmin, creator.Username)
	assert.True(t, creator.Creator, "the creator is listed first")

	var apiErr *client.APIError
	require.ErrorAs(t, eng.RemoveOrgAdmin(ctx, creator.UserID), &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.Status, "an engineer is no admin")
	require.ErrorAs(t, adm.RemoveOrgAdmin(ctx, server.DemoAdmin), &apiErr)
	assert.Equal(t, "creator_protected", apiErr.Code)

	added, err := adm.AddOrgAdmin(ctx, server.DemoEngineer)
	require.NoError(t, err)
	assert.Equal(t, creator.UserID, added.InvitedBy)
	admins, err = eng.OrgAdmins(ctx)
	require.NoError(t, err)
	assert.Len(t, admins, before+1)
	for _, a := range admins {
		if !a.Creator && a.UserID != added.UserID {
			require.ErrorAs(t, eng.RemoveOrgAdmin(ctx, a.UserID), &apiErr)
			assert.Equal(t, "invited_admin", apiErr.Code, "an invited admin may not remove another")
		}
	}

	require.NoError(t, eng.RemoveOrgAdmin(ctx, server.DemoEngineer), "an invited admin may remove itself")
	admins, err = adm.OrgAdmins(ctx)
	require.NoError(t, err)
	assert.Len(t, admins, before)
}
