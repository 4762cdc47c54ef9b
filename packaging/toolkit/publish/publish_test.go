package publish

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/server"
)

// buildSolver builds packaging/examples/solver into a temp .iscpkg.
func buildSolver(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "demo-solver-2.1.0.iscpkg")
	_, err := pkgfile.BuildFile(context.Background(), filepath.Join("..", "..", "examples", "solver"), out, pkgfile.BuildOptions{})
	require.NoError(t, err)
	return out
}

// market starts the embedded marketplace, seeded without example products, on 127.0.0.1:0 and
// returns its URL and the demo vendor's credentials.
func market(t *testing.T) (string, Credentials) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := server.Open(ctx, filepath.Join(dir, "market.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err = server.Seed(ctx, db, server.SeedOptions{DataDir: dir, Examples: filepath.Join(dir, "none"), PasswordIterations: 1000, Logger: logger})
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(nil)
	srv, err := server.New(db, server.Options{DataDir: dir, BaseURL: "http://" + ts.Listener.Addr().String(), Logger: logger})
	require.NoError(t, err)
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	creds, err := ReadCredentials(filepath.Join(dir, "vendor.json"))
	require.NoError(t, err)
	return ts.URL, creds
}

func TestPublishToTheEmbeddedMarketplace(t *testing.T) {
	pkg := buildSolver(t)
	url, creds := market(t)
	o := Options{Market: url, AccessKey: creds.AccessKey, Secret: creds.Secret}

	rel, err := Publish(context.Background(), pkg, o)
	require.NoError(t, err)
	assert.Equal(t, "demo-solver", rel.Product)
	assert.Equal(t, "2.1.0", rel.Version)
	require.Len(t, rel.Releases, 2) // linux and darwin
	assert.Equal(t, "darwin", rel.Releases[0].Platform)

	// The marketplace serves the very bytes that were uploaded.
	resp, err := http.Get(rel.Releases[0].URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	want, err := os.ReadFile(pkg)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	_, err = Publish(context.Background(), pkg, o)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, http.StatusConflict, pe.Status)
	assert.Contains(t, err.Error(), "raise version in package.yaml")

	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"wrong secret", Options{Market: url, AccessKey: creds.AccessKey, Secret: "nope"}, "signature does not match"},
		{"unknown key", Options{Market: url, AccessKey: "AK-nobody", Secret: "x"}, "unknown access key"},
		{"clock off", Options{Market: url, AccessKey: creds.AccessKey, Secret: creds.Secret,
			Now: func() time.Time { return time.Now().Add(time.Hour) }}, "check the clock"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Publish(context.Background(), pkg, tc.o)
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, http.StatusUnauthorized, pe.Status)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "check --access-key and --secret")
		})
	}
}

// The request carries the documented signature over exactly the bytes sent.
func TestPublishSignsTheRequest(t *testing.T) {
	pkg := buildSolver(t)
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	var seen *http.Request
	var body []byte
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(api.PublishedRelease{Product: "demo-solver", Version: "2.1.0"})
	}))
	defer ts.Close()

	_, err := Publish(context.Background(), pkg, Options{Market: ts.URL + "/", AccessKey: "AK1", Secret: "s3cr3t", Now: func() time.Time { return at }})
	require.NoError(t, err)
	require.NotNil(t, seen)
	assert.Equal(t, ReleasesPath, seen.URL.Path)
	assert.Equal(t, "20260102T150405Z", seen.Header.Get(api.VendorDateHeader))
	sum := seen.Header.Get(api.VendorBodyHeader)
	info, err := os.ReadFile(pkg)
	require.NoError(t, err)
	assert.Equal(t, info, body)
	assert.Equal(t, api.VendorAuthorization("AK1", api.VendorSignature("s3cr3t", "POST", ReleasesPath, "20260102T150405Z", sum)),
		seen.Header.Get("Authorization"))
}

func TestPublishRefusesBadInput(t *testing.T) {
	pkg := buildSolver(t)
	notPkg := filepath.Join(t.TempDir(), "x.iscpkg")
	require.NoError(t, os.WriteFile(notPkg, []byte("not a package"), 0o644))
	good := Options{Market: "http://127.0.0.1:1", AccessKey: "a", Secret: "b"}
	tests := []struct {
		name, path string
		o          Options
		want       string
	}{
		{"no secret", pkg, Options{Market: good.Market, AccessKey: "a"}, "access key and secret are both needed"},
		{"bad URL", pkg, Options{Market: "127.0.0.1:8780", AccessKey: "a", Secret: "b"}, "is not a marketplace URL"},
		{"missing file", filepath.Join(t.TempDir(), "none.iscpkg"), good, "no such file"},
		{"not a package", notPkg, good, "publish the file that `iscdesk-pack build` wrote"},
		{"nobody listening", pkg, good, "is the marketplace running"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Publish(context.Background(), tc.path, tc.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestReadCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	c, err := ReadCredentials(write("ok.json", `{"access_key":"AK","secret":"S"}`))
	require.NoError(t, err)
	assert.Equal(t, Credentials{AccessKey: "AK", Secret: "S"}, c)
	_, err = ReadCredentials(write("half.json", `{"access_key":"AK"}`))
	assert.ErrorContains(t, err, "must both be set")
	_, err = ReadCredentials(write("bad.json", `access_key: AK`))
	assert.True(t, err != nil && strings.Contains(err.Error(), "must be JSON"))
}
