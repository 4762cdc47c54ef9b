package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// The OAuth2 authorization server: authorization code with PKCE (S256 only) for the one public
// client, the desktop app, which receives the redirect on a loopback port (RFC 8252).

const csrfCookie = "iscdesk_csrf"

// authParams are the query (GET) or hidden form fields (POST) of an authorization request.
type authParams struct {
	ClientID, RedirectURI, State, Challenge string
}

var challengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
var verifierPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// loopbackRedirect checks that raw is http://127.0.0.1:PORT/… or http://localhost:PORT/….
func loopbackRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return errors.New("redirect_uri is missing or is not a URL")
	}
	if u.Scheme != "http" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("redirect_uri %.100q must be a loopback address, http://127.0.0.1:PORT/… or http://localhost:PORT/…, with no user or fragment", raw)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || (host != "127.0.0.1" && host != "localhost") {
		return fmt.Errorf("redirect_uri %.100q is not a loopback address with a port; the desktop client listens on 127.0.0.1 or localhost", raw)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("redirect_uri %.100q has no valid port", raw)
	}
	return nil
}

// parseAuthParams validates an authorization request. When the client or redirect_uri is bad,
// redirectOK is false: the error must be shown, not sent to an unverified redirect (RFC 6749 4.1.2.1).
func parseAuthParams(v url.Values, withResponseType bool) (p authParams, redirectOK bool, err error) {
	p = authParams{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), State: v.Get("state"), Challenge: v.Get("code_challenge")}
	if p.ClientID != api.ClientID {
		return p, false, fmt.Errorf("unknown client_id %.40q; the desktop client is %q", p.ClientID, api.ClientID)
	}
	if err := loopbackRedirect(p.RedirectURI); err != nil {
		return p, false, err
	}
	switch {
	case withResponseType && v.Get("response_type") != "code":
		return p, true, errors.New("response_type must be code")
	case v.Get("code_challenge_method") != "S256":
		return p, true, errors.New("code_challenge_method must be S256 (plain is not accepted)")
	case !challengePattern.MatchString(p.Challenge):
		return p, true, errors.New("code_challenge must be the unpadded base64url SHA-256 of the code_verifier (43 characters)")
	case len(p.State) > 500:
		return p, true, errors.New("state is longer than 500 characters")
	}
	return p, true, nil
}

