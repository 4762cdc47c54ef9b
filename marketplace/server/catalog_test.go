package server

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/installer/ticket"
	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEntitlementsPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(DemoEngineer, DemoPassword).AccessToken

	var all api.Page[api.Entitlement]
	decode(t, e.do("GET", "/v1/entitlements", tok, nil), http.StatusOK, &all)
	require.NotEmpty(t, all.Items, "the demo tenant owns the example products")
	assert.Empty(t, all.NextCursor)

	var paged []api.Entitlement
	next := ""
	for range len(all.Items) + 1 {
		var p api.Page[api.Entitlement]
		decode(t, e.do("GET", "/v1/entitlements?limit=2&cursor="+next, tok, nil), http.StatusOK, &p)
		assert.LessOrEqual(t, len(p.Items), 2)
		paged = append(paged, p.Items...)
		if next = p.NextCursor; next == "" {
			break
		}
	}
	assert.Equal(t, all.Items, paged)

	for _, tc := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=501", "limit"}, {"limit=x", "limit"}, {"cursor=%21%21", "cursor"},
	} {
		assert.Equal(t, tc.field, apiError(t, e.do("GET", "/v1/entitlements?"+tc.query, tok, nil), http.StatusBadRequest).Field, tc.query)
	}
}

func TestEntitlementsLatestRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(DemoEngineer, DemoPassword)
	// 1.10.0 is newer than 1.9.0: versions compare as versions, not as text.
	exec := func(q string, args ...any) {
		_, err := e.db.Exec(q, args...)
		require.NoError(t, err)
	}
	for _, id := range []string{"zz-cad", "zz-norelease"} {
		exec(`INSERT INTO products (id, name, publisher, created_at) VALUES (?, ?, 'Test', 0)`, id, id)
		exec(`INSERT INTO entitlements (id, tenant_id, product_id, granted_at) VALUES (?, ?, ?, 0)`, "ent_"+id, tok.TenantID, id)
	}
	for _, rel := range [][2]string{{"1.9.0", "linux"}, {"1.10.0", "linux/amd64"}, {"1.10.0", "windows"}, {"2.0.0", "darwin/arm64"}, {"1.10.0", "darwin/amd64"}} {
		exec(`INSERT INTO releases (id, product_id, version, platform, file, size, sha256, manifest_sha256, created_at)
VALUES (?, 'zz-cad', ?, ?, 'f', 1, 'x', 'x', 0)`, newID("rel"), rel[0], rel[1])
	}
	cases := []struct {
		query string
		want  *api.LatestRelease // of zz-cad
	}{
		{"", &api.LatestRelease{Version: "2.0.0", Platforms: []string{"darwin/arm64"}}},
		{"?platform=linux/amd64", &api.LatestRelease{Version: "1.10.0", Platforms: []string{"linux/amd64"}}},
		{"?platform=linux/arm64", &api.LatestRelease{Version: "1.9.0", Platforms: []string{"linux"}}},
		{"?platform=linux", &api.LatestRelease{Version: "1.9.0", Platforms: []string{"linux"}}},
		{"?platform=windows/arm64", &api.LatestRelease{Version: "1.10.0", Platforms: []string{"windows"}}},
		{"?platform=darwin/amd64", &api.LatestRelease{Version: "1.10.0", Platforms: []string{"darwin/amd64"}}},
	}
	for _, tc := range cases {
		t.Run("platform "+tc.query, func(t *testing.T) {
			var all api.Page[api.Entitlement]
			decode(t, e.do("GET", "/v1/entitlements"+tc.query, tok.AccessToken, nil), http.StatusOK, &all)
			byProduct := map[string]api.Entitlement{}
			for _, ent := range all.Items {
				byProduct[ent.Product] = ent
			}
			require.Contains(t, byProduct, "zz-cad")
			assert.Equal(t, tc.want, byProduct["zz-cad"].Latest)
			require.Contains(t, byProduct, "zz-norelease")
			assert.Nil(t, byProduct["zz-norelease"].Latest)

			// Pages of one hold the same entitlements: the join does not eat into the limit.
			var paged []api.Entitlement
			sep, next := "?", ""
			if tc.query != "" {
				sep = "&"
			}
			for range len(all.Items) + 1 {
				var p api.Page[api.Entitlement]
				decode(t, e.do("GET", "/v1/entitlements"+tc.query+sep+"limit=1&cursor="+next, tok.AccessToken, nil), http.StatusOK, &p)
				require.LessOrEqual(t, len(p.Items), 1)
				paged = append(paged, p.Items...)
				if next = p.NextCursor; next == "" {
					break
				}
			}
			assert.Equal(t, all.Items, paged)
		})
	}
	t.Run("the demo products carry their version", func(t *testing.T) {
		var all api.Page[api.Entitlement]
		decode(t, e.do("GET", "/v1/entitlements?platform=linux/amd64", tok.AccessToken, nil), http.StatusOK, &all)
		withRelease := 0
		for _, ent := range all.Items {
			if ent.Product == "zz-norelease" || ent.Product == "zz-cad" {
				continue
			}
			var p api.Product
			decode(t, e.do("GET", "/v1/products/"+ent.Product, tok.AccessToken, nil), http.StatusOK, &p)
			var want *api.LatestRelease
			for _, rel := range p.Releases { // newest first
				if platformMatches(rel.Platform, "linux/amd64") && (want == nil || rel.Version == want.Version) {
					if want == nil {
						want = &api.LatestRelease{Version: rel.Version}
					}
					want.Platforms = append(want.Platforms, rel.Platform)
				}
			}
			assert.Equal(t, want, ent.Latest, ent.Product)
			if want != nil {
				withRelease++
			}
		}
		assert.Positive(t, withRelease, "the demo products have linux releases")
	})
	t.Run("bad platform", func(t *testing.T) {
		assert.Equal(t, "platform", apiError(t, e.do("GET", "/v1/entitlements?platform=beos", tok.AccessToken, nil), http.StatusBadRequest).Field)
	})
}

