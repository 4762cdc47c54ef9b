package main

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// decode runs a command that must succeed with --json and decodes its output.
func decode[T any](t *testing.T, env marketEnv, socket string, args ...string) T {
	t.Helper()
	r := mcli(t, env, socket, append(args, "--json")...)
	require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
	var v T
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), "%v printed %q", args, r.stdout)
	return v
}

func TestLoginWhoamiLogout(t *testing.T) {
	m := startMarket(t)
	env := testEnv(t, "engineer")
	none := filepath.Join(t.TempDir(), "none.sock")

	r := mcli(t, env, none, "login", "--market", m.url)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Continue signing in to "+m.url)
	assert.Regexp(t, `user +engineer \(Demo Engineer\), engineer\n`, r.stdout)
	assert.Regexp(t, `organisation +Demo Plant \(`, r.stdout)

	// The marketplace signed in to is the default from now on: no --market.
	me := decode[signedIn](t, env, none, "whoami")
	assert.Equal(t, m.url, me.Market)
	assert.Equal(t, "engineer", me.Me.Username)
	assert.NotNil(t, me.ExpiresAt)

	r = mcli(t, env, none, "logout")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "Signed out of "+m.url+".\n", r.stdout)

	r = mcli(t, env, none, "whoami", "--market", m.url)
	assert.Equal(t, exitRefused, r.code, r.stderr)
	assert.Contains(t, r.stderr, "`iscdesk login`")

	r = mcli(t, env, none, "login", "--token", "x")
	assert.Equal(t, exitUsage, r.code, r.stderr)
}

