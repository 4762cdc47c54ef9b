package client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/client/browser"
)

// fakeAuth is an OAuth2 server that checks what the real one checks (PKCE S256, state passed
// back, single-use codes, rotated refresh tokens) and serves /v1/me to valid access tokens.
type fakeAuth struct {
	ttl time.Duration // of access tokens

	mu        sync.Mutex // guards the fields that follow
	n         int
	codes     map[string]string // code → code_challenge
	access    map[string]bool
	refresh   map[string]bool
	refreshes int
	revoked   []string
	denyLogin bool
	tokenDown bool // /oauth/token answers 503
}

func newFakeAuth() *fakeAuth {
	return &fakeAuth{ttl: time.Hour, codes: map[string]string{}, access: map[string]bool{}, refresh: map[string]bool{}}
}

func (f *fakeAuth) issue() api.Token {
	f.n++
	a, r := fmt.Sprintf("access-%d", f.n), fmt.Sprintf("refresh-%d", f.n)
	f.access[a], f.refresh[r] = true, true
	return api.Token{AccessToken: a, RefreshToken: r, TokenType: "Bearer", ExpiresIn: int(f.ttl.Seconds()), TenantID: "ten_1"}
}

func (f *fakeAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method + " " + r.URL.Path {
	case "GET /oauth/authorize":
		q := r.URL.Query()
		if q.Get("client_id") != "iscdesk" || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
			len(q.Get("code_challenge")) != 43 || q.Get("state") == "" || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		back, _ := url.Parse(q.Get("redirect_uri"))
		v := url.Values{"state": {q.Get("state")}}
		if f.denyLogin {
			v.Set("error", "access_denied")
			v.Set("error_description", "the user said no")
		} else {
			f.n++
			code := fmt.Sprintf("code-%d", f.n)
			f.codes[code] = q.Get("code_challenge")
			v.Set("code", code)
			v.Set("tenant_id", "ten_1")
		}
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusSeeOther)
	case "POST /oauth/token":
		if f.tokenDown {
			writeAPIError(w, 503, "unavailable", "", "down")
			return
		}
		_ = r.ParseForm()
		switch r.PostForm.Get("grant_type") {
		case "authorization_code":
			challenge, ok := f.codes[r.PostForm.Get("code")]
			delete(f.codes, r.PostForm.Get("code"))
			sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
			if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
				writeJSON(w, 400, api.OAuthError{Error: "invalid_grant", Description: "bad code or verifier"})
				return
			}
			writeJSON(w, 200, f.issue())
		case "refresh_token":
			if !f.refresh[r.PostForm.Get("refresh_token")] {
				writeJSON(w, 400, api.OAuthError{Error: "invalid_grant", Description: "the refresh token is not valid"})
				return
			}
			delete(f.refresh, r.PostForm.Get("refresh_token"))
			f.refreshes++
			writeJSON(w, 200, f.issue())
		}
	case "POST /oauth/revoke":
		_ = r.ParseForm()
		f.revoked = append(f.revoked, r.PostForm.Get("token"))
		delete(f.refresh, r.PostForm.Get("token"))
		delete(f.access, r.PostForm.Get("token"))
		w.WriteHeader(http.StatusOK)
	case "GET /v1/me":
		if !f.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
			writeAPIError(w, 401, "token_expired", "", "the access token expired")
			return
		}
		writeJSON(w, 200, api.Me{Username: "eng", TenantID: "ten_1"})
	default:
		http.NotFound(w, r)
	}
}

// follow is a browser: it opens u and follows the redirects, to the client's loopback listener.
func follow(t *testing.T, u string) (status int, body string) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

func TestLogin(t *testing.T) {
	t.Parallel()
	fa := newFakeAuth()
	base := newServer(t, fa)
	store := newMemStore()
	clk := &clock{now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	o := fastOptions(store)
	o.Now = clk.Now
	c := New(base, o)

	var page string
	sess, err := c.Login(context.Background(), LoginOptions{OpenBrowser: func(u string) error {
		assert.True(t, strings.HasPrefix(u, base+"/oauth/authorize?"), u)
		var status int
		status, page = follow(t, u)
		assert.Equal(t, http.StatusOK, status)
		return nil
	}})
	require.NoError(t, err)
	assert.Contains(t, page, "You can close this window")
	assert.Equal(t, &Session{AccessToken: "access-2", RefreshToken: "refresh-2", Expiry: clk.now.Add(time.Hour), TenantID: "ten_1", User: "eng"}, sess)
	assert.Equal(t, sess, store.session(t, base), "the session is stored")

	me, err := c.Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "eng", me.Username)
}

