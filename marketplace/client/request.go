package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// maxResponse bounds a response body read into memory (a license file is the largest).
const maxResponse = 32 << 20

// request is one API call, before it is sent.
type request struct {
	method string
	path   string // "/v1/…", already escaped where it holds ids (see pathf)
	query  url.Values
	body   any        // sent as JSON when not nil
	form   url.Values // sent as application/x-www-form-urlencoded when not nil (OAuth)
	// idemKey makes a POST retryable: the server answers a repeat with the first response.
	idemKey string
	noAuth  bool
	header  http.Header // extra headers
}

// response is a 2xx answer, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// pathf formats a path, escaping each argument as one path segment.
func pathf(format string, args ...string) string {
	esc := make([]any, len(args))
	for i, a := range args {
		esc[i] = url.PathEscape(a)
	}
	return fmt.Sprintf(format, esc...)
}

// call sends req and decodes the JSON answer into out (when not nil).
func (c *Client) call(ctx context.Context, req request, out any) error {
	resp, err := c.send(ctx, req)
	if err != nil {
		return err
	}
	if out == nil || len(resp.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("marketplace: %s %s: reading the answer: %w; is %s a marketplace of this version?", req.method, req.path, err, c.BaseURL())
	}
	return nil
}

// send sends req, retrying as its method allows, and returns a 2xx response or an error.
func (c *Client) send(ctx context.Context, req request) (*response, error) {
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	payload, contentType, err := encodeBody(req)
	if err != nil {
		return nil, fmt.Errorf("marketplace: %s %s: %w", req.method, req.path, err)
	}
	retryable := isIdempotent(req.method) || req.idemKey != ""
	refreshed := false
	for attempt := 0; ; attempt++ {
		var token string
		if !req.noAuth {
			if token, err = c.auth.token(ctx); err != nil {
				return nil, err
			}
		}
		resp, sendErr := c.attempt(ctx, req, payload, contentType, token)
		var failed error
		var wait time.Duration
		switch {
		case sendErr == nil && resp.status < 300:
			return resp, nil
		case sendErr == nil && resp.status == http.StatusUnauthorized && token != "" && !refreshed && c.auth.canRefresh():
			// The server refused the token before doing anything: renew it once and go again.
			refreshed = true
			c.auth.expire(token)
			attempt--
			continue
		case sendErr == nil:
			failed = decodeError(req, resp)
			if !retryableStatus(resp.status) {
				return nil, failed
			}
			wait = retryAfter(resp.header)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("marketplace: %s %s: %w", req.method, req.path, ctx.Err())
		default:
			failed = &UnreachableError{URL: c.BaseURL(), Err: sendErr}
		}
		if !retryable || attempt >= c.opts.Retries {
			return nil, failed
		}
		if wait == 0 {
			wait = c.backoff(attempt)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%w; gave up retrying: %w", failed, err)
		}
	}
}

// attempt sends req once, within Options.Timeout, and reads the whole answer.
func (c *Client) attempt(ctx context.Context, req request, payload []byte, contentType, token string) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	hreq, err := c.newHTTPRequest(ctx, req, payload, contentType, token)
	if err != nil {
		return nil, err
	}
	hresp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer hresp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hresp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(body) > maxResponse {
		return nil, fmt.Errorf("the answer is larger than %d MiB", maxResponse>>20)
	}
	return &response{status: hresp.StatusCode, header: hresp.Header, body: body}, nil
}

func (c *Client) newHTTPRequest(ctx context.Context, req request, payload []byte, contentType, token string) (*http.Request, error) {
	target := c.BaseURL() + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("marketplace: %s %s: %w", req.method, req.path, err)
	}
	for k, vs := range req.header {
		hreq.Header[k] = vs
	}
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	hreq.Header.Set("Accept", "application/json")
	if contentType != "" {
		hreq.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		hreq.Header.Set("Authorization", "Bearer "+token)
	}
	if req.idemKey != "" {
		hreq.Header.Set(api.IdempotencyHeader, req.idemKey)
	}
	return hreq, nil
}

func encodeBody(req request) (payload []byte, contentType string, err error) {
	switch {
	case req.form != nil:
		return []byte(req.form.Encode()), "application/x-www-form-urlencoded", nil
	case req.body != nil:
		data, err := json.Marshal(req.body)
		if err != nil {
			return nil, "", fmt.Errorf("encoding the request: %w", err)
		}
		return data, "application/json", nil
	}
	return nil, "", nil
}

// decodeError reads an api.Error or an OAuth error from a non-2xx answer.
func decodeError(req request, resp *response) *APIError {
	e := &APIError{Status: resp.status, method: req.method, path: req.path}
	var body struct {
		api.Error
		OAuth            string `json:"error"`
		OAuthDescription string `json:"error_description"`
	}
	if json.Unmarshal(resp.body, &body) == nil && (body.Code != "" || body.OAuth != "") {
		e.Code, e.Field, e.Message = body.Code, body.Field, body.Message
		if e.Code == "" {
			e.Code, e.Message = body.OAuth, body.OAuthDescription
		}
		return e
	}
	// Not our JSON: a proxy's page. Quote a little of it.
	text := strings.TrimSpace(string(resp.body))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	e.Message = text
	return e
}

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

func retryableStatus(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

// retryAfter reads a Retry-After in seconds, capped so that a confused server cannot park us.
func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs <= 0 {
		return 0
	}
	return min(time.Duration(secs)*time.Second, 30*time.Second)
}

// backoff is the wait before retry number attempt+1: exponential with full jitter over its upper half.
func (c *Client) backoff(attempt int) time.Duration {
	d := min(c.opts.Backoff<<attempt, maxBackoff)
	return d/2 + mathrand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// newIdempotencyKey is a random UUID (version 4).
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
