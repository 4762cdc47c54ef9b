package server

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/ticket"
	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/license"
)

const fxFingerprint = "00-1A-2B-3C-4D-5E|WD-123|BRD-9|BFEBFBFF000906EA"

func fxApplication(product string) api.LicenseApplication {
	return api.LicenseApplication{Product: product, Fingerprint: fxFingerprint, ExpiresAt: time.Now().Add(365 * 24 * time.Hour).UTC().Format(time.RFC3339)}
}

// waitLicense polls the license until it leaves pending.
func (e *fxEnv) waitLicense(u fxUser, id string) api.License {
	e.t.Helper()
	var lic api.License
	require.Eventually(e.t, func() bool {
		r := e.do(&u, "GET", "/v1/licenses/"+id, nil)
		require.Equal(e.t, http.StatusOK, r.Status, "%s", r.Body)
		r.decode(e.t, &lic)
		return lic.State != api.LicensePending
	}, 20*time.Second, 20*time.Millisecond, "license %s stayed pending", id)
	return lic
}

func TestLicenseAppliedThenIssuedByBuiltin(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	e.product("cadpro", "t1")
	require.NoError(t, e.srv.SetLicenseIssuer(context.Background(), "cadpro", LicenseIssuerConfig{Kind: IssuerBuiltin, Delay: 50 * time.Millisecond}))
	events := e.stream(eng)

	r := e.do(&eng, "POST", "/v1/licenses", fxApplication("cadpro"))
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	var applied api.License
	r.decode(t, &applied)
	assert.Equal(t, api.LicensePending, applied.State)
	assert.Equal(t, "00:1a:2b:3c:4d:5e|WD-123|BRD-9|BFEBFBFF000906EA", applied.Fingerprint, "the MAC is normalised")
	assert.Equal(t, "/v1/licenses/"+applied.ID, r.Header.Get("Location"))

	lic := e.waitLicense(eng, applied.ID)
	require.Equal(t, api.LicenseIssued, lic.State, "reason: %s", lic.Reason)
	assert.Equal(t, license.KindFile, lic.Kind)
	require.NotNil(t, lic.IssuedAt)

	n := nextNotification(t, events, "license")
	assert.Equal(t, applied.ID, n.Ref)
	assert.Equal(t, "License issued", n.Title)

	c := e.do(&eng, "GET", "/v1/licenses/"+lic.ID+"/content", nil)
	require.Equal(t, http.StatusOK, c.Status)
	sum := sha256.Sum256(c.Body)
	assert.Equal(t, hex.EncodeToString(sum[:]), c.Header.Get(api.LicenseContentSHA256Header))
	assert.Equal(t, lic.SHA256, c.Header.Get(api.LicenseContentSHA256Header))
	assert.Contains(t, c.Header.Get("Content-Disposition"), "cadpro-"+lic.ID+".lic")

	// The file verifies against the published license key and is bound to the device.
	var keys api.Keys
	kr := e.do(nil, "GET", "/v1/license-keys", nil)
	require.Equal(t, http.StatusOK, kr.Status)
	kr.decode(t, &keys)
	require.Len(t, keys.Keys, 1)
	pub, err := ticket.ParsePublicKey([]byte(keys.Keys[0].Line))
	require.NoError(t, err)
	doc, err := license.VerifyDocument(c.Body, ed25519.PublicKey(pub.Key))
	require.NoError(t, err)
	fp, err := license.ParseFingerprint(fxFingerprint)
	require.NoError(t, err)
	require.NoError(t, doc.Check(fp, time.Now()))
	assert.Equal(t, "t1", doc.Tenant)
}