func TestMarketCommands(t *testing.T) {
	m := startMarket(t)
	env := testEnv(t, "engineer")
	none := filepath.Join(t.TempDir(), "none.sock") // no agent: these commands do not need one
	eng := []string{"--market", m.url, "--token", m.engineerToken}
	adm := []string{"--market", m.url, "--token", m.adminToken}

	orders := decode[[]api.Order](t, env, none, append([]string{"orders", "list"}, eng...)...)
	require.NotEmpty(t, orders)
	hardware := decode[[]api.HardwareDelivery](t, env, none, append([]string{"deliveries", "hardware"}, eng...)...)
	require.NotEmpty(t, hardware)
	packages := decode[[]api.APIPackage](t, env, none, append([]string{"api-packages", "list"}, eng...)...)
	require.NotEmpty(t, packages)
	var delivered *api.HardwareDelivery
	for i := range hardware {
		if hardware[i].State == api.HardwareDelivered && hardware[i].Unsubscribe == nil {
			delivered = &hardware[i]
		}
	}
	require.NotNil(t, delivered, "the demo has no delivered hardware without a request: %+v", hardware)
	paid := float64(delivered.PaidCents) / 100

	tests := []struct {
		name     string
		args     []string
		as       []string // eng, adm or nil (no session, no token)
		code     int
		contains []string // in stdout, or in stderr when code != 0
		json     any      // when set, stdout must decode into it
	}{
		{name: "whoami", args: []string{"whoami"}, as: adm, contains: []string{"admin (Demo Admin), admin", "the token given with --token"}},
		{name: "not signed in", args: []string{"orders", "list"}, code: exitRefused, contains: []string{"not signed in", "iscdesk login"}},
		{name: "bad token", args: []string{"orders", "list", "--token", "forged"}, code: exitRefused, contains: []string{"401"}},
		{name: "orders", args: []string{"orders", "list"}, as: eng, contains: []string{"ID  ", "KIND", orders[0].ID, orders[0].Title}},
		{name: "orders by kind", args: []string{"orders", "list", "--kind", "hardware", "--state", "delivered"}, as: eng, contains: []string{"I/O module IO-16", "230.00 EUR"}},
		{name: "orders bad kind", args: []string{"orders", "list", "--kind", "boats"}, as: eng, code: exitUsage, contains: []string{`--kind "boats": give one of software,`}},
		{name: "orders bad date", args: []string{"orders", "list", "--from", "yesterday"}, as: eng, code: exitUsage, contains: []string{"--from"}},
		{name: "order", args: []string{"orders", "show", orders[0].ID}, as: eng, contains: []string{"order    " + orders[0].ID}},
		{name: "order json", args: []string{"orders", "show", orders[0].ID, "--json"}, as: eng, json: &api.Order{}},
		{name: "no such order", args: []string{"orders", "show", "ord_nope"}, as: eng, code: exitFailed, contains: []string{"404"}},
		{name: "export needs --csv", args: []string{"orders", "export"}, as: eng, code: exitUsage, contains: []string{"--csv"}},
		{name: "images", args: []string{"deliveries", "images"}, as: eng, contains: []string{"BILLING", "pay per use", "/hour"}},
		{name: "images json", args: []string{"deliveries", "images", "--json", "--billing", "yearly"}, as: eng, json: &[]api.ImageDelivery{}},
		{name: "images bad billing", args: []string{"deliveries", "images", "--billing", "weekly"}, as: eng, code: exitUsage},
		{name: "hardware", args: []string{"deliveries", "hardware"}, as: eng, contains: []string{"TRACKING", delivered.Title}},
		{name: "hardware show", args: []string{"hardware", "show", delivered.ID}, as: eng, contains: []string{"delivery  " + delivered.ID}},
		{name: "unsubscribe more than paid", args: []string{"hardware", "unsubscribe", delivered.ID, "--type", "received", "--amount", "99999999", "--reason", "broken", "--return-tracking", "RT1"}, as: eng, code: exitUsage, contains: []string{"amount"}},
		{name: "unsubscribe zero", args: []string{"hardware", "unsubscribe", delivered.ID, "--type", "not-received", "--amount", "0", "--reason", "x"}, as: eng, code: exitUsage, contains: []string{"more than 0"}},
		{name: "unsubscribe bad type", args: []string{"hardware", "unsubscribe", delivered.ID, "--type", "lost", "--amount", "1", "--reason", "x"}, as: eng, code: exitUsage},
		{name: "return without tracking", args: []string{"hardware", "unsubscribe", delivered.ID, "--type", "received", "--amount", "1", "--reason", "x"}, as: eng, code: exitUsage, contains: []string{"--return-tracking"}},
		{name: "api packages", args: []string{"api-packages", "list"}, as: eng, contains: []string{"REMAINING", packages[0].Name}},
		{name: "alert both modes", args: []string{"api-packages", "alert", "set", packages[0].ID, "--percent", "20", "--absolute", "5", "--channels", "sms"}, as: eng, code: exitUsage},
		{name: "alert bad percent", args: []string{"api-packages", "alert", "set", packages[0].ID, "--percent", "100", "--channels", "sms"}, as: eng, code: exitUsage},
		{name: "alert bad channel", args: []string{"api-packages", "alert", "set", packages[0].ID, "--percent", "20", "--channels", "pigeon"}, as: eng, code: exitUsage},
		{name: "admins", args: []string{"org", "admins", "list"}, as: eng, contains: []string{"admin  ", "creator"}},
		{name: "remove the creator", args: []string{"org", "admins", "remove", "admin"}, as: adm, code: exitRefused, contains: []string{"the creator cannot be removed"}},
		{name: "engineer may not add admins", args: []string{"org", "admins", "add", "engineer"}, as: eng, code: exitRefused, contains: []string{"403"}},
		{name: "licenses list points at the rejection reason", args: []string{"licenses", "list", "--state", "rejected"}, as: eng, contains: []string{"rejected (see: iscdesk licenses show lic_"}},
		{name: "licenses bad state", args: []string{"licenses", "list", "--state", "lost"}, as: eng, code: exitUsage},
		{name: "license bad fingerprint", args: []string{"licenses", "apply", "demo-solver", "--fingerprint", "aa|bb"}, as: eng, code: exitUsage, contains: []string{"MAC|disk|board|cpu"}},
		{name: "license bad expiry", args: []string{"licenses", "apply", "demo-solver", "--expires", "soon"}, as: eng, code: exitUsage, contains: []string{"365d"}},
		{name: "license of a product not owned", args: []string{"licenses", "apply", "no-such-product", "--fingerprint", "00:1a:2b:3c:4d:5e|d|b|c"}, as: eng, code: exitRefused},
		{name: "notifications", args: []string{"notifications", "--json"}, as: eng, json: &[]api.Notification{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{}, tt.args...), tt.as...)
			if tt.as == nil {
				args = append(args, "--market", m.url)
			}
			r := mcli(t, env, none, args...)
			require.Equal(t, tt.code, r.code, "stdout %q\nstderr %q", r.stdout, r.stderr)
			text := r.stdout
			if tt.code != 0 {
				text = r.stderr
				assert.True(t, strings.HasPrefix(r.stderr, "iscdesk: "), r.stderr)
			}
			for _, s := range tt.contains {
				assert.Contains(t, text, s)
			}
			if tt.json != nil {
				require.NoError(t, json.Unmarshal([]byte(r.stdout), tt.json), r.stdout)
			}
		})
	}

	t.Run("export csv", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "orders.csv")
		e := decode[exported](t, env, none, append([]string{"orders", "export", "--csv", "-o", file, "--kind", "hardware"}, eng...)...)
		f, err := os.Open(file)
		require.NoError(t, err)
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, e.Orders+1)
		assert.Equal(t, []string{"id", "kind", "state", "product", "title", "amount", "currency", "created_at", "updated_at"}, rows[0])
		for _, row := range rows[1:] {
			assert.Equal(t, "hardware", row[1])
		}
		r := mcli(t, env, none, append([]string{"orders", "export", "--csv"}, eng...)...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, len(orders)+1, strings.Count(r.stdout, "\n"), "one line per order and a header")
	})

	t.Run("unsubscribe and alert", func(t *testing.T) {
		h := decode[api.HardwareDelivery](t, env, none, append([]string{"hardware", "unsubscribe", delivered.ID,
			"--type", "received", "--amount", strings.TrimSuffix(strings.TrimSuffix(jsonNumber(paid), ".00"), ".0"), "--reason", "the wrong voltage", "--return-tracking", "RT-77"}, eng...)...)
		require.NotNil(t, h.Unsubscribe)
		assert.Equal(t, api.ReviewPending, h.Unsubscribe.ReviewState)
		assert.Equal(t, delivered.PaidCents, h.Unsubscribe.AmountCents)
		assert.Equal(t, "RT-77", h.Unsubscribe.ReturnTracking)
		// A second request while the first waits for its review is refused by the marketplace.
		r := mcli(t, env, none, append([]string{"hardware", "unsubscribe", delivered.ID, "--type", "received", "--amount", "1", "--reason", "again", "--return-tracking", "RT-78"}, eng...)...)
		assert.NotEqual(t, 0, r.code)
		assert.Contains(t, r.stderr, "already has an open request")

		p := decode[api.APIPackage](t, env, none, append([]string{"api-packages", "alert", "set", packages[0].ID, "--percent", "20", "--channels", "sms,in-site"}, eng...)...)
		require.NotNil(t, p.Alert)
		assert.Equal(t, api.QuotaAlert{Mode: api.AlertPercent, Threshold: 20, Channels: []string{"sms", "in_site"}}, *p.Alert)
		r = mcli(t, env, none, append([]string{"api-packages", "alert", "clear", packages[0].ID}, eng...)...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "alert      -")
	})
}

