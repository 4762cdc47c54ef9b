package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/localapi/localapitest"
)

// testServer is a real server on a unix socket in a temp folder, with an in-memory backend.
type testServer struct {
	b    *localapitest.Backend
	srv  *Server
	sock string
	hc   *http.Client
}

func startServer(t testing.TB, p Policy) *testServer {
	t.Helper()
	return startServerOn(t, filepath.Join(t.TempDir(), "agent.sock"), p)
}

// startServerOn starts a test server on the socket sock; job logs go beside it.
func startServerOn(t testing.TB, sock string, p Policy) *testServer {
	t.Helper()
	ts := &testServer{b: localapitest.New(filepath.Dir(sock)), sock: sock}
	ts.srv = NewServer(ts.b, p, nil)
	ts.srv.keepalive = 50 * time.Millisecond
	ts.srv.logPoll = 10 * time.Millisecond
	ts.serve(t)
	return ts
}

// serve listens on ts.sock and serves ts.srv until the test ends, then shuts it down cleanly.
func (ts *testServer) serve(t testing.TB) {
	t.Helper()
	ln, err := Listen(ts.sock, ListenOptions{})
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- ts.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, ts.srv.Shutdown(ctx))
		assert.NoError(t, <-served)
	})
	ts.hc = unixClient(ts.sock)
}

// unixClient is an HTTP client that reaches the server at sock whatever the URL's host.
func unixClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
}