func TestLoginHeadlessPrintsTheAddress(t *testing.T) {
	t.Parallel()
	base := newServer(t, newFakeAuth())
	c := New(base, fastOptions(newMemStore()))
	out := &urlWriter{t: t, done: make(chan struct{})}
	sess, err := c.Login(context.Background(), LoginOptions{
		OpenBrowser: func(string) error { return browser.ErrHeadless },
		Out:         out,
	})
	require.NoError(t, err)
	assert.Equal(t, "eng", sess.User)
	<-out.done
	assert.Contains(t, out.text.String(), "Open this address in a browser on this machine")
}

// urlWriter plays the user who copies the printed address into a browser.
type urlWriter struct {
	t    *testing.T
	text strings.Builder
	done chan struct{}
}

func (w *urlWriter) Write(p []byte) (int, error) {
	w.text.Write(p)
	for _, f := range strings.Fields(string(p)) {
		if strings.HasPrefix(f, "http://") && strings.Contains(f, "/oauth/authorize?") {
			go func() { // the test waits for it on done
				defer close(w.done)
				resp, err := http.Get(f)
				if assert.NoError(w.t, err) {
					resp.Body.Close()
				}
			}()
		}
	}
	return len(p), nil
}

func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		deny    bool
		open    func(t *testing.T, u string) error
		timeout time.Duration
		wantErr string
	}{
		{
			name: "a stale tab is turned away, then the real answer is taken",
			open: func(t *testing.T, u string) error {
				parsed, _ := url.Parse(u)
				redirect := parsed.Query().Get("redirect_uri")
				status, page := follow(t, redirect+"?code=stolen&state=old-state&tenant_id=ten_9")
				assert.Equal(t, http.StatusBadRequest, status)
				assert.Contains(t, page, "out of date")
				follow(t, u)
				return nil
			},
		},
		{
			name:    "the marketplace refuses",
			deny:    true,
			open:    func(t *testing.T, u string) error { follow(t, u); return nil },
			wantErr: "the marketplace refused the sign-in: access_denied the user said no",
		},
		{
			name:    "nobody comes back",
			open:    func(t *testing.T, u string) error { return nil },
			timeout: 200 * time.Millisecond,
			wantErr: "gave up waiting for the browser",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fa := newFakeAuth()
			fa.denyLogin = tt.deny
			base := newServer(t, fa)
			store := newMemStore()
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			sess, err := New(base, fastOptions(store)).Login(ctx, LoginOptions{OpenBrowser: func(u string) error { return tt.open(t, u) }})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Nil(t, store.session(t, base), "nothing is stored")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "ten_1", sess.TenantID)
		})
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	t.Parallel()
	fa := newFakeAuth()
	base := newServer(t, fa)
	store := newMemStore()
	clk := &clock{now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	fa.mu.Lock()
	old := fa.issue()
	fa.mu.Unlock()
	store.put(t, base, Session{AccessToken: old.AccessToken, RefreshToken: old.RefreshToken, Expiry: clk.now.Add(30 * time.Second), TenantID: "ten_1", User: "eng"})
	o := fastOptions(store)
	o.Now = clk.Now
	c := New(base, o)

	// Many calls at once: one refresh.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.Me(context.Background())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	fa.mu.Lock()
	assert.Equal(t, 1, fa.refreshes)
	fa.mu.Unlock()
	stored := store.session(t, base)
	assert.Equal(t, "access-2", stored.AccessToken)
	assert.Equal(t, "refresh-2", stored.RefreshToken, "the rotated refresh token is kept")
	assert.Equal(t, clk.now.Add(time.Hour), stored.Expiry)
	assert.Equal(t, "eng", stored.User)
}

func TestRefreshWhenTheServerRefusesTheToken(t *testing.T) {
	t.Parallel()
	fa := newFakeAuth()
	base := newServer(t, fa)
	store := newMemStore()
	fa.mu.Lock()
	tok := fa.issue()
	delete(fa.access, tok.AccessToken) // revoked or expired by the server's clock
	fa.mu.Unlock()
	store.put(t, base, Session{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(time.Hour)})

	me, err := New(base, fastOptions(store)).Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "eng", me.Username)
	assert.Equal(t, "access-2", store.session(t, base).AccessToken)
}

func TestRefreshRefusedEndsTheSession(t *testing.T) {
	t.Parallel()
	base := newServer(t, newFakeAuth())
	store := newMemStore()
	store.put(t, base, Session{AccessToken: "gone", RefreshToken: "unknown", Expiry: time.Now().Add(-time.Minute)})
	c := New(base, fastOptions(store))

	_, err := c.Me(context.Background())
	require.ErrorIs(t, err, ErrSessionEnded)
	assert.ErrorContains(t, err, "iscdesk login")
	assert.Nil(t, store.session(t, base), "the dead session is deleted")

	_, err = c.Me(context.Background())
	require.ErrorIs(t, err, ErrNotSignedIn)
}

