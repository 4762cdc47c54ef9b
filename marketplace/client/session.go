package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/iscdesk/iscdesk/marketplace/client/secretstore"
)

// Session is a signed-in user's tokens for one marketplace, kept in the secret store.
type Session struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"` // of the access token; zero when the server did not say
	TenantID     string    `json:"tenant_id"`
	User         string    `json:"user"` // the username
}

// refreshEarly is how long before its expiry an access token is renewed, so that a call made just
// before the expiry does not arrive just after it.
const refreshEarly = time.Minute

// sessionName is the name of a marketplace's session in the secret store.
func sessionName(baseURL string) string {
	return "session " + strings.TrimRight(strings.TrimSpace(baseURL), "/")
}

// auth gives out the access token to send: a fixed one (WithToken), or the session's, refreshed
// before it expires.
type auth struct {
	c      *Client
	static string // set by WithToken: no session at all
	name   string // of the session in the store

	// lock is a mutex that a waiting caller can leave when its context ends (a refresh holds it
	// over a network call). It guards the fields that follow.
	lock   chan struct{}
	store  secretstore.Store // nil until first used (opening the default store may fail)
	loaded bool              // sess was read from store
	sess   *Session
}

func newAuth(c *Client, name string) *auth {
	return &auth{c: c, name: name, lock: make(chan struct{}, 1), store: c.opts.Store}
}

func (a *auth) acquire(ctx context.Context) error {
	select {
	case a.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the marketplace session: %w", ctx.Err())
	}
}

func (a *auth) release() { <-a.lock }

// canRefresh says whether a refused token may be renewed.
func (a *auth) canRefresh() bool { return a.static == "" }

// token returns the access token to send, refreshing the session when it is about to expire.
func (a *auth) token(ctx context.Context) (string, error) {
	if a.static != "" {
		return a.static, nil
	}
	if err := a.acquire(ctx); err != nil {
		return "", err
	}
	defer a.release()
	if err := a.loadLocked(); err != nil {
		return "", err
	}
	if a.sess == nil {
		return "", a.notSignedIn()
	}
	now := a.c.opts.Now()
	if a.sess.Expiry.IsZero() || now.Add(refreshEarly).Before(a.sess.Expiry) {
		return a.sess.AccessToken, nil
	}
	err := a.refreshLocked(ctx)
	switch {
	case err == nil:
		return a.sess.AccessToken, nil
	case errors.Is(err, ErrSessionEnded) || !now.Before(a.sess.Expiry):
		return "", err
	default:
		// The refresh failed (offline?) but the token is still good for a little while: use it.
		return a.sess.AccessToken, nil
	}
}

// expire marks tok, which the server refused, as expired so that the next token call refreshes.
func (a *auth) expire(tok string) {
	a.lock <- struct{}{}
	defer a.release()
	if a.sess != nil && a.sess.AccessToken == tok {
		a.sess.Expiry = time.Unix(1, 0)
	}
}

func (a *auth) notSignedIn() error {
	return fmt.Errorf("%w at %s; sign in with `iscdesk login` (or pass --token)", ErrNotSignedIn, a.c.BaseURL())
}

// loadLocked reads the stored session once.
func (a *auth) loadLocked() error {
	if a.loaded {
		return nil
	}
	if err := a.openStoreLocked(); err != nil {
		return err
	}
	s, err := a.readStoredLocked()
	if err != nil {
		return err
	}
	a.sess, a.loaded = s, true
	return nil
}

// readStoredLocked reads the session from the store; nil when there is none.
func (a *auth) readStoredLocked() (*Session, error) {
	data, err := a.store.Get(a.name)
	if errors.Is(err, secretstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the marketplace session: %w", err)
	}
	var s Session
	if err := json.Unmarshal([]byte(data), &s); err != nil || s.AccessToken == "" {
		// A damaged entry is as good as none; the next sign-in replaces it.
		return nil, nil
	}
	return &s, nil
}

func (a *auth) openStoreLocked() error {
	if a.store != nil {
		return nil
	}
	s, err := secretstore.Default()
	if err != nil {
		return fmt.Errorf("opening the store of the marketplace session: %w", err)
	}
	a.store = s
	return nil
}

// saveLocked makes s the session, in memory and in the store.
func (a *auth) saveLocked(s *Session) error {
	if err := a.openStoreLocked(); err != nil {
		return err
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding the marketplace session: %w", err)
	}
	a.sess, a.loaded = s, true
	if err := a.store.Set(a.name, string(data)); err != nil {
		return fmt.Errorf("saving the marketplace session: %w; you will have to sign in again next time", err)
	}
	return nil
}