func TestLicenseApplyIsIdempotent(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	e.product("cadpro", "t1")
	app := fxApplication("cadpro")

	first := e.do(&eng, "POST", "/v1/licenses", app, api.IdempotencyHeader, "key-1")
	require.Equal(t, http.StatusAccepted, first.Status, "%s", first.Body)
	var a, b, c api.License
	first.decode(t, &a)

	second := e.do(&eng, "POST", "/v1/licenses", app, api.IdempotencyHeader, "key-1")
	require.Equal(t, http.StatusAccepted, second.Status)
	second.decode(t, &b)
	assert.Equal(t, a.ID, b.ID, "the replayed response names the same license")

	// Past the replay window of the middleware the licenses table still knows the key.
	e.exec(`DELETE FROM idempotency`)
	third := e.do(&eng, "POST", "/v1/licenses", app, api.IdempotencyHeader, "key-1")
	require.Equal(t, http.StatusAccepted, third.Status)
	third.decode(t, &c)
	assert.Equal(t, a.ID, c.ID)
	e.exec(`DELETE FROM idempotency`)
	other := app
	other.Fingerprint = "00:1a:2b:3c:4d:5f|WD-123|BRD-9|cpu"
	reused := e.do(&eng, "POST", "/v1/licenses", other, api.IdempotencyHeader, "key-1")
	assert.Equal(t, http.StatusUnprocessableEntity, reused.Status)

	var page api.Page[api.License]
	e.do(&eng, "GET", "/v1/licenses", nil).decode(t, &page)
	assert.Len(t, page.Items, 1, "one application, however often it was sent")
}

// fxVendor is a vendor's license endpoint that checks the authToken, answers 503 to the first
// failFirst calls, then answer.
func fxVendor(t *testing.T, secret string, failFirst int32, answer license.VendorResponse) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := license.VerifyAuthToken(r.PostForm, secret, time.Now(), time.Minute); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(license.VendorResponse{Status: "rejected", Reason: err.Error()})
			return
		}
		if n <= failFirst {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestLicenseIssuedOrRejectedByVendor(t *testing.T) {
	tests := []struct {
		name         string
		secret       string // the vendor's; the marketplace is configured with "s3cret"
		failFirst    int32
		answer       license.VendorResponse
		wantState    string
		wantReason   string
		wantCalls    int32
		wantFailures int64
	}{
		{"issued after two failures", "s3cret", 2, license.VendorResponse{Status: "issued", Kind: "text", Content: "ACT-1"}, api.LicenseIssued, "", 3, 2},
		{"rejected by the vendor", "s3cret", 0, license.VendorResponse{Status: "rejected", Reason: "device limit reached"}, api.LicenseRejected, "device limit reached", 1, 0},
		{"signature refused", "other", 0, license.VendorResponse{Status: "issued", Kind: "text", Content: "x"}, api.LicenseRejected, "authToken does not match", 1, 0},
		{"vendor down", "s3cret", 100, license.VendorResponse{}, api.LicenseRejected, "failed 3 times", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFxEnv(t)
			eng := e.user("t1", "eng", api.RoleEngineer)
			e.product("cadpro", "t1")
			vendor, calls := fxVendor(t, tt.secret, tt.failFirst, tt.answer)
			require.NoError(t, e.srv.SetLicenseIssuer(context.Background(), "cadpro", LicenseIssuerConfig{
				Kind: IssuerVendor, URL: vendor.URL, Secret: "s3cret", Attempts: 3, Backoff: 10 * time.Millisecond}))
			events := e.stream(eng)

			r := e.do(&eng, "POST", "/v1/licenses", fxApplication("cadpro"))
			require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
			var applied api.License
			r.decode(t, &applied)
			lic := e.waitLicense(eng, applied.ID)
			assert.Equal(t, tt.wantState, lic.State, "reason: %s", lic.Reason)
			assert.Contains(t, lic.Reason, tt.wantReason)
			assert.Equal(t, tt.wantCalls, calls.Load())
			failures, err := e.srv.LicenseIssuerFailures(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tt.wantFailures, failures["cadpro"])
			n := nextNotification(t, events, "license")
			assert.Equal(t, applied.ID, n.Ref)
			if tt.wantState == api.LicenseIssued {
				c := e.do(&eng, "GET", "/v1/licenses/"+lic.ID+"/content", nil)
				assert.Equal(t, "ACT-1", string(c.Body))
				assert.Equal(t, "text/plain; charset=utf-8", c.Header.Get("Content-Type"))
			}
		})
	}
}

