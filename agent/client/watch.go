package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// Reconnect backoff of Watch, and how long a stream may stay silent (the agent sends a
// keepalive every 15 s) before Watch takes it for dead.
const (
	minBackoff  = 100 * time.Millisecond
	maxBackoff  = 2 * time.Second
	idleTimeout = 50 * time.Second
)

// Watch calls fn with every event of the agent after lastID (0: from now on), in order. When the
// stream drops or the agent restarts it reconnects (backoff 100 ms doubling to 2 s) and resumes
// after the last event it delivered; an event of type "reset" says that events were lost and
// the caller should reload its state. Watch returns ctx's error when ctx ends, fn's error when fn
// fails, and an *APIError when the agent refuses the watch (4xx).
func (c *Client) Watch(ctx context.Context, lastID uint64, fn func(apitype.Event) error) error {
	backoff := minBackoff
	for {
		connected, fnErr, err := c.watchOnce(ctx, &lastID, fn)
		if fnErr != nil {
			return fnErr
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.Status < 500 {
			return err
		}
		if connected {
			backoff = minBackoff // it worked until now: come back quickly
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// watchOnce follows one connection to /v1/events until it ends. connected says whether the
// agent answered; fnErr is fn's error; err is why the stream ended (nil: the agent closed it).
func (c *Client) watchOnce(ctx context.Context, lastID *uint64, fn func(apitype.Event) error) (connected bool, fnErr, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	header := http.Header{"Accept": {"text/event-stream"}}
	if *lastID != 0 {
		header.Set("Last-Event-ID", strconv.FormatUint(*lastID, 10))
	}
	resp, err := c.send(ctx, "GET", "/v1/events", header, nil)
	if err != nil {
		return false, nil, err
	}
	defer resp.Body.Close()

	// A stream that stays silent past the keepalives is dead (a hung agent, a lost connection).
	idle := time.AfterFunc(idleTimeout, cancel)
	defer idle.Stop()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var (
		id    uint64
		typ   string
		data  strings.Builder
		hasID bool
	)
	for sc.Scan() {
		idle.Reset(idleTimeout)
		line := sc.Text()
		if line != "" {
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "": // a comment: keepalive
			case "id":
				if n, err := strconv.ParseUint(value, 10, 64); err == nil {
					id, hasID = n, true
				}
			case "event":
				typ = value
			case "data":
				if data.Len() > 0 {
					data.WriteByte('\n')
				}
				data.WriteString(value)
			}
			continue
		}
		if data.Len() > 0 { // a blank line ends an event
			var e apitype.Event
			if err := json.Unmarshal([]byte(data.String()), &e); err != nil {
				return true, nil, fmt.Errorf("reading event %d from the agent: %w", id, err)
			}
			if e.Type == "" {
				e.Type = typ
			}
			if hasID {
				e.ID = id
				*lastID = id
			}
			if err := fn(e); err != nil {
				return true, err, nil
			}
		}
		id, typ, hasID = 0, "", false
		data.Reset()
	}
	return true, nil, sc.Err()
}