// dropLocked forgets the session, in memory and in the store.
func (a *auth) dropLocked() error {
	a.sess, a.loaded = nil, true
	if err := a.openStoreLocked(); err != nil {
		return err
	}
	if err := a.store.Delete(a.name); err != nil {
		return fmt.Errorf("deleting the stored marketplace session: %w", err)
	}
	return nil
}

// refreshLocked trades the refresh token for new tokens.
func (a *auth) refreshLocked(ctx context.Context) error {
	// Another process (the GUI beside the CLI) may have refreshed first. The server rotates refresh
	// tokens and ends a session whose old one comes back, so take theirs instead of refreshing again.
	if stored, err := a.readStoredLocked(); err == nil && stored != nil && stored.RefreshToken != a.sess.RefreshToken {
		a.sess = stored
		if a.c.opts.Now().Add(refreshEarly).Before(stored.Expiry) {
			return nil
		}
	}
	old := a.sess
	if old.RefreshToken == "" {
		return fmt.Errorf("%w: the access token expired and there is no refresh token; sign in again with `iscdesk login`", ErrSessionEnded)
	}
	tok, err := a.c.exchange(ctx, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {old.RefreshToken},
		"client_id":     {api.ClientID},
	})
	var apiErr *APIError
	if errors.As(err, &apiErr) && (apiErr.Code == "invalid_grant" || apiErr.Status == http.StatusUnauthorized) {
		dropErr := a.dropLocked()
		return errors.Join(fmt.Errorf("%w: %v; sign in again with `iscdesk login`", ErrSessionEnded, err), dropErr)
	}
	if err != nil {
		return fmt.Errorf("refreshing the marketplace session: %w", err)
	}
	s := a.c.sessionFrom(tok, old.User)
	if s.RefreshToken == "" {
		s.RefreshToken = old.RefreshToken // the server does not rotate refresh tokens
	}
	if s.TenantID == "" {
		s.TenantID = old.TenantID
	}
	return a.saveLocked(s)
}

// exchange posts a grant to /oauth/token.
func (c *Client) exchange(ctx context.Context, form url.Values) (*api.Token, error) {
	var tok api.Token
	// A token request is not idempotent (a code is single-use), so it is never retried.
	err := c.call(ctx, request{method: http.MethodPost, path: "/oauth/token", form: form, noAuth: true}, &tok)
	if err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("marketplace: POST /oauth/token: the answer has no access_token")
	}
	return &tok, nil
}

func (c *Client) sessionFrom(tok *api.Token, user string) *Session {
	s := &Session{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TenantID: tok.TenantID, User: user}
	if tok.ExpiresIn > 0 {
		s.Expiry = c.opts.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	return s
}

// Session returns the stored session, or an error wrapping ErrNotSignedIn. It does not refresh it.
func (c *Client) Session(ctx context.Context) (*Session, error) {
	a := c.auth
	if a.static != "" {
		return &Session{AccessToken: a.static}, nil
	}
	if err := a.acquire(ctx); err != nil {
		return nil, err
	}
	defer a.release()
	if err := a.loadLocked(); err != nil {
		return nil, err
	}
	if a.sess == nil {
		return nil, a.notSignedIn()
	}
	s := *a.sess
	return &s, nil
}

// Logout revokes the session at the marketplace and deletes it from this machine. The local copy
// is deleted even when the marketplace cannot be told; the error then says so.
func (c *Client) Logout(ctx context.Context) error {
	a := c.auth
	if a.static != "" {
		return errors.New("logging out: this client uses a fixed --token; revoke it on the marketplace instead")
	}
	if err := a.acquire(ctx); err != nil {
		return err
	}
	defer a.release()
	if err := a.loadLocked(); err != nil {
		return err
	}
	if a.sess == nil {
		return nil
	}
	sess := a.sess
	var revokeErr error
	for _, t := range []struct{ token, hint string }{{sess.RefreshToken, "refresh_token"}, {sess.AccessToken, "access_token"}} {
		if t.token == "" {
			continue
		}
		err := c.call(ctx, request{method: http.MethodPost, path: "/oauth/revoke", noAuth: true,
			form: url.Values{"token": {t.token}, "token_type_hint": {t.hint}, "client_id": {api.ClientID}}}, nil)
		if err != nil {
			revokeErr = err
			break
		}
	}
	if err := a.dropLocked(); err != nil {
		return err
	}
	if revokeErr != nil {
		return fmt.Errorf("signed out on this machine, but the marketplace could not revoke the session (it ends by itself when it expires): %w", revokeErr)
	}
	return nil
}