func TestLicenseApplyRefusesBadInput(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	e.product("cadpro", "t1")
	e.product("solver") // exists, but t1 does not own it
	e.exec(`INSERT INTO products (id, name, publisher, created_at) VALUES ('old', 'Old', 'Acme', 0)`)
	e.exec(`INSERT INTO entitlements (id, tenant_id, product_id, granted_at, expires_at) VALUES ('ent_old', 't1', 'old', 0, ?)`, ms(time.Now().Add(-time.Hour)))
	e.exec(`INSERT INTO products (id, name, publisher, created_at) VALUES ('short', 'Short', 'Acme', 0)`)
	e.exec(`INSERT INTO entitlements (id, tenant_id, product_id, granted_at, expires_at) VALUES ('ent_short', 't1', 'short', 0, ?)`, ms(time.Now().Add(30*24*time.Hour)))
	year := time.Now().Add(365 * 24 * time.Hour).UTC().Format(time.RFC3339)

	tests := []struct {
		name      string
		body      any
		status    int
		wantField string
	}{
		{"no product", api.LicenseApplication{Fingerprint: fxFingerprint, ExpiresAt: year}, 400, "product"},
		{"three-field fingerprint", api.LicenseApplication{Product: "cadpro", Fingerprint: "a|b|c", ExpiresAt: year}, 400, "fingerprint"},
		{"bad MAC", api.LicenseApplication{Product: "cadpro", Fingerprint: "zz|b|c|d", ExpiresAt: year}, 400, "fingerprint.mac"},
		{"empty cpu", api.LicenseApplication{Product: "cadpro", Fingerprint: "00:1a:2b:3c:4d:5e|b|c|", ExpiresAt: year}, 400, "fingerprint.cpu"},
		{"no expiry", api.LicenseApplication{Product: "cadpro", Fingerprint: fxFingerprint}, 400, "expires_at"},
		{"expiry not a time", api.LicenseApplication{Product: "cadpro", Fingerprint: fxFingerprint, ExpiresAt: "next year"}, 400, "expires_at"},
		{"effective not a time", api.LicenseApplication{Product: "cadpro", Fingerprint: fxFingerprint, EffectiveAt: "2026-13-01", ExpiresAt: year}, 400, "effective_at"},
		{"expiry before effective", api.LicenseApplication{Product: "cadpro", Fingerprint: fxFingerprint, EffectiveAt: "2030-01-01T00:00:00Z", ExpiresAt: "2029-01-01T00:00:00Z"}, 400, "expires_at"},
		{"expiry in the past", api.LicenseApplication{Product: "cadpro", Fingerprint: fxFingerprint, EffectiveAt: "2020-01-01T00:00:00Z", ExpiresAt: "2021-01-01T00:00:00Z"}, 400, "expires_at"},
		{"unknown field", `{"product":"cadpro","fingerprint":"x","expires_at":"` + year + `","seats":3}`, 400, "seats"},
		{"not entitled", api.LicenseApplication{Product: "solver", Fingerprint: fxFingerprint, ExpiresAt: year}, 403, "product"},
		{"entitlement expired", api.LicenseApplication{Product: "old", Fingerprint: fxFingerprint, ExpiresAt: year}, 403, "product"},
		{"beyond the entitlement", api.LicenseApplication{Product: "short", Fingerprint: fxFingerprint, ExpiresAt: year}, 400, "expires_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(&eng, "POST", "/v1/licenses", tt.body)
			require.Equal(t, tt.status, r.Status, "%s", r.Body)
			apiErr := r.apiError(t)
			assert.Equal(t, tt.wantField, apiErr.Field)
			assert.NotEmpty(t, apiErr.Message)
		})
	}
	var page api.Page[api.License]
	e.do(&eng, "GET", "/v1/licenses", nil).decode(t, &page)
	assert.Empty(t, page.Items, "no refused application was stored")
}

