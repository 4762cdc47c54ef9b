package server

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoginFlowAndCodeReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.browserLogin(DemoEngineer, DemoPassword)
	assert.Equal(t, "st-123", a.query.Get("state"))
	require.NotEmpty(t, a.query.Get("code"))

	var tok api.Token
	decode(t, e.exchange(a), http.StatusOK, &tok)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, 3600, tok.ExpiresIn)
	assert.Equal(t, a.query.Get("tenant_id"), tok.TenantID)

	var me api.Me
	decode(t, e.do("GET", "/v1/me", tok.AccessToken, nil), http.StatusOK, &me)
	assert.Equal(t, DemoEngineer, me.Username)
	assert.Equal(t, api.RoleEngineer, me.Role)
	assert.Equal(t, DemoTenant, me.TenantName)
	assert.Equal(t, tok.TenantID, me.TenantID)

	// The code is single-use; a replay fails and revokes what the first exchange issued.
	var oe api.OAuthError
	decode(t, e.exchange(a), http.StatusBadRequest, &oe)
	assert.Equal(t, "invalid_grant", oe.Error)
	assert.Equal(t, "unauthorized", apiError(t, e.do("GET", "/v1/me", tok.AccessToken, nil), http.StatusUnauthorized).Code)
}

func TestTokenExchangeErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name  string
		edit  func(v url.Values)
		setup func()
		code  string
	}{
		{name: "PKCE verifier mismatch", edit: func(v url.Values) { v.Set("code_verifier", strings.Repeat("a", 43)) }, code: "invalid_grant"},
		{name: "redirect_uri differs", edit: func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:1/other") }, code: "invalid_grant"},
		{name: "unknown code", edit: func(v url.Values) { v.Set("code", "nope") }, code: "invalid_grant"},
		{name: "short verifier", edit: func(v url.Values) { v.Set("code_verifier", "abc") }, code: "invalid_request"},
		{name: "grant type", edit: func(v url.Values) { v.Set("grant_type", "password") }, code: "unsupported_grant_type"},
		{name: "expired code", setup: func() { e.clock.Advance(CodeTTL + time.Second) }, code: "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.browserLogin(DemoEngineer, DemoPassword)
			v := url.Values{"grant_type": {"authorization_code"}, "client_id": {api.ClientID},
				"code": {a.query.Get("code")}, "redirect_uri": {a.redirectURI}, "code_verifier": {a.verifier}}
			if tc.edit != nil {
				tc.edit(v)
			}
			if tc.setup != nil {
				tc.setup()
			}
			var oe api.OAuthError
			decode(t, e.postForm("/oauth/token", v), http.StatusBadRequest, &oe)
			assert.Equal(t, tc.code, oe.Error, oe.Description)
		})
	}
	t.Run("unknown client", func(t *testing.T) {
		var oe api.OAuthError
		decode(t, e.postForm("/oauth/token", url.Values{"client_id": {"other"}}), http.StatusUnauthorized, &oe)
		assert.Equal(t, "invalid_client", oe.Error)
	})
	t.Run("a failed verifier spends the code", func(t *testing.T) {
		a := e.browserLogin(DemoEngineer, DemoPassword)
		good := a.verifier
		a.verifier = strings.Repeat("b", 43)
		decode(t, e.exchange(a), http.StatusBadRequest, nil)
		a.verifier = good
		var oe api.OAuthError
		decode(t, e.exchange(a), http.StatusBadRequest, &oe)
		assert.Equal(t, "invalid_grant", oe.Error)
	})
}

func TestAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, challenge := pkce()
	good := func() url.Values {
		return url.Values{"response_type": {"code"}, "client_id": {api.ClientID}, "redirect_uri": {"http://127.0.0.1:45678/cb"},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"s"}}
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := []struct {
		name     string
		edit     func(v url.Values)
		status   int
		location string // prefix of the redirect, for errors sent back to the client
		page     string // text of the error page
	}{
		{name: "form", edit: func(url.Values) {}, status: http.StatusOK, page: "csrf_token"},
		{name: "localhost redirect", edit: func(v url.Values) { v.Set("redirect_uri", "http://localhost:8123/x") }, status: http.StatusOK, page: "csrf_token"},
		{name: "https redirect is not loopback", edit: func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, status: http.StatusBadRequest, page: "loopback"},
		{name: "loopback without port", edit: func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1/cb") }, status: http.StatusBadRequest, page: "loopback"},
		{name: "other host on a port", edit: func(v url.Values) { v.Set("redirect_uri", "http://10.0.0.1:80/cb") }, status: http.StatusBadRequest, page: "loopback"},
		{name: "unknown client", edit: func(v url.Values) { v.Set("client_id", "other") }, status: http.StatusBadRequest, page: "client_id"},
		{name: "plain PKCE", edit: func(v url.Values) { v.Set("code_challenge_method", "plain") }, status: http.StatusSeeOther, location: "http://127.0.0.1:45678/cb?error=invalid_request"},
		{name: "no challenge", edit: func(v url.Values) { v.Del("code_challenge") }, status: http.StatusSeeOther, location: "http://127.0.0.1:45678/cb?error=invalid_request"},
		{name: "response type", edit: func(v url.Values) { v.Set("response_type", "token") }, status: http.StatusSeeOther, location: "http://127.0.0.1:45678/cb?error=invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := good()
			tc.edit(v)
			resp, err := noFollow.Get(e.ts.URL + "/oauth/authorize?" + v.Encode())
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode, string(body))
			if tc.location != "" {
				assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), tc.location), resp.Header.Get("Location"))
			}
			assert.Contains(t, string(body), tc.page)
		})
	}
}

func TestLoginFormRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, challenge := pkce()
	form := func(csrf, user, pw string) url.Values {
		return url.Values{"csrf_token": {csrf}, "client_id": {api.ClientID}, "redirect_uri": {"http://127.0.0.1:45678/cb"},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "username": {user}, "password": {pw}}
	}
	post := func(v url.Values, cookie string) (int, string) {
		req, err := http.NewRequest("POST", e.ts.URL+"/oauth/authorize", strings.NewReader(v.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: csrfCookie, Value: cookie})
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	cases := []struct {
		name   string
		v      url.Values
		cookie string
		status int
		text   string
	}{
		{"no CSRF cookie", form("tok", DemoEngineer, DemoPassword), "", http.StatusForbidden, "expired"},
		{"CSRF mismatch", form("tok", DemoEngineer, DemoPassword), "other", http.StatusForbidden, "expired"},
		{"wrong password", form("tok", DemoEngineer, "nope"), "tok", http.StatusUnauthorized, "Wrong username or password"},
		{"unknown user", form("tok", "nobody", "demo"), "tok", http.StatusUnauthorized, "Wrong username or password"},
		{"good", form("tok", DemoEngineer, DemoPassword), "tok", http.StatusSeeOther, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(tc.v, tc.cookie)
			assert.Equal(t, tc.status, status, body)
			assert.Contains(t, body, tc.text)
		})
	}
}

func TestRefreshRotationAndRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(DemoEngineer, DemoPassword)
	refresh := func(rt string) *http.Response {
		return e.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {api.ClientID}, "refresh_token": {rt}})
	}
	var next api.Token
	decode(t, refresh(tok.RefreshToken), http.StatusOK, &next)
	assert.NotEqual(t, tok.RefreshToken, next.RefreshToken)
	decode(t, e.do("GET", "/v1/me", next.AccessToken, nil), http.StatusOK, nil)

	// Reusing the rotated refresh token ends the session: the new tokens die too.
	var oe api.OAuthError
	decode(t, refresh(tok.RefreshToken), http.StatusBadRequest, &oe)
	assert.Equal(t, "invalid_grant", oe.Error)
	apiError(t, e.do("GET", "/v1/me", next.AccessToken, nil), http.StatusUnauthorized)
	decode(t, refresh(next.RefreshToken), http.StatusBadRequest, &oe)

	// Logout revokes the session of a fresh login.
	tok = e.login(DemoEngineer, DemoPassword)
	decode(t, e.postForm("/oauth/revoke", url.Values{"token": {tok.AccessToken}}), http.StatusOK, nil)
	apiError(t, e.do("GET", "/v1/me", tok.AccessToken, nil), http.StatusUnauthorized)
	decode(t, refresh(tok.RefreshToken), http.StatusBadRequest, &oe)
	// Revoking an unknown token is not an error (RFC 7009).
	decode(t, e.postForm("/oauth/revoke", url.Values{"token": {"unknown"}}), http.StatusOK, nil)

	// An expired refresh token is refused.
	tok = e.login(DemoEngineer, DemoPassword)
	e.clock.Advance(RefreshTokenTTL + time.Minute)
	decode(t, refresh(tok.RefreshToken), http.StatusBadRequest, &oe)
	assert.Contains(t, oe.Description, "expired")
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(DemoEngineer, DemoPassword)
	cases := []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"no token", "/v1/me", "", http.StatusUnauthorized, "unauthorized"},
		{"unknown token", "/v1/me", "garbage", http.StatusUnauthorized, "unauthorized"},
		{"refresh token is not an access token", "/v1/me", tok.RefreshToken, http.StatusUnauthorized, "unauthorized"},
		{"engineer on an admin endpoint", "/v1/admin/orders/x/state", tok.AccessToken, http.StatusForbidden, "forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			var body any
			if strings.Contains(tc.path, "admin") {
				method, body = "POST", api.OrderStateRequest{State: "paid"}
			}
			resp := e.do(method, tc.path, tc.token, body)
			if tc.status == http.StatusUnauthorized {
				assert.NotEmpty(t, resp.Header.Get("WWW-Authenticate"))
			}
			assert.Equal(t, tc.code, apiError(t, resp, tc.status).Code)
		})
	}
	t.Run("expired token", func(t *testing.T) {
		e.clock.Advance(AccessTokenTTL + time.Second)
		assert.Equal(t, "token_expired", apiError(t, e.do("GET", "/v1/me", tok.AccessToken, nil), http.StatusUnauthorized).Code)
	})
}