// redirectError sends an OAuth error back to the (verified) redirect_uri.
func redirectError(w http.ResponseWriter, r *http.Request, p authParams, code, desc string) {
	u, _ := url.Parse(p.RedirectURI) // verified by parseAuthParams
	q := u.Query()
	q.Set("error", code)
	q.Set("error_description", desc)
	if p.State != "" {
		q.Set("state", p.State)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to ISCDesk Marketplace</title>
<style>body{font-family:sans-serif;max-width:22rem;margin:4rem auto}label,input,button{display:block;width:100%;margin:.4rem 0}.err{color:#b00}</style>
</head><body>
<h1>Sign in</h1>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
{{if .Form}}<form method="post" action="/oauth/authorize">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<input type="hidden" name="client_id" value="{{.P.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.P.RedirectURI}}">
<input type="hidden" name="state" value="{{.P.State}}">
<input type="hidden" name="code_challenge" value="{{.P.Challenge}}">
<input type="hidden" name="code_challenge_method" value="S256">
<label>Username <input name="username" autocomplete="username" required autofocus value="{{.Username}}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>{{end}}
</body></html>`))

type loginView struct {
	Form     bool
	Error    string
	CSRF     string
	P        authParams
	Username string
}

func renderLogin(w http.ResponseWriter, status int, v loginView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, v)
}

// authorizeForm is GET /oauth/authorize: the login form, with a CSRF token in a cookie and in the form.
func (s *Server) authorizeForm(w http.ResponseWriter, r *http.Request) {
	p, redirectOK, err := parseAuthParams(r.URL.Query(), true)
	if err != nil {
		if redirectOK {
			redirectError(w, r, p, "invalid_request", err.Error())
			return
		}
		renderLogin(w, http.StatusBadRequest, loginView{Error: "This sign-in link is not valid: " + err.Error()})
		return
	}
	csrf := randomToken(24)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/oauth/authorize", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: 3600, Secure: r.TLS != nil})
	renderLogin(w, http.StatusOK, loginView{Form: true, CSRF: csrf, P: p})
}

// authorizeLogin is POST /oauth/authorize: checks the CSRF token and the password, then
// redirects to the client's loopback redirect_uri with code, state and tenant_id.
func (s *Server) authorizeLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		renderLogin(w, http.StatusBadRequest, loginView{Error: "The form could not be read; go back and sign in again."})
		return
	}
	p, redirectOK, err := parseAuthParams(r.PostForm, false)
	if err != nil {
		if redirectOK {
			redirectError(w, r, p, "invalid_request", err.Error())
			return
		}
		renderLogin(w, http.StatusBadRequest, loginView{Error: "This sign-in request is not valid: " + err.Error()})
		return
	}
	cookie, err := r.Cookie(csrfCookie)
	form := r.PostForm.Get("csrf_token")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(form)) != 1 {
		renderLogin(w, http.StatusForbidden, loginView{Error: "The sign-in form expired or did not come from this server; start the sign-in again from the app."})
		return
	}
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	remote := remoteIP(r)
	// Refused before the password is hashed, so a guesser gets no answer and costs no CPU.
	if no := s.signIns.check(username, remote, s.now()); no.msg != "" {
		setRetryAfter(w, no.retry)
		renderLogin(w, http.StatusTooManyRequests, loginView{Form: true, CSRF: form, P: p, Username: username,
			Error: "Sign-in refused: " + no.msg + "."})
		return
	}
	userID, tenantID, ok, err := s.checkLogin(r.Context(), username, password)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !ok {
		s.signIns.fail(username, remote, s.now())
		renderLogin(w, http.StatusUnauthorized, loginView{Form: true, CSRF: form, P: p, Username: username,
			Error: "Wrong username or password."})
		return
	}
	code := randomToken(32)
	if _, err := s.db.ExecContext(r.Context(), `INSERT INTO oauth_codes
(hash, user_id, client_id, redirect_uri, challenge, family, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		hashToken(code), userID, p.ClientID, p.RedirectURI, p.Challenge, newID("fam"), ms(s.now().Add(CodeTTL))); err != nil {
		s.internalError(w, r, err)
		return
	}
	u, _ := url.Parse(p.RedirectURI)
	q := u.Query()
	q.Set("code", code)
	q.Set("tenant_id", tenantID)
	if p.State != "" {
		q.Set("state", p.State)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

var (
	dummyHashOnce sync.Once
	dummyHash     string
)

// checkLogin verifies a username and password. An unknown user costs the same hashing as a
// known one, so response times do not tell which usernames exist.
func (s *Server) checkLogin(ctx context.Context, username, password string) (userID, tenantID string, ok bool, err error) {
	var stored string
	err = s.db.QueryRowContext(ctx, `SELECT id, tenant_id, password_hash FROM users WHERE username = ?`, username).Scan(&userID, &tenantID, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		dummyHashOnce.Do(func() { dummyHash, _ = HashPassword("not a password", 0) })
		checkPassword(dummyHash, password)
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("looking up user %q: %w", username, err)
	}
	return userID, tenantID, checkPassword(stored, password), nil
}

// oauthError writes an RFC 6749 error response.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, api.OAuthError{Error: code, Description: desc})
}

// token is POST /oauth/token: grant_type authorization_code (with code_verifier) or refresh_token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "send the parameters as application/x-www-form-urlencoded")
		return
	}
	f := r.PostForm
	if f.Get("client_id") != api.ClientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client_id; the desktop client is "+api.ClientID)
		return
	}
	// The token endpoint takes no password, but guessed codes and refresh tokens count
	// against the caller's address like wrong passwords do.
	remote := remoteIP(r)
	if no := s.signIns.check("", remote, s.now()); no.msg != "" {
		setRetryAfter(w, no.retry)
		oauthError(w, http.StatusTooManyRequests, "slow_down", no.msg)
		return
	}
	var tok api.Token
	var err error
	switch f.Get("grant_type") {
	case "authorization_code":
		tok, err = s.exchangeCode(r.Context(), f)
	case "refresh_token":
		tok, err = s.refresh(r.Context(), f)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
		return
	}
	var ge *grantError
	if errors.As(err, &ge) {
		if ge.code == "invalid_grant" {
			s.signIns.fail("", remote, s.now())
		}
		oauthError(w, http.StatusBadRequest, ge.code, ge.desc)
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tok)
}

type grantError struct{ code, desc string }

func (e *grantError) Error() string { return e.code + ": " + e.desc }

func invalidGrant(desc string) error { return &grantError{code: "invalid_grant", desc: desc} }

