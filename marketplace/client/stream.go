package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// streamPath is the server-sent-event stream of the user's notifications.
const streamPath = "/v1/notifications/stream"

// NotificationsStream follows the user's notifications as they arrive, from after lastEventID
// ("" for only new ones; pass the ID of the last notification shown to get what was missed).
//
// It reconnects by itself, with backoff, when the connection drops or stays silent past
// Options.StreamIdle, sending Last-Event-ID so that nothing is lost. Each failed connection is
// yielded as an error (wrapping ErrUnreachable when the marketplace is away) and the stream goes
// on if the loop continues; an error no reconnection can fix (signed out, forbidden) is yielded
// last. The stream ends when ctx does or the loop breaks; no goroutine outlives it.
func (c *Client) NotificationsStream(ctx context.Context, lastEventID string) iter.Seq2[api.Notification, error] {
	return func(yield func(api.Notification, error) bool) {
		s := &stream{c: c, last: lastEventID, yield: yield}
		failures := 0
		for {
			delivered, err := s.connect(ctx)
			if s.stopped || ctx.Err() != nil {
				return
			}
			var permanent *permanentError
			if errors.As(err, &permanent) {
				yield(api.Notification{}, permanent.err)
				return
			}
			if delivered {
				failures = 0
			}
			if err != nil {
				if !yield(api.Notification{}, err) {
					return
				}
				failures++
			}
			wait := s.retry
			if failures > 0 {
				wait = max(wait, c.backoff(min(failures-1, 8)))
			}
			if sleep(ctx, wait) != nil {
				return
			}
		}
	}
}

// stream is the state kept across reconnections.
type stream struct {
	c       *Client
	last    string // the id of the last event delivered
	retry   time.Duration
	yield   func(api.Notification, error) bool
	stopped bool // the loop broke
}

// permanentError is a stream failure that reconnecting cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }

// connect opens the stream once and delivers its events until it ends. delivered says whether
// the connection was made (so the backoff starts over).
func (s *stream) connect(ctx context.Context) (delivered bool, err error) {
	c := s.c
	if c.baseErr != nil {
		return false, &permanentError{c.baseErr}
	}
	token, err := c.auth.token(ctx)
	if err != nil {
		if errors.Is(err, ErrUnreachable) || ctx.Err() != nil {
			return false, err
		}
		return false, &permanentError{err}
	}
	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The idle timer cancels a connection on which not even a keep-alive arrived in time.
	idle := time.AfterFunc(c.opts.StreamIdle, cancel)
	defer idle.Stop()

	req := request{method: http.MethodGet, path: streamPath, header: http.Header{"Accept": {"text/event-stream"}}}
	hreq, err := c.newHTTPRequest(connCtx, req, nil, "", token)
	if err != nil {
		return false, &permanentError{err}
	}
	hreq.Header.Set("Accept", "text/event-stream")
	if s.last != "" {
		hreq.Header.Set("Last-Event-ID", s.last)
	}
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return false, s.connError(ctx, connCtx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		apiErr := decodeError(req, &response{status: resp.StatusCode, header: resp.Header, body: body})
		switch {
		case resp.StatusCode == http.StatusUnauthorized && c.auth.canRefresh():
			c.auth.expire(token) // the next connect refreshes, or says the session ended
			return false, apiErr
		case retryableStatus(resp.StatusCode):
			return false, apiErr
		default:
			return false, &permanentError{apiErr}
		}
	}

	r := newSSEReader(resp.Body, func() { idle.Reset(c.opts.StreamIdle) })
	for {
		ev, err := r.Next()
		if r.Retry > 0 {
			s.retry = r.Retry
		}
		switch {
		case errors.Is(err, io.EOF):
			return true, nil // the server closed the stream: reconnect at once
		case err != nil:
			return true, s.connError(ctx, connCtx, err)
		case ev.Event != "notification":
			continue
		}
		var n api.Notification
		var yieldErr error
		if err := json.Unmarshal([]byte(ev.Data), &n); err != nil {
			yieldErr = fmt.Errorf("marketplace: %s: event %s is not a notification: %w", streamPath, ev.ID, err)
		} else if ev.ID != "" {
			s.last = ev.ID
		}
		// The time the loop takes over an event is not the server's silence.
		idle.Stop()
		if !s.yield(n, yieldErr) {
			s.stopped = true
			return true, nil
		}
		idle.Reset(c.opts.StreamIdle)
	}
}

// connError describes a failed or broken connection; connCtx ended while ctx did not means the
// idle timer cut it.
func (s *stream) connError(ctx, connCtx context.Context, err error) error {
	if ctx.Err() == nil && connCtx.Err() != nil {
		err = fmt.Errorf("the notification stream was silent for %s", s.c.opts.StreamIdle)
	}
	return &UnreachableError{URL: s.c.BaseURL(), Err: err}
}
