package client

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/client/browser"
)

// LoginOptions configure Login.
type LoginOptions struct {
	// OpenBrowser shows the sign-in page; browser.Open when nil. When it fails (or there is no
	// graphical session) the address is printed to Out for the user to open.
	OpenBrowser func(url string) error
	// Out receives what the user must read; io.Discard when nil.
	Out io.Writer
}

// callbackPath is where the marketplace sends the browser back to, on the loopback listener.
const callbackPath = "/callback"

// Login signs in as a desktop app (RFC 8252): it listens on 127.0.0.1 on a free port, sends the
// user's browser to the marketplace's sign-in page with a PKCE (S256) challenge, receives the
// authorization code on the loopback redirect, exchanges it for tokens, and stores the session.
// It waits until the user finishes or ctx ends; give ctx a deadline of a few minutes.
func (c *Client) Login(ctx context.Context, o LoginOptions) (*Session, error) {
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	if c.auth.static != "" {
		return nil, errors.New("signing in: this client uses a fixed --token; drop --token to sign in")
	}
	if o.OpenBrowser == nil {
		o.OpenBrowser = browser.Open
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	verifier, state := randomToken(32), randomToken(16)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("signing in: listening on 127.0.0.1 for the browser's redirect: %w", err)
	}
	redirect := fmt.Sprintf("http://%s%s", ln.Addr(), callbackPath)
	cb := newCallback(state)
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	serveDone := make(chan struct{})
	go func() { // owned by Login: Shutdown below ends it
		defer close(serveDone)
		_ = srv.Serve(ln)
	}()
	defer func() {
		// Let the browser get its "you can close this window" page before the listener goes.
		shutCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
		<-serveDone
	}()

	authURL := c.authorizeURL(redirect, state, verifier)
	if err := o.OpenBrowser(authURL); err != nil {
		fmt.Fprintf(o.Out, "Open this address in a browser on this machine to sign in to %s:\n\n  %s\n\n", c.BaseURL(), authURL)
	} else {
		fmt.Fprintf(o.Out, "Continue signing in to %s in your browser. If no browser opened, open:\n\n  %s\n\n", c.BaseURL(), authURL)
	}

	var res callbackResult
	select {
	case res = <-cb.result:
	case <-ctx.Done():
		return nil, fmt.Errorf("signing in: gave up waiting for the browser to come back to %s: %w", redirect, ctx.Err())
	}
	if res.err != nil {
		return nil, fmt.Errorf("signing in: %w", res.err)
	}
	tok, err := c.exchange(ctx, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {res.code},
		"redirect_uri":  {redirect},
		"client_id":     {api.ClientID},
		"code_verifier": {verifier},
	})
	if err != nil {
		return nil, fmt.Errorf("signing in: exchanging the authorization code: %w", err)
	}
	if tok.TenantID != "" && res.tenantID != "" && tok.TenantID != res.tenantID {
		return nil, fmt.Errorf("signing in: the redirect named tenant %q but the token is for %q; sign in again", res.tenantID, tok.TenantID)
	}
	sess := c.sessionFrom(tok, "")
	if sess.TenantID == "" {
		sess.TenantID = res.tenantID
	}
	var me api.Me
	if err := c.WithToken(sess.AccessToken).call(ctx, request{method: http.MethodGet, path: "/v1/me"}, &me); err != nil {
		return nil, fmt.Errorf("signing in: reading who signed in: %w", err)
	}
	sess.User = me.Username

	a := c.auth
	if err := a.acquire(ctx); err != nil {
		return nil, err
	}
	defer a.release()
	if err := a.saveLocked(sess); err != nil {
		return nil, err
	}
	out := *sess
	return &out, nil
}

// authorizeURL is the marketplace's sign-in page for this attempt.
func (c *Client) authorizeURL(redirect, state, verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {api.ClientID},
		"redirect_uri":          {redirect},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	return c.BaseURL() + "/oauth/authorize?" + q.Encode()
}

// randomToken is n random bytes, base64url without padding (a PKCE verifier of 32 bytes is 43
// characters, within RFC 7636's 43..128).
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// callbackResult is what the browser brought back.
type callbackResult struct {
	code, tenantID string
	err            error
}

// callback serves the loopback redirect. It delivers the first answer that carries the right
// state, or the marketplace's error; anything else (a stale tab, another program poking the port)
// gets an error page and changes nothing.
type callback struct {
	state  string
	result chan callbackResult // buffered: one answer
	once   sync.Once
}

func newCallback(state string) *callback {
	return &callback{state: state, result: make(chan callbackResult, 1)}
}

func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != callbackPath || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(cb.state)) != 1 {
		page(w, http.StatusBadRequest, "This sign-in link is out of date",
			"It does not belong to the sign-in that is waiting. Go back to ISCDesk and sign in again.")
		return
	}
	var res callbackResult
	switch {
	case q.Get("error") != "":
		res.err = fmt.Errorf("the marketplace refused the sign-in: %s %s", q.Get("error"), q.Get("error_description"))
	case q.Get("code") == "":
		res.err = errors.New("the browser came back without an authorization code")
	default:
		res.code, res.tenantID = q.Get("code"), q.Get("tenant_id")
	}
	delivered := false
	cb.once.Do(func() {
		cb.result <- res
		delivered = true
	})
	switch {
	case !delivered:
		page(w, http.StatusOK, "Already signed in", "You can close this window.")
	case res.err != nil:
		page(w, http.StatusBadRequest, "Sign-in failed", res.err.Error()+". Go back to ISCDesk and try again.")
	default:
		page(w, http.StatusOK, "Signed in to ISCDesk", "You can close this window and go back to ISCDesk.")
	}
}

func page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>%[1]s</title></head>
<body style="font-family:sans-serif;margin:4em auto;max-width:32em"><h1>%[1]s</h1><p>%[2]s</p></body></html>`,
		html.EscapeString(title), html.EscapeString(text))
}