func TestLicensesAreScopedToTheTenant(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	other := e.user("t2", "mallory", api.RoleAdmin)
	e.product("cadpro", "t1", "t2")
	require.NoError(t, e.srv.SetLicenseIssuer(context.Background(), "cadpro", LicenseIssuerConfig{Kind: IssuerBuiltin, Delay: time.Hour}))

	var lic api.License
	r := e.do(&eng, "POST", "/v1/licenses", fxApplication("cadpro"))
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	r.decode(t, &lic)

	pending := e.do(&eng, "GET", "/v1/licenses/"+lic.ID+"/content", nil)
	assert.Equal(t, http.StatusConflict, pending.Status, "a pending license has no content yet")

	for _, path := range []string{"/v1/licenses/" + lic.ID, "/v1/licenses/" + lic.ID + "/content"} {
		assert.Equal(t, http.StatusNotFound, e.do(&other, "GET", path, nil).Status, path)
	}
	var page api.Page[api.License]
	e.do(&other, "GET", "/v1/licenses", nil).decode(t, &page)
	assert.Empty(t, page.Items)
	assert.Equal(t, http.StatusUnauthorized, e.do(nil, "GET", "/v1/licenses", nil).Status)
}

func TestLicenseListPagesAndFilters(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	e.product("cadpro", "t1")
	require.NoError(t, e.srv.SetLicenseIssuer(context.Background(), "cadpro", LicenseIssuerConfig{Kind: IssuerBuiltin, Delay: time.Hour}))
	ids := map[string]bool{}
	for range 5 {
		var lic api.License
		e.do(&eng, "POST", "/v1/licenses", fxApplication("cadpro")).decode(t, &lic)
		ids[lic.ID] = true
	}
	seen := map[string]bool{}
	path := "/v1/licenses?limit=2&state=pending"
	for pages := 0; path != ""; pages++ {
		require.Less(t, pages, 5)
		var page api.Page[api.License]
		e.do(&eng, "GET", path, nil).decode(t, &page)
		for _, l := range page.Items {
			assert.False(t, seen[l.ID], "%s on two pages", l.ID)
			seen[l.ID] = true
		}
		path = ""
		if page.NextCursor != "" {
			path = "/v1/licenses?limit=2&state=pending&cursor=" + page.NextCursor
		}
	}
	assert.Equal(t, ids, seen)
	assert.Equal(t, http.StatusBadRequest, e.do(&eng, "GET", "/v1/licenses?state=lost", nil).Status)
}

func TestSetLicenseIssuerChecksConfig(t *testing.T) {
	e := newFxEnv(t)
	e.product("cadpro")
	ctx := context.Background()
	assert.ErrorContains(t, e.srv.SetLicenseIssuer(ctx, "cadpro", LicenseIssuerConfig{Kind: "manual"}), "kind")
	assert.ErrorContains(t, e.srv.SetLicenseIssuer(ctx, "cadpro", LicenseIssuerConfig{Kind: IssuerVendor, URL: "ftp://x"}), "http")
	assert.ErrorContains(t, e.srv.SetLicenseIssuer(ctx, "cadpro", LicenseIssuerConfig{Kind: IssuerBuiltin, Delay: -1}), "negative")
}

func TestPendingLicenseSurvivesRestart(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	e.product("cadpro", "t1")
	ctx := context.Background()
	require.NoError(t, e.srv.SetLicenseIssuer(ctx, "cadpro", LicenseIssuerConfig{Kind: IssuerBuiltin, Delay: time.Hour}))
	var lic api.License
	r := e.do(&eng, "POST", "/v1/licenses", fxApplication("cadpro"))
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	r.decode(t, &lic)

	// Close cuts the hour-long issue short and leaves the application pending.
	e.ts.Close()
	require.NoError(t, e.srv.Close())
	state := func() string {
		var st string
		require.NoError(t, e.db.QueryRow(`SELECT state FROM licenses WHERE id = ?`, lic.ID).Scan(&st))
		return st
	}
	require.Equal(t, api.LicensePending, state())

	require.NoError(t, e.srv.SetLicenseIssuer(ctx, "cadpro", LicenseIssuerConfig{Kind: IssuerBuiltin, Delay: time.Millisecond}))
	again, err := New(e.db, Options{DataDir: e.dir, Logger: e.srv.log})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, again.Close()) })
	require.Eventually(t, func() bool { return state() == api.LicenseIssued }, 20*time.Second, 10*time.Millisecond,
		"the restarted server issues what the first one left pending")
}
