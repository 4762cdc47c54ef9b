// Package client is the Go client of the marketplace API (marketplace/api/openapi.yaml), used by the
// CLI and the GUI: the desktop sign-in (OAuth2 authorization code with PKCE on a loopback
// redirect), the session kept in the OS keyring and refreshed before it expires, and a typed
// method per endpoint.
//
// Calls have timeouts; idempotent ones (GET, PUT, DELETE, and POSTs, which carry an
// Idempotency-Key) are retried with backoff on 5xx answers and network errors. Failures are
// *APIError (the server answered) or wrap ErrUnreachable (it did not).
package client

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/client/secretstore"
)

// Defaults of Options.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultRetries    = 3
	DefaultBackoff    = 250 * time.Millisecond
	DefaultStreamIdle = 60 * time.Second
	maxBackoff        = 10 * time.Second
)

// Options configure a Client. The zero value is good.
type Options struct {
	// HTTPClient sends the requests. When nil, one with connect, TLS-handshake and response-header
	// timeouts is used; give yours no Timeout, or the notification stream is cut at it.
	HTTPClient *http.Client
	// Timeout bounds each attempt of a call (streams excepted); DefaultTimeout when zero.
	Timeout time.Duration
	// Retries is how often an idempotent call is retried; DefaultRetries when zero, none when negative.
	Retries int
	// Backoff is the wait before the first retry, doubled on each one, with jitter; DefaultBackoff when zero.
	Backoff time.Duration
	// StreamIdle is how long the notification stream may stay silent before it is reconnected (the
	// server sends a keep-alive every 15 s); DefaultStreamIdle when zero.
	StreamIdle time.Duration
	// Store keeps the session between runs; secretstore.Default() (keyring, else a 0600 file) when nil.
	Store secretstore.Store
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// UserAgent is sent with every request; "iscdesk" when empty.
	UserAgent string
}

// Client calls one marketplace. It is safe for concurrent use.
type Client struct {
	base    *url.URL // without a trailing slash; nil when baseErr is set
	baseErr error
	hc      *http.Client
	opts    Options
	auth    *auth
}

// New returns a client of the marketplace at baseURL, e.g. "http://127.0.0.1:8780". A bad address
// is reported by the first call, so that a GUI can start with one from its settings.
func New(baseURL string, o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.StreamIdle <= 0 {
		o.StreamIdle = DefaultStreamIdle
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UserAgent == "" {
		o.UserAgent = "iscdesk"
	}
	c := &Client{hc: o.HTTPClient, opts: o}
	if c.hc == nil {
		c.hc = defaultHTTPClient()
	}
	c.base, c.baseErr = parseBase(baseURL)
	c.auth = newAuth(c, sessionName(baseURL))
	return c
}

// WithToken returns a client that sends token as its bearer token and does nothing else about
// sessions: no stored session, no refresh (iscdesk --token, scripts, CI).
func (c *Client) WithToken(token string) *Client {
	cc := *c
	cc.auth = &auth{c: &cc, static: token}
	return &cc
}

// BaseURL is the marketplace's address as given to New, without a trailing slash.
func (c *Client) BaseURL() string {
	if c.base == nil {
		return ""
	}
	return c.base.String()
}

func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, &UnreachableError{URL: raw, Err: errBadAddress}
	}
	return u, nil
}

var errBadAddress = errors.New("the address is not an http:// or https:// URL such as http://127.0.0.1:8780")

// defaultHTTPClient bounds each phase of a request; the whole call is bounded by Options.Timeout
// through its context, which a stream does without.
func defaultHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}}
}