func (ts *testServer) do(t testing.TB, method, path string, header http.Header, body string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, "http://local"+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := ts.hc.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readAPIError(t testing.TB, resp *http.Response) apitype.Error {
	t.Helper()
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var e apitype.Error
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	return e
}

func TestEndpoints(t *testing.T) {
	running := apitype.Job{ID: "job-1", Action: apitype.ActionInstall, Product: "cadpro", State: apitype.StateInstalling}
	done := apitype.Job{ID: "job-2", Action: apitype.ActionInstall, Product: "viewer", State: apitype.StateDone}
	seed := func(b *localapitest.Backend) {
		b.SetStatus(apitype.Status{Version: "1.2.3", Mode: "system", JobsRunning: 1})
		b.SetSoftware([]apitype.Software{{ID: "cadpro", Name: "CAD Pro", Version: "2024.2", Detected: true}})
		b.PutJob(running)
		b.PutJob(done)
	}
	type errWant struct {
		code, field string
		contains    []string
	}
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
		body   string
		setup  func(b *localapitest.Backend)
		status int
		err    *errWant                                // for errors
		check  func(t *testing.T, resp *http.Response) // for successes
	}{
		{name: "status", method: "GET", path: "/v1/status", status: 200, check: func(t *testing.T, resp *http.Response) {
			var st apitype.Status
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
			assert.Equal(t, "1.2.3", st.Version)
			assert.Equal(t, 1, st.JobsRunning)
			assert.NotEmpty(t, st.Caller.UID, "the caller is identified by the OS")
		}},
		{name: "software", method: "GET", path: "/v1/software", status: 200, check: func(t *testing.T, resp *http.Response) {
			var sw []apitype.Software
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&sw))
			require.Len(t, sw, 1)
			assert.Equal(t, "CAD Pro", sw[0].Name)
		}},
		{name: "software empty is a list", method: "GET", path: "/v1/software", setup: func(b *localapitest.Backend) { b.SetSoftware(nil) },
			status: 200, check: func(t *testing.T, resp *http.Response) {
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				assert.Equal(t, "[]\n", string(body))
			}},
		{name: "jobs", method: "GET", path: "/v1/jobs", status: 200, check: func(t *testing.T, resp *http.Response) {
			var jobs []apitype.Job
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&jobs))
			require.Len(t, jobs, 2)
			assert.Equal(t, []string{"job-1", "job-2"}, []string{jobs[0].ID, jobs[1].ID})
		}},
		{name: "job", method: "GET", path: "/v1/jobs/job-1", status: 200, check: func(t *testing.T, resp *http.Response) {
			var j apitype.Job
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&j))
			assert.Equal(t, running.ID, j.ID)
			assert.Equal(t, apitype.StateInstalling, j.State)
		}},
		{name: "job not found", method: "GET", path: "/v1/jobs/nope", status: 404,
			err: &errWant{code: "not_found", contains: []string{`no job "nope"`}}},
		{name: "submit", method: "POST", path: "/v1/jobs", body: `{"action":"uninstall","product":"cadpro","priority":5}`,
			status: 202, check: func(t *testing.T, resp *http.Response) {
				var j apitype.Job
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&j))
				assert.Equal(t, apitype.ActionUninstall, j.Action)
				assert.Equal(t, "cadpro", j.Product)
				assert.Equal(t, 5, j.Priority)
				assert.Equal(t, "/v1/jobs/"+j.ID, resp.Header.Get("Location"))
			}},
		{name: "submit with ticket", method: "POST", path: "/v1/jobs", body: `{"action":"install","ticket":"eyJ0IjoxfQ=="}`,
			status: 202, check: func(t *testing.T, resp *http.Response) {
				var j apitype.Job
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&j))
				assert.Equal(t, apitype.ActionInstall, j.Action)
				assert.Equal(t, apitype.StateQueued, j.State)
			}},
		{name: "malformed JSON", method: "POST", path: "/v1/jobs", body: "{\n  \"action\": \"install\",\n  \"ticket\" \"x\"\n}",
			status: 400, err: &errWant{code: "bad_request", contains: []string{"malformed JSON at line 3, column 12"}}},
		{name: "truncated JSON", method: "POST", path: "/v1/jobs", body: `{"action":"install"`,
			status: 400, err: &errWant{code: "bad_request", contains: []string{"ends early", "line 1, column 20"}}},
		{name: "unknown field", method: "POST", path: "/v1/jobs", body: `{"action":"uninstall","product":"cadpro","force":true}`,
			status: 400, err: &errWant{code: "bad_request", field: "force", contains: []string{`unknown field "force" at line 1, column 42`}}},
		{name: "wrong type", method: "POST", path: "/v1/jobs", body: `{"action":"uninstall","product":"cadpro","priority":"high"}`,
			status: 400, err: &errWant{code: "bad_request", field: "priority", contains: []string{`field "priority" at line 1, column 42 must be int`}}},
		{name: "ticket not base64", method: "POST", path: "/v1/jobs", body: `{"action":"install","ticket":"{not base64}"}`,
			status: 400, err: &errWant{code: "bad_request", field: "ticket", contains: []string{"base64"}}},
		{name: "empty body", method: "POST", path: "/v1/jobs", body: "",
			status: 400, err: &errWant{code: "bad_request", contains: []string{"empty"}}},
		{name: "two objects", method: "POST", path: "/v1/jobs", body: `{"action":"uninstall","product":"a"} {}`,
			status: 400, err: &errWant{code: "bad_request", contains: []string{"after the JSON object"}}},
		{name: "too large", method: "POST", path: "/v1/jobs", body: `{"action":"install","ticket":"` + strings.Repeat("A", maxRequestBody) + `"}`,
			status: 413, err: &errWant{code: "too_large", contains: []string{"larger than"}}},
		{name: "no action", method: "POST", path: "/v1/jobs", body: `{"product":"cadpro"}`,
			status: 400, err: &errWant{code: "bad_request", field: "action", contains: []string{`no "action"`}}},
		{name: "unknown action", method: "POST", path: "/v1/jobs", body: `{"action":"reinstall","product":"cadpro"}`,
			status: 400, err: &errWant{code: "bad_request", field: "action", contains: []string{`"reinstall" is not known`}}},
		{name: "install without ticket", method: "POST", path: "/v1/jobs", body: `{"action":"install","product":"cadpro"}`,
			status: 400, err: &errWant{code: "bad_request", field: "ticket", contains: []string{"release ticket"}}},
		{name: "uninstall without product", method: "POST", path: "/v1/jobs", body: `{"action":"uninstall"}`,
			status: 400, err: &errWant{code: "bad_request", field: "product"}},
		{name: "backend refuses the ticket", method: "POST", path: "/v1/jobs", body: `{"action":"install","ticket":"eA=="}`,
			setup: func(b *localapitest.Backend) {
				b.SetSubmitError(&localapitest.Error{Status: 422, Code: "ticket_refused", Field: "ticket", Msg: "ticket is not signed by a trusted key"})
			},
			status: 422, err: &errWant{code: "ticket_refused", field: "ticket", contains: []string{"trusted key"}}},
		{name: "backend fails", method: "POST", path: "/v1/jobs", body: `{"action":"uninstall","product":"cadpro"}`,
			setup:  func(b *localapitest.Backend) { b.SetSubmitError(errors.New("journal: disk full")) },
			status: 500, err: &errWant{code: "internal", contains: []string{"disk full", "log"}}},
		{name: "cancel", method: "POST", path: "/v1/jobs/job-1/cancel", status: 200, check: func(t *testing.T, resp *http.Response) {
			var j apitype.Job
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&j))
			assert.Equal(t, apitype.StateCancelled, j.State)
		}},
		{name: "cancel a finished job", method: "POST", path: "/v1/jobs/job-2/cancel",
			status: 409, err: &errWant{code: "conflict", contains: []string{"already ended"}}},
		{name: "cancel unknown job", method: "POST", path: "/v1/jobs/nope/cancel",
			status: 404, err: &errWant{code: "not_found"}},
		{name: "Origin refused", method: "GET", path: "/v1/status", header: http.Header{"Origin": {"http://evil.example"}},
			status: 403, err: &errWant{code: "forbidden", contains: []string{"browsers may not call the agent", "Origin"}}},
		{name: "Referer refused", method: "POST", path: "/v1/jobs", body: `{"action":"uninstall","product":"cadpro"}`,
			header: http.Header{"Referer": {"http://evil.example/page"}},
			status: 403, err: &errWant{code: "forbidden", contains: []string{"browsers may not call the agent", "Referer"}}},
		{name: "Sec-Fetch-Site refused", method: "GET", path: "/v1/software", header: http.Header{"Sec-Fetch-Site": {"cross-site"}},
			status: 403, err: &errWant{code: "forbidden", contains: []string{"browsers"}}},
		{name: "Sec-Fetch-Mode refused", method: "GET", path: "/v1/jobs", header: http.Header{"Sec-Fetch-Mode": {"no-cors"}},
			status: 403, err: &errWant{code: "forbidden", contains: []string{"browsers"}}},
		{name: "method not allowed", method: "DELETE", path: "/v1/jobs",
			status: 405, err: &errWant{code: "method_not_allowed", contains: []string{"GET or POST"}}},
		{name: "GET on cancel", method: "GET", path: "/v1/jobs/job-1/cancel",
			status: 405, err: &errWant{code: "method_not_allowed", contains: []string{"use POST"}}},
		{name: "POST on status", method: "POST", path: "/v1/status", body: "{}",
			status: 405, err: &errWant{code: "method_not_allowed"}},
		{name: "unknown endpoint", method: "GET", path: "/v1/licenses",
			status: 404, err: &errWant{code: "not_found", contains: []string{"/v1/licenses"}}},
		{name: "bad Last-Event-ID", method: "GET", path: "/v1/events", header: http.Header{"Last-Event-Id": {"yesterday"}},
			status: 400, err: &errWant{code: "bad_request", field: "Last-Event-ID"}},
		{name: "bad tail", method: "GET", path: "/v1/jobs/job-1/log?tail=-3",
			status: 400, err: &errWant{code: "bad_request", field: "tail"}},
		{name: "bad follow", method: "GET", path: "/v1/jobs/job-1/log?follow=perhaps",
			status: 400, err: &errWant{code: "bad_request", field: "follow"}},
		{name: "log of unknown job", method: "GET", path: "/v1/jobs/nope/log",
			status: 404, err: &errWant{code: "not_found"}},
		{name: "log not written yet", method: "GET", path: "/v1/jobs/job-1/log", status: 200, check: func(t *testing.T, resp *http.Response) {
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Empty(t, body)
			assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, Policy{})
			seed(ts.b)
			if tt.setup != nil {
				tt.setup(ts.b)
			}
			resp := ts.do(t, tt.method, tt.path, tt.header, tt.body)
			require.Equal(t, tt.status, resp.StatusCode)
			if tt.status == http.StatusMethodNotAllowed {
				assert.NotEmpty(t, resp.Header.Get("Allow"))
			}
			if tt.err != nil {
				e := readAPIError(t, resp)
				assert.Equal(t, tt.err.code, e.Code)
				assert.Equal(t, tt.err.field, e.Field)
				for _, s := range tt.err.contains {
					assert.Contains(t, e.Error, s)
				}
				return
			}
			require.NotNil(t, tt.check, "a success case checks its answer")
			tt.check(t, resp)
		})
	}
}