func TestRefreshFailsButTheTokenIsStillGood(t *testing.T) {
	t.Parallel()
	fa := newFakeAuth()
	fa.tokenDown = true
	base := newServer(t, fa)
	store := newMemStore()
	fa.mu.Lock()
	tok := fa.issue()
	fa.mu.Unlock()
	store.put(t, base, Session{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(20 * time.Second)})

	me, err := New(base, fastOptions(store)).Me(context.Background())
	require.NoError(t, err, "a token with 20 s left is used while the token endpoint is down")
	assert.Equal(t, "eng", me.Username)
	assert.Equal(t, tok.AccessToken, store.session(t, base).AccessToken)
}

// TestRefreshTakesAnotherProcesssTokens: the GUI refreshed; the CLI, holding the old session in
// memory, must take the new one from the store rather than replay the rotated refresh token.
func TestRefreshTakesAnotherProcesssTokens(t *testing.T) {
	t.Parallel()
	fa := newFakeAuth()
	base := newServer(t, fa)
	store := newMemStore()
	clk := &clock{now: time.Now()}
	fa.mu.Lock()
	tok := fa.issue()
	fa.mu.Unlock()
	store.put(t, base, Session{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: clk.now.Add(2 * time.Minute)})
	o := fastOptions(store)
	o.Now = clk.Now
	gui, cli := New(base, o), New(base, o)
	_, err := cli.Me(context.Background()) // loads the session into memory
	require.NoError(t, err)

	clk.Add(90 * time.Second)
	_, err = gui.Me(context.Background())
	require.NoError(t, err)
	_, err = cli.Me(context.Background())
	require.NoError(t, err)
	fa.mu.Lock()
	defer fa.mu.Unlock()
	assert.Equal(t, 1, fa.refreshes)
}

func TestLogout(t *testing.T) {
	t.Parallel()
	fa := newFakeAuth()
	base := newServer(t, fa)
	store := newMemStore()
	store.put(t, base, Session{AccessToken: "a1", RefreshToken: "r1", Expiry: time.Now().Add(time.Hour)})
	c := New(base, fastOptions(store))

	require.NoError(t, c.Logout(context.Background()))
	assert.Nil(t, store.session(t, base))
	fa.mu.Lock()
	assert.Equal(t, []string{"r1", "a1"}, fa.revoked)
	fa.mu.Unlock()
	_, err := c.Me(context.Background())
	require.ErrorIs(t, err, ErrNotSignedIn)
	require.NoError(t, c.Logout(context.Background()), "signing out twice is fine")
}

func TestLogoutOffline(t *testing.T) {
	t.Parallel()
	srv := newServer(t, newFakeAuth())
	store := newMemStore()
	base := srv + "/nowhere" // every call 404s: the marketplace cannot revoke
	store.put(t, base, Session{AccessToken: "a1", RefreshToken: "r1"})

	err := New(base, fastOptions(store)).Logout(context.Background())
	require.ErrorContains(t, err, "signed out on this machine, but the marketplace could not revoke")
	assert.Nil(t, store.session(t, base), "the local copy is gone all the same")
}

func TestWithToken(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
		writeJSON(w, 200, api.Me{Username: "ci"})
	}))
	c := New(base, Options{Store: failingStore{t}}).WithToken("script-token")
	me, err := c.Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "ci", me.Username)
	assert.Equal(t, "Bearer script-token", <-got)
	require.ErrorContains(t, c.Logout(context.Background()), "fixed --token")
	_, err = c.Login(context.Background(), LoginOptions{})
	require.ErrorContains(t, err, "drop --token")
}

type failingStore struct{ t *testing.T }

func (s failingStore) Get(string) (string, error) { s.t.Error("the store was read"); return "", nil }
func (s failingStore) Set(string, string) error   { s.t.Error("the store was written"); return nil }
func (s failingStore) Delete(string) error        { s.t.Error("the store was written"); return nil }

func TestNotSignedIn(t *testing.T) {
	t.Parallel()
	base := newServer(t, newFakeAuth())
	_, err := New(base, fastOptions(newMemStore())).Me(context.Background())
	require.ErrorIs(t, err, ErrNotSignedIn)
	assert.ErrorContains(t, err, base)
	assert.ErrorContains(t, err, "iscdesk login")
}