// jsonNumber writes a float with two decimals, as a user types an amount.
func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	s := string(b)
	if !strings.Contains(s, ".") {
		s += ".00"
	}
	return s
}

func TestSoftwareMergesOwnedAndInstalled(t *testing.T) {
	m := startMarket(t)
	f := startFakeAgent(t)
	f.SetSoftware([]apitype.Software{
		{ID: "demo-solver", Name: "Demo Solver", Version: "2.0.0", Detected: true, DetectedVersion: "2.0.0", InstallDir: "/opt/iscdesk/demo-solver"},
		{ID: "home-made", Name: "Home Made", Version: "1.0.0", Detected: true, DetectedVersion: "1.0.0"},
	})
	env := testEnv(t, "engineer")

	rows := decode[[]ownedRow](t, env, f.socket, "software", "--market", m.url, "--token", m.engineerToken)
	byID := map[string]ownedRow{}
	for _, r := range rows {
		byID[r.Product] = r
	}
	assert.Equal(t, ownedRow{Product: "demo-solver", Name: "Demo Solver", Owned: true, OwnedVersion: "2.1.0", Installed: true, InstalledVersion: "2.0.0", State: ownedUpdate}, byID["demo-solver"])
	assert.Equal(t, ownedRow{Product: "home-made", Name: "Home Made", Installed: true, InstalledVersion: "1.0.0", State: ownedNotOwned}, byID["home-made"])
	require.Contains(t, byID, "cad-viewer")
	assert.Equal(t, ownedNotInstalled, byID["cad-viewer"].State)
	assert.True(t, byID["cad-viewer"].Owned)

	r := mcli(t, env, f.socket, "software", "--market", m.url, "--token", m.engineerToken)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `demo-solver +Demo Solver +2\.1\.0 +2\.0\.0 +update available\n`, r.stdout)
	assert.Regexp(t, `home-made +Home Made +no +1\.0\.0 +installed, not owned\n`, r.stdout)

	// Not signed in: the agent's list, and how to sign in.
	r = mcli(t, env, f.socket, "software", "--market", m.url)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "PRODUCT      NAME         VERSION  DETECTED  JOB")
	assert.Contains(t, r.stderr, "showing what is installed only")
	assert.Contains(t, r.stderr, "iscdesk login")
}