func TestAllowHeader(t *testing.T) {
	ts := startServer(t, Policy{})
	for path, want := range map[string]string{
		"/v1/jobs":          "GET, POST",
		"/v1/jobs/x/cancel": "POST",
		"/v1/events":        "GET",
		"/v1/jobs/x/log":    "GET",
		"/v1/status":        "GET",
	} {
		resp := ts.do(t, "PUT", path, nil, "")
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, path)
		assert.Equal(t, want, resp.Header.Get("Allow"), path)
	}
}

func TestSubmitReachesBackend(t *testing.T) {
	ts := startServer(t, Policy{})
	resp := ts.do(t, "POST", "/v1/jobs", nil, `{"action":"install","ticket":"aGVsbG8=","allow_downgrade":true}`)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	got := ts.b.Submitted()
	require.Len(t, got, 1)
	assert.Equal(t, apitype.JobRequest{Action: apitype.ActionInstall, Ticket: []byte("hello"), AllowDowngrade: true}, got[0])
}

func TestPosition(t *testing.T) {
	data := []byte("ab\ncde\n\nf")
	tests := []struct {
		offset    int64
		line, col int
	}{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {7, 3, 1}, {8, 4, 1}, {9, 4, 2}, {99, 4, 2}, {-1, 1, 1},
	}
	for _, tt := range tests {
		line, col := position(data, tt.offset)
		assert.Equal(t, [2]int{tt.line, tt.col}, [2]int{line, col}, "offset %d", tt.offset)
	}
}

// TestShutdownEndsStreams: Shutdown must not wait for event streams, which never go idle.
func TestShutdownEndsStreams(t *testing.T) {
	dir := t.TempDir()
	b := localapitest.New(dir)
	srv := NewServer(b, Policy{}, nil)
	sock := filepath.Join(dir, "agent.sock")
	ln, err := Listen(sock, ListenOptions{})
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	req, err := http.NewRequest("GET", "http://local/v1/events", nil)
	require.NoError(t, err)
	resp, err := unixClient(sock).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx), "Shutdown waits for the stream to end, not for its deadline")
	require.NoError(t, <-served)
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err, "the stream ends cleanly")
}
