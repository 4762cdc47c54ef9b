// Package client is the Go client of the agent's local API (docs/local-api.md): what the CLI, the
// GUI and tests use to reach the agent over its unix socket or named pipe. It imports nothing of
// the agent but the wire types in agent/apitype.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// Client calls one agent. Its methods are safe for concurrent use.
type Client struct {
	socket string
	hc     *http.Client
}

// New returns a client of the agent at socketPath (on Windows a pipe name such as
// \\.\pipe\iscdesk-agent). Nothing is dialled until the first call.
func New(socketPath string) *Client {
	c := &Client{socket: socketPath}
	c.hc = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dial(ctx, socketPath)
		},
		MaxIdleConnsPerHost: 4,
		DisableCompression:  true, // a local socket gains nothing from gzip
	}}
	return c
}

// Socket is the socket or pipe the client calls.
func (c *Client) Socket() string { return c.socket }

// APIError is an answer of the agent other than 2xx.
type APIError struct {
	Status  int    // HTTP status, e.g. 403
	Code    string // machine-readable: bad_request, forbidden, not_found, conflict, ticket_refused, ...
	Field   string // the request field it is about, if any
	Message string // what went wrong and what to do, for people
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the agent answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return e.Message
}

// ErrAgentNotRunning is matched (errors.Is) by the error of any call made while no agent listens.
var ErrAgentNotRunning = errors.New("the ISCDesk agent is not running")

// notRunningError says which socket is missing or silent, and how to start the agent.
type notRunningError struct {
	socket  string
	missing bool // no socket at all, rather than a socket nothing answers on
	err     error
}

func (e *notRunningError) Error() string {
	what := "no socket at " + e.socket
	if !e.missing {
		what = "nothing answers on " + e.socket
	}
	return fmt.Sprintf("%v (%s); start it with: %s", ErrAgentNotRunning, what, startHint(runtime.GOOS))
}

func (e *notRunningError) Is(target error) bool { return target == ErrAgentNotRunning }
func (e *notRunningError) Unwrap() error        { return e.err }

// startHint is how to start the agent on goos.
func startHint(goos string) string {
	switch goos {
	case "windows":
		return "Start-Service iscdesk-agent (as Administrator), or iscdesk-agent run --user"
	case "darwin":
		return "sudo launchctl kickstart system/iscdesk-agent, or iscdesk-agent run --user"
	default:
		return "sudo systemctl start iscdesk-agent, or iscdesk-agent run --user"
	}
}

// callError turns a failed round trip into an error that says what to do.
func (c *Client) callError(method, path string, err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, fs.ErrNotExist):
		return &notRunningError{socket: c.socket, missing: true, err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &notRunningError{socket: c.socket, err: err}
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("no permission to open the agent's socket %s: %w; ask IT to fix its folder's permissions", c.socket, err)
	}
	return fmt.Errorf("calling the agent at %s (%s %s): %w", c.socket, method, path, err)
}

// send makes a request and returns the response of a 2xx answer; any other is an *APIError.
func (c *Client) send(ctx context.Context, method, path string, header http.Header, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encoding the request to %s: %w", path, err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://local"+path, rd)
	if err != nil {
		return nil, fmt.Errorf("making the request %s %s: %w", method, path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.callError(method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, readAPIError(resp)
	}
	return resp, nil
}

// readAPIError reads the apitype.Error of a non-2xx answer.
func readAPIError(resp *http.Response) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &APIError{Status: resp.StatusCode}
	var body apitype.Error
	if err == nil && json.Unmarshal(data, &body) == nil && body.Error != "" {
		e.Code, e.Field, e.Message = body.Code, body.Field, body.Error
		return e
	}
	// Not our JSON: something else answers on the socket, or the agent is very old.
	e.Message = fmt.Sprintf("the agent answered %s: %s", resp.Status, strings.TrimSpace(string(data)))
	return e
}

// call makes a JSON request and decodes the JSON answer into out.
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, nil, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("reading the agent's answer to %s %s: %w", method, path, err)
	}
	return nil
}

// Status returns the agent's status and who the agent thinks is calling.
func (c *Client) Status(ctx context.Context) (*apitype.Status, error) {
	var st apitype.Status
	if err := c.call(ctx, "GET", "/v1/status", nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Software returns what is installed, as detection says, with each product's running or last job.
func (c *Client) Software(ctx context.Context) ([]apitype.Software, error) {
	var sw []apitype.Software
	err := c.call(ctx, "GET", "/v1/software", nil, &sw)
	return sw, err
}

// Jobs returns the agent's jobs.
func (c *Client) Jobs(ctx context.Context) ([]apitype.Job, error) {
	var jobs []apitype.Job
	err := c.call(ctx, "GET", "/v1/jobs", nil, &jobs)
	return jobs, err
}

// Job returns one job.
func (c *Client) Job(ctx context.Context, id string) (*apitype.Job, error) {
	var j apitype.Job
	if err := c.call(ctx, "GET", "/v1/jobs/"+url.PathEscape(id), nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Submit asks the agent to run a job; it returns the job as queued.
func (c *Client) Submit(ctx context.Context, req apitype.JobRequest) (*apitype.Job, error) {
	var j apitype.Job
	if err := c.call(ctx, "POST", "/v1/jobs", req, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Cancel asks the agent to cancel a job; it returns the job as it is then.
func (c *Client) Cancel(ctx context.Context, id string) (*apitype.Job, error) {
	var j apitype.Job
	if err := c.call(ctx, "POST", "/v1/jobs/"+url.PathEscape(id)+"/cancel", nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Log returns a job's log: all of it when tail <= 0, else its last tail lines. With follow the
// reader goes on with what the job writes and ends when the job has ended; the caller closes it
// (or cancels ctx) to stop earlier.
func (c *Client) Log(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error) {
	q := url.Values{}
	if tail > 0 {
		q.Set("tail", strconv.Itoa(tail))
	}
	if follow {
		q.Set("follow", "1")
	}
	path := "/v1/jobs/" + url.PathEscape(id) + "/log"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	resp, err := c.send(ctx, "GET", path, nil, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
