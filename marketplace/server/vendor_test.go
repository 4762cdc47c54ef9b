package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildPackage builds a small package with id and version into memory.
func buildPackage(t *testing.T, id, version string) []byte {
	t.Helper()
	dir := t.TempDir()
	yaml := "format: 1\nid: " + id + "\nname: Test " + id + "\nversion: " + version + "\npublisher: Test\nplatforms:\n" +
		"  linux:\n    installer:\n      type: script\n      install: [\"sh\", \"install.sh\"]\n      uninstall: [\"sh\", \"install.sh\"]\n" +
		"    on_interrupt: overwrite\n    detect:\n      - file: \"{{.InstallDir}}/app\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.yaml"), []byte(yaml), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "install.sh"), []byte("exit 0\n"), 0o755))
	var buf bytes.Buffer
	_, err := pkgfile.Build(context.Background(), dir, &buf, pkgfile.BuildOptions{})
	require.NoError(t, err)
	return buf.Bytes()
}

// signedUpload builds the vendor request for body; edit may change it after signing.
func (e *env) signedUpload(creds VendorCredentials, body []byte, date time.Time, edit func(r *http.Request)) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.ts.URL+"/v1/vendor/releases", bytes.NewReader(body))
	require.NoError(e.t, err)
	sum := sha256.Sum256(body)
	d := date.UTC().Format(api.VendorDateFormat)
	req.Header.Set(api.VendorDateHeader, d)
	req.Header.Set(api.VendorBodyHeader, hex.EncodeToString(sum[:]))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", api.VendorAuthorization(creds.AccessKey,
		api.VendorSignature(creds.Secret, "POST", "/v1/vendor/releases", d, hex.EncodeToString(sum[:]))))
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	return resp
}

func TestVendorPublish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data, err := os.ReadFile(filepath.Join(e.dir, "vendor.json"))
	require.NoError(t, err)
	var creds VendorCredentials
	require.NoError(t, json.Unmarshal(data, &creds))
	st, err := os.Stat(filepath.Join(e.dir, "vendor.json"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	pkg := buildPackage(t, "flow-meter", "1.0.0")
	now := e.clock.Now()

	var out api.PublishedRelease
	decode(t, e.signedUpload(creds, pkg, now, nil), http.StatusCreated, &out)
	assert.Equal(t, "flow-meter", out.Product)
	require.Len(t, out.Releases, 1)
	sum := sha256.Sum256(pkg)
	assert.Equal(t, hex.EncodeToString(sum[:]), out.Releases[0].SHA256)
	assert.Equal(t, int64(len(pkg)), out.Releases[0].Size)
	served, err := os.ReadFile(filepath.Join(e.dir, "packages", "flow-meter-1.0.0.iscpkg"))
	require.NoError(t, err)
	assert.Equal(t, pkg, served)

	tok := e.login(DemoEngineer, DemoPassword).AccessToken
	var p api.Product
	decode(t, e.do("GET", "/v1/products/flow-meter", tok, nil), http.StatusOK, &p)
	assert.Equal(t, "1.0.0", p.Releases[0].Version)

	// Another vendor may not publish into this product.
	_, err = e.db.Exec(`INSERT INTO vendors (id, name, access_key, secret, created_at) VALUES ('vnd_b', 'B', 'AKB', 'secret-b', 0)`)
	require.NoError(t, err)

	cases := []struct {
		name   string
		creds  VendorCredentials
		body   []byte
		date   time.Time
		edit   func(r *http.Request)
		status int
		code   string
	}{
		{"same release again", creds, pkg, now, nil, http.StatusConflict, "release_exists"},
		{"new version", creds, buildPackage(t, "flow-meter", "1.1.0"), now, nil, http.StatusCreated, ""},
		{"other vendor's product", VendorCredentials{"AKB", "secret-b"}, buildPackage(t, "flow-meter", "2.0.0"), now, nil, http.StatusForbidden, "forbidden"},
		{"wrong secret", VendorCredentials{creds.AccessKey, "nope"}, pkg, now, nil, http.StatusUnauthorized, "unauthorized"},
		{"unknown key", VendorCredentials{"AKX", creds.Secret}, pkg, now, nil, http.StatusUnauthorized, "unauthorized"},
		{"old date", creds, pkg, now.Add(-10 * time.Minute), nil, http.StatusUnauthorized, "unauthorized"},
		{"no signature", creds, pkg, now, func(r *http.Request) { r.Header.Del("Authorization") }, http.StatusUnauthorized, "unauthorized"},
		{"body changed after signing", creds, pkg, now, func(r *http.Request) {
			other := buildPackage(t, "flow-meter", "9.0.0")
			r.Body, r.ContentLength = ioNop(other), int64(len(other))
		}, http.StatusUnauthorized, "unauthorized"},
		{"not a package", creds, []byte("hello"), now, nil, http.StatusBadRequest, "invalid_field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.signedUpload(tc.creds, tc.body, tc.date, tc.edit)
			if tc.code == "" {
				decode(t, resp, tc.status, nil)
				return
			}
			er := apiError(t, resp, tc.status)
			assert.Equal(t, tc.code, er.Code, er.Message)
		})
	}
	leftovers, err := filepath.Glob(filepath.Join(e.dir, "packages", ".upload-*"))
	require.NoError(t, err)
	assert.Empty(t, leftovers, "uploads leave no temp files")
}

func ioNop(b []byte) *readCloser { return &readCloser{strings.NewReader(string(b))} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