func (s *Server) exchangeCode(ctx context.Context, f url.Values) (api.Token, error) {
	code, verifier := f.Get("code"), f.Get("code_verifier")
	if code == "" {
		return api.Token{}, &grantError{"invalid_request", "code is missing"}
	}
	if !verifierPattern.MatchString(verifier) {
		return api.Token{}, &grantError{"invalid_request", "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~"}
	}
	now := s.now()
	var tok api.Token
	var replayed bool
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var userID, tenantID, clientID, redirectURI, challenge, family string
		var expires int64
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT c.user_id, u.tenant_id, c.client_id, c.redirect_uri, c.challenge, c.family, c.expires_at, c.used_at
FROM oauth_codes c JOIN users u ON u.id = c.user_id WHERE c.hash = ?`, hashToken(code)).
			Scan(&userID, &tenantID, &clientID, &redirectURI, &challenge, &family, &expires, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return invalidGrant("the authorization code is not valid; sign in again")
		}
		if err != nil {
			return err
		}
		if used.Valid {
			// A replayed code may be stolen: revoke what the first exchange issued (RFC 6749 4.1.2).
			replayed = true
			_, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL`, ms(now), family)
			return err
		}
		// Spend the code before anything else is checked, so a wrong verifier cannot be retried.
		if _, err := tx.ExecContext(ctx, `UPDATE oauth_codes SET used_at = ? WHERE hash = ?`, ms(now), hashToken(code)); err != nil {
			return err
		}
		switch {
		case ms(now) >= expires:
			return invalidGrant("the authorization code expired; sign in again")
		case clientID != f.Get("client_id") || redirectURI != f.Get("redirect_uri"):
			return invalidGrant("redirect_uri or client_id differ from the authorization request")
		case !pkceMatches(verifier, challenge):
			return invalidGrant("code_verifier does not match the code_challenge of the authorization request")
		}
		tok, err = s.issueTokens(ctx, tx, userID, tenantID, clientID, family)
		return err
	})
	var ge *grantError
	if errors.As(err, &ge) {
		// The spent code must stay spent: commit that part by redoing it outside the failed tx.
		_, uerr := s.db.ExecContext(ctx, `UPDATE oauth_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL`, ms(now), hashToken(code))
		return api.Token{}, errors.Join(err, uerr)
	}
	if err == nil && replayed {
		return api.Token{}, invalidGrant("the authorization code was already used; sign in again")
	}
	return tok, err
}

func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func (s *Server) refresh(ctx context.Context, f url.Values) (api.Token, error) {
	rt := f.Get("refresh_token")
	if rt == "" {
		return api.Token{}, &grantError{"invalid_request", "refresh_token is missing"}
	}
	now := s.now()
	var tok api.Token
	var reused bool
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var userID, tenantID, clientID, family string
		var expires int64
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT user_id, tenant_id, client_id, family, expires_at, revoked_at
FROM tokens WHERE hash = ? AND kind = 'refresh'`, hashToken(rt)).Scan(&userID, &tenantID, &clientID, &family, &expires, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return invalidGrant("the refresh token is not valid; sign in again")
		}
		if err != nil {
			return err
		}
		if revoked.Valid {
			// A rotated refresh token came back: someone holds a copy. End the whole session.
			reused = true
			_, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL`, ms(now), family)
			return err
		}
		if ms(now) >= expires {
			return invalidGrant("the refresh token expired; sign in again")
		}
		if clientID != f.Get("client_id") {
			return invalidGrant("the refresh token was issued to another client")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE hash = ?`, ms(now), hashToken(rt)); err != nil {
			return err
		}
		tok, err = s.issueTokens(ctx, tx, userID, tenantID, clientID, family)
		return err
	})
	if err == nil && reused {
		return api.Token{}, invalidGrant("the refresh token was already used; the session is ended, sign in again")
	}
	return tok, err
}

// issueTokens creates an access and a refresh token in family (one sign-in and its refreshes).
func (s *Server) issueTokens(ctx context.Context, tx *sql.Tx, userID, tenantID, clientID, family string) (api.Token, error) {
	now := s.now()
	access, refresh := randomToken(32), randomToken(32)
	for _, t := range []struct {
		tok, kind string
		ttl       int64
	}{{access, "access", AccessTokenTTL.Milliseconds()}, {refresh, "refresh", RefreshTokenTTL.Milliseconds()}} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (hash, kind, family, user_id, tenant_id, client_id, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, hashToken(t.tok), t.kind, family, userID, tenantID, clientID, ms(now), ms(now)+t.ttl); err != nil {
			return api.Token{}, fmt.Errorf("storing the %s token: %w", t.kind, err)
		}
	}
	return api.Token{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(AccessTokenTTL.Seconds()),
		RefreshToken: refresh, TenantID: tenantID}, nil
}

// revoke is POST /oauth/revoke (RFC 7009): sign-out. Revoking either token ends the whole
// session (its family). It answers 200 whether or not the token was known.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "send token=<access or refresh token> as a form")
		return
	}
	if _, err := s.db.ExecContext(r.Context(), `UPDATE tokens SET revoked_at = ?
WHERE family = (SELECT family FROM tokens WHERE hash = ?) AND revoked_at IS NULL`, ms(s.now()), hashToken(r.PostForm.Get("token"))); err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