func TestInstallByName(t *testing.T) {
	m := startMarket(t)
	f := startFakeAgent(t)
	env := testEnv(t, "engineer")
	mk := []string{"--market", m.url, "--token", m.engineerToken}

	r := mcli(t, env, f.socket, append([]string{"install", "demo-solver", "--no-wait"}, mk...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `release ticket for demo-solver 2\.1\.0 \(`+runtime.GOOS+`(/`+runtime.GOARCH+`)?\), valid until `, r.stdout)
	sub := f.Submitted()
	require.Len(t, sub, 1)
	assert.Equal(t, apitype.ActionInstall, sub[0].Action)
	var ticket struct{ Payload, KeyID, Signature string }
	require.NoError(t, json.Unmarshal(sub[0].Ticket, &ticket), "the agent got %q", sub[0].Ticket)
	assert.NotEmpty(t, ticket.Payload, "the agent got %q", sub[0].Ticket)
	assert.NotEmpty(t, ticket.Signature, "the agent got %q", sub[0].Ticket)

	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown version", []string{"install", "demo-solver", "--version", "9.9.9"}, exitFailed, "9.9.9"},
		{"not owned", []string{"install", "no-such-product"}, exitRefused, "no-such-product"},
		{"version with a ticket file", []string{"install", writeTicket(t), "--version", "1.0.0"}, exitUsage, "--version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mcli(t, env, f.socket, append(tt.args, mk...)...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.msg)
		})
	}
	assert.Len(t, f.Submitted(), 1, "nothing more reached the agent")
}

func TestLicenseApplyAndInstall(t *testing.T) {
	m := startMarket(t)
	f := startFakeAgent(t)
	installDir := filepath.Join(t.TempDir(), "demo-solver")
	f.SetSoftware([]apitype.Software{{ID: "demo-solver", Name: "Demo Solver", Version: "2.1.0", Detected: true, DetectedVersion: "2.1.0", InstallDir: installDir}})
	env := testEnv(t, "engineer")
	mk := []string{"--market", m.url, "--token", m.engineerToken}

	lic := decode[api.License](t, env, f.socket, append([]string{"licenses", "apply", "demo-solver", "--fingerprint", "00-1A-2B-3C-4D-5E|disk-1|board-1|cpu-1", "--expires", "30d", "--wait"}, mk...)...)
	require.Equal(t, api.LicenseIssued, lic.State, "%+v", lic)
	assert.Equal(t, "00:1a:2b:3c:4d:5e|disk-1|board-1|cpu-1", lic.Fingerprint)
	assert.NotEmpty(t, lic.SHA256)

	list := decode[[]api.License](t, env, f.socket, append([]string{"licenses", "list", "--state", "issued", "--product", "demo-solver"}, mk...)...)
	assert.Contains(t, list, lic)
	r := mcli(t, env, f.socket, append([]string{"licenses", "show", lic.ID}, mk...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "next       iscdesk licenses install "+lic.ID)

	// The agent writes it where the package says (the fake: where SetTarget says).
	want := filepath.Join(installDir, "license", "solver.lic")
	f.SetTarget("demo-solver", want, "")
	placed := decode[licensePlaced](t, env, f.socket, append([]string{"licenses", "install", lic.ID}, mk...)...)
	assert.Equal(t, want, placed.Path)
	assert.Equal(t, "agent", placed.By)
	assertFileSHA(t, want, lic.SHA256)
	require.Len(t, f.Requests(), 1)
	assert.Equal(t, "demo-solver", f.Requests()[0].Product)
	assert.Equal(t, lic.SHA256, f.Requests()[0].SHA256)

	other := filepath.Join(t.TempDir(), "copy.lic")
	r = mcli(t, env, f.socket, append([]string{"licenses", "install", lic.ID, "-o", other}, mk...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "to "+other)
	assertFileSHA(t, other, lic.SHA256)

	f.RemoveTarget("demo-solver")
	r = mcli(t, env, f.socket, append([]string{"licenses", "install", lic.ID}, mk...)...)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "demo-solver is not installed by ISCDesk on this machine")
}

func assertFileSHA(t *testing.T, path, want string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	assert.Equal(t, want, hex.EncodeToString(sum[:]), path)
}
