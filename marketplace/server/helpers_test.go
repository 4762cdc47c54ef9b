package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/stretchr/testify/require"
)

// testIterations keeps PBKDF2 cheap in tests; production uses DefaultPasswordIterations.
const testIterations = 1000

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a seeded marketplace on a temp SQLite file behind a real HTTP server on 127.0.0.1:0.
type env struct {
	t     *testing.T
	srv   *Server
	db    *DB
	ts    *httptest.Server
	clock *clock
	dir   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(dir, "market.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	seeded, err := Seed(ctx, db, SeedOptions{DataDir: dir, Examples: "../../packaging/examples",
		PasswordIterations: testIterations, Now: clk.Now(), Logger: logger})
	require.NoError(t, err)
	require.True(t, seeded)
	e := &env{t: t, db: db, clock: clk, dir: dir}
	e.ts = httptest.NewUnstartedServer(nil)
	e.srv, err = New(db, Options{DataDir: dir, BaseURL: "http://" + e.ts.Listener.Addr().String(), Now: clk.Now,
		Logger: logger, Heartbeat: 50 * time.Millisecond})
	require.NoError(t, err)
	e.ts.Config.Handler = e.srv
	e.ts.Start()
	t.Cleanup(func() {
		e.srv.Close() // ends SSE streams first, so that ts.Close does not wait on them
		e.ts.Close()
	})
	return e
}

// addTenant creates another tenant with one user of role, password "pw".
func (e *env) addTenant(name, username, role string) (tenantID, userID string) {
	e.t.Helper()
	hash, err := HashPassword("pw", testIterations)
	require.NoError(e.t, err)
	tenantID, userID = newID("tnt"), newID("usr")
	_, err = e.db.Exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)`, tenantID, name, ms(e.clock.Now()))
	require.NoError(e.t, err)
	_, err = e.db.Exec(`INSERT INTO users (id, tenant_id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		userID, tenantID, username, username, role, hash, ms(e.clock.Now()))
	require.NoError(e.t, err)
	return tenantID, userID
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = randomToken(48)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// authResult is what the loopback listener received.
type authResult struct {
	query       url.Values
	redirectURI string
	verifier    string
}

// browserLogin drives the login like a browser: GET the form, POST it with its CSRF token and
// cookie, follow the redirect to a loopback listener, and return what that listener received.
func (e *env) browserLogin(username, password string) authResult {
	e.t.Helper()
	got := make(chan url.Values, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Query()
		_, _ = io.WriteString(w, "signed in; you may close this window")
	}))
	defer cb.Close()
	redirect := cb.URL + "/callback"
	verifier, challenge := pkce()
	jar, err := cookiejar.New(nil)
	require.NoError(e.t, err)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}

	q := url.Values{"response_type": {"code"}, "client_id": {api.ClientID}, "redirect_uri": {redirect},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"st-123"}}
	resp, err := browser.Get(e.ts.URL + "/oauth/authorize?" + q.Encode())
	require.NoError(e.t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(page))
	m := csrfField.FindStringSubmatch(string(page))
	require.NotNil(e.t, m, "the login form has no CSRF token")

	form := url.Values{"csrf_token": {m[1]}, "client_id": {api.ClientID}, "redirect_uri": {redirect}, "state": {"st-123"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "username": {username}, "password": {password}}
	resp, err = browser.PostForm(e.ts.URL+"/oauth/authorize", form)
	require.NoError(e.t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(body))
	select {
	case v := <-got:
		return authResult{query: v, redirectURI: redirect, verifier: verifier}
	default:
		e.t.Fatalf("login did not redirect to the loopback listener; page: %s", body)
		return authResult{}
	}
}

// exchange posts the code to /oauth/token.
func (e *env) exchange(a authResult) *http.Response {
	e.t.Helper()
	return e.postForm("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {api.ClientID},
		"code": {a.query.Get("code")}, "redirect_uri": {a.redirectURI}, "code_verifier": {a.verifier}})
}

func (e *env) postForm(path string, v url.Values) *http.Response {
	e.t.Helper()
	resp, err := http.PostForm(e.ts.URL+path, v)
	require.NoError(e.t, err)
	return resp
}

// login returns an access token for username.
func (e *env) login(username, password string) api.Token {
	e.t.Helper()
	resp := e.exchange(e.browserLogin(username, password))
	var tok api.Token
	decode(e.t, resp, http.StatusOK, &tok)
	return tok
}

// do sends a request with an optional bearer token and JSON body.
func (e *env) do(method, path, token string, body any, headers ...string) *http.Response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = strings.NewReader(string(data))
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	return resp
}

// decode checks the status and decodes the JSON body into v (when v is not nil).
func decode(t *testing.T, resp *http.Response, status int, v any) {
	t.Helper()
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, status, resp.StatusCode, "body: %s", data)
	if v != nil {
		require.NoError(t, json.Unmarshal(data, v), "body: %s", data)
	}
}

// apiError decodes an api.Error response with the given status.
func apiError(t *testing.T, resp *http.Response, status int) api.Error {
	t.Helper()
	var e api.Error
	decode(t, resp, status, &e)
	return e
}