func TestTickets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(DemoEngineer, DemoPassword).AccessToken
	var ents api.Page[api.Entitlement]
	decode(t, e.do("GET", "/v1/entitlements", tok, nil), http.StatusOK, &ents)
	require.NotEmpty(t, ents.Items)
	product := ents.Items[0].Product

	// A product that exists but the tenant does not own.
	_, err := e.db.Exec(`INSERT INTO products (id, name, publisher, created_at) VALUES ('not-owned', 'Not owned', 'X', 0)`)
	require.NoError(t, err)

	t.Run("good", func(t *testing.T) {
		var tr api.TicketResponse
		decode(t, e.do("POST", "/v1/tickets", tok, api.TicketRequest{Product: product, Platform: "linux/amd64"}), http.StatusCreated, &tr)
		kr := ticket.NewKeyring(e.srv.PublicKey())
		tk, err := kr.Verify(tr.Ticket, e.clock.Now())
		require.NoError(t, err)
		assert.Equal(t, product, tk.Product)
		assert.Equal(t, tr.Version, tk.Version)
		assert.Equal(t, ents.Items[0].OrderID, tk.Order)
		assert.WithinDuration(t, e.clock.Now().Add(24*time.Hour), tk.ExpiresAt, time.Second)

		// The ticket names the package the server serves, byte for byte.
		resp, err := http.Get(tk.URLs[0])
		require.NoError(t, err)
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		require.NoError(t, tk.MatchPackage(int64(len(data)), hex.EncodeToString(sum[:]), tk.ManifestSHA256))
	})

	cases := []struct {
		name   string
		body   any
		status int
		field  string
		code   string
	}{
		{"not entitled", api.TicketRequest{Product: "not-owned", Platform: "linux"}, http.StatusForbidden, "product", "not_entitled"},
		{"unknown product", api.TicketRequest{Product: "nope", Platform: "linux"}, http.StatusForbidden, "product", "not_entitled"},
		{"no product", api.TicketRequest{Platform: "linux"}, http.StatusBadRequest, "product", "invalid_field"},
		{"bad platform", api.TicketRequest{Product: product, Platform: "beos"}, http.StatusBadRequest, "platform", "invalid_field"},
		{"bad version", api.TicketRequest{Product: product, Version: "latest!", Platform: "linux"}, http.StatusBadRequest, "version", "invalid_field"},
		{"no such version", api.TicketRequest{Product: product, Version: "99.0.0", Platform: "linux"}, http.StatusNotFound, "version", "no_release"},
		{"unknown field", `{"product":"x","platform":"linux","extra":1}`, http.StatusBadRequest, "extra", "invalid_field"},
		{"wrong type", `{"product":5,"platform":"linux"}`, http.StatusBadRequest, "product", "invalid_field"},
		{"not JSON", `{"product":`, http.StatusBadRequest, "", "invalid_field"},
		{"two values", `{"product":"x","platform":"linux"}{}`, http.StatusBadRequest, "", "invalid_field"},
		{"too large", `{"product":"` + string(make([]byte, 2<<20)) + `"}`, http.StatusBadRequest, "", "invalid_field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			er := apiError(t, e.do("POST", "/v1/tickets", tok, tc.body), tc.status)
			assert.Equal(t, tc.field, er.Field, er.Message)
			assert.Equal(t, tc.code, er.Code)
			assert.NotEmpty(t, er.Message)
		})
	}
	t.Run("unauthenticated", func(t *testing.T) {
		apiError(t, e.do("POST", "/v1/tickets", "", api.TicketRequest{Product: product, Platform: "linux"}), http.StatusUnauthorized)
	})
}

func TestKeysProductsAndPackages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var keys api.Keys
	decode(t, e.do("GET", "/v1/keys", "", nil), http.StatusOK, &keys)
	require.Len(t, keys.Keys, 1)
	pub, err := ticket.ParsePublicKey([]byte(keys.Keys[0].Line))
	require.NoError(t, err)
	assert.Equal(t, e.srv.PublicKey().ID, pub.ID)

	// The key survives a restart: it is read back from the data folder.
	again, err := LoadOrCreateKey(e.dir)
	require.NoError(t, err)
	assert.Equal(t, pub.ID, again.ID())

	tok := e.login(DemoEngineer, DemoPassword).AccessToken
	var p api.Product
	decode(t, e.do("GET", "/v1/products/cad-viewer", tok, nil), http.StatusOK, &p)
	require.NotEmpty(t, p.Releases)
	apiError(t, e.do("GET", "/v1/products/nope", tok, nil), http.StatusNotFound)

	file := filepath.Base(p.Releases[0].URL)
	whole, err := os.ReadFile(filepath.Join(e.dir, "packages", file))
	require.NoError(t, err)
	req, err := http.NewRequest("GET", e.ts.URL+"/packages/"+file, nil)
	require.NoError(t, err)
	req.Header.Set("Range", "bytes=10-")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	part, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
	assert.Equal(t, whole[10:], part)

	for _, name := range []string{"missing.iscpkg", "..%2Fmarket.db", "ticket.key"} {
		apiError(t, e.do("GET", "/packages/"+name, "", nil), http.StatusNotFound)
	}
}
