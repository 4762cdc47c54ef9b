package server

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postLogin posts the login form as a browser that holds the CSRF cookie would, without
// following the redirect, and returns the status, the page and the Retry-After header.
func (e *env) postLogin(user, password string) (status int, page, retryAfter string) {
	e.t.Helper()
	_, challenge := pkce()
	v := url.Values{"csrf_token": {"tok"}, "client_id": {api.ClientID}, "redirect_uri": {"http://127.0.0.1:45678/cb"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "username": {user}, "password": {password}}
	req, err := http.NewRequest("POST", e.ts.URL+"/oauth/authorize", strings.NewReader(v.Encode()))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: "tok"})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header.Get("Retry-After")
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	type attempt struct {
		advance  time.Duration // clock step before the attempt
		user, pw string
		status   int
		text     string // on the page
	}
	wrong := func(user string) attempt {
		return attempt{user: user, pw: "wrong", status: http.StatusUnauthorized, text: "Wrong username or password"}
	}
	good := attempt{user: DemoEngineer, pw: DemoPassword, status: http.StatusSeeOther}
	refused := func(user, minutes string) attempt {
		return attempt{user: user, pw: DemoPassword, status: http.StatusTooManyRequests,
			text: "too many failed sign-ins for " + user + "; try again in " + minutes}
	}
	cases := []struct {
		name     string
		attempts []attempt
	}{
		{"five wrong passwords lock the user for the window", []attempt{
			wrong(DemoEngineer), wrong(DemoEngineer), wrong(DemoEngineer), wrong(DemoEngineer), wrong(DemoEngineer),
			refused(DemoEngineer, "15 minutes"),
			{advance: 10 * time.Minute, user: DemoEngineer, pw: DemoPassword, status: http.StatusTooManyRequests, text: "try again in 5 minutes"},
			{advance: 5*time.Minute - time.Second, user: DemoEngineer, pw: DemoPassword, status: http.StatusTooManyRequests, text: "try again in 1 minute"},
			{advance: time.Second, user: DemoEngineer, pw: DemoPassword, status: http.StatusSeeOther},
		}},
		{"another user is not affected", []attempt{
			wrong(DemoEngineer), wrong(DemoEngineer), wrong(DemoEngineer), wrong(DemoEngineer), wrong(DemoEngineer),
			refused(DemoEngineer, "15 minutes"),
			{user: DemoAdmin, pw: DemoPassword, status: http.StatusSeeOther},
		}},
		{"a success does not count", []attempt{
			// Three successes among five failures: the limit is reached at the fifth failure, not before.
			wrong(DemoEngineer), wrong(DemoEngineer), good, wrong(DemoEngineer), good, wrong(DemoEngineer), good,
			wrong(DemoEngineer), refused(DemoEngineer, "15 minutes"),
		}},
		{"failures older than the window are forgotten", []attempt{
			wrong(DemoEngineer), wrong(DemoEngineer), wrong(DemoEngineer), wrong(DemoEngineer),
			{advance: SignInWindow, user: DemoEngineer, pw: "wrong", status: http.StatusUnauthorized, text: "Wrong username or password"},
			good,
		}},
		{"an unknown username is limited too", []attempt{
			wrong("nobody"), wrong("nobody"), wrong("nobody"), wrong("nobody"), wrong("nobody"),
			refused("nobody", "15 minutes"),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t) // a fresh server: the counters are per server
			for i, a := range tc.attempts {
				e.clock.Advance(a.advance)
				status, page, retry := e.postLogin(a.user, a.pw)
				require.Equal(t, a.status, status, "attempt %d (%s): %s", i+1, a.user, page)
				assert.Contains(t, page, a.text, "attempt %d", i+1)
				if status == http.StatusTooManyRequests {
					secs, err := strconv.Atoi(retry)
					require.NoError(t, err, "Retry-After %q", retry)
					assert.Positive(t, secs)
					assert.LessOrEqual(t, secs, int(SignInWindow.Seconds()))
				}
			}
		})
	}
}

func TestLoginRateLimitPerRemote(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Four wrong passwords for each of five users: no user reaches its own limit, the address does.
	for i := range MaxFailuresPerRemote {
		status, page, _ := e.postLogin("user"+strconv.Itoa(i/(MaxFailuresPerUser-1)), "wrong")
		require.Equal(t, http.StatusUnauthorized, status, "attempt %d: %s", i+1, page)
	}
	status, page, _ := e.postLogin(DemoAdmin, DemoPassword)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Contains(t, page, "too many failed sign-ins from 127.0.0.1; try again in 15 minutes")

	// The token endpoint answers the same address with 429 as well.
	var oe api.OAuthError
	resp := e.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {api.ClientID}, "refresh_token": {"x"}})
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	decode(t, resp, http.StatusTooManyRequests, &oe)
	assert.Equal(t, "slow_down", oe.Error)

	e.clock.Advance(SignInWindow)
	status, page, _ = e.postLogin(DemoAdmin, DemoPassword)
	assert.Equal(t, http.StatusSeeOther, status, page)
}

func TestTokenEndpointCountsBadGrants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bad := url.Values{"grant_type": {"refresh_token"}, "client_id": {api.ClientID}, "refresh_token": {"guess"}}
	for i := range MaxFailuresPerRemote {
		var oe api.OAuthError
		decode(t, e.postForm("/oauth/token", bad), http.StatusBadRequest, &oe)
		require.Equal(t, "invalid_grant", oe.Error, "attempt %d", i+1)
	}
	var oe api.OAuthError
	decode(t, e.postForm("/oauth/token", bad), http.StatusTooManyRequests, &oe)
	assert.Contains(t, oe.Description, "too many failed sign-ins from 127.0.0.1")
}

func TestFailureCounterBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := newFailureCounter(2, time.Minute, 3)
	for i, k := range []string{"a", "b", "c", "d"} {
		c.fail(k, now.Add(time.Duration(i)*time.Second))
	}
	assert.Len(t, c.entries, 3)
	assert.NotContains(t, c.entries, "a", "the oldest key makes room")
	c.fail("d", now.Add(5*time.Second))
	_, refused := c.refused("d", now.Add(6*time.Second))
	assert.True(t, refused)
	// Once expired keys exist, they go first.
	later := now.Add(time.Minute + 1500*time.Millisecond) // b has expired, c and d have not
	c.fail("e", later)
	assert.ElementsMatch(t, []string{"c", "d", "e"}, keys(c.entries))
}

func keys(m map[string]failures) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
