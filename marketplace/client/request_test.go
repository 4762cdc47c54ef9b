package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// errorCodes are the codes the marketplace gives with some statuses.
var errorCodes = map[int]string{404: "not_found", 429: "rate_limited", 500: "internal", 502: "bad_gateway", 503: "unavailable"}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		call      func(ctx context.Context, c *Client) error
		statuses  []int // answered in turn; 200 ends
		wantCalls int
		wantErr   string
	}{
		{
			name:      "GET retried on 503 until it succeeds",
			call:      func(ctx context.Context, c *Client) error { _, err := c.Me(ctx); return err },
			statuses:  []int{503, 500, 200},
			wantCalls: 3,
		},
		{
			name:      "GET gives up after the retries",
			call:      func(ctx context.Context, c *Client) error { _, err := c.Me(ctx); return err },
			statuses:  []int{500, 500, 500, 500, 500},
			wantCalls: 4,
			wantErr:   "500 Internal Server Error (internal)",
		},
		{
			name:      "GET not retried on 404",
			call:      func(ctx context.Context, c *Client) error { _, err := c.Order(ctx, "ord_1"); return err },
			statuses:  []int{404, 200},
			wantCalls: 1,
			wantErr:   "404 Not Found (not_found)",
		},
		{
			name: "POST with an Idempotency-Key retried",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Ticket(ctx, "cadpro", "", "linux/amd64")
				return err
			},
			statuses:  []int{502, 429, 200},
			wantCalls: 3,
		},
		{
			name: "POST without an Idempotency-Key not retried",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.exchange(ctx, map[string][]string{"grant_type": {"authorization_code"}})
				return err
			},
			statuses:  []int{503, 200},
			wantCalls: 1,
			wantErr:   "503 Service Unavailable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			calls := 0
			keys := map[string]bool{}
			base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				status := tt.statuses[calls]
				calls++
				if k := r.Header.Get(api.IdempotencyHeader); k != "" {
					keys[k] = true
				}
				mu.Unlock()
				if status != 200 {
					writeAPIError(w, status, errorCodes[status], "", "try later")
					return
				}
				switch r.URL.Path {
				case "/v1/tickets":
					writeJSON(w, 200, api.TicketResponse{Ticket: api.RawJSON(`{"product":"cadpro"}`), Product: "cadpro"})
				case "/oauth/token":
					writeJSON(w, 200, api.Token{AccessToken: "a"})
				default:
					writeJSON(w, 200, api.Me{Username: "eng"})
				}
			}))
			c := New(base, fastOptions(newMemStore())).WithToken("tok")
			err := tt.call(context.Background(), c)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
			} else {
				require.NoError(t, err)
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, tt.wantCalls, calls)
			assert.LessOrEqual(t, len(keys), 1, "every retry carries the same Idempotency-Key")
		})
	}
}

// TestRetryAfterDroppedConnection: a connection cut before the answer is a network error, retried.
func TestRetryAfterDroppedConnection(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := 0
	base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			if conn, _, err := http.NewResponseController(w).Hijack(); assert.NoError(t, err) {
				conn.Close()
			}
			return
		}
		writeJSON(w, 200, api.Me{Username: "eng"})
	}))
	me, err := New(base, fastOptions(newMemStore())).WithToken("tok").Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "eng", me.Username)
	assert.Equal(t, 2, calls)
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now

	_, err = New(base, fastOptions(newMemStore())).WithToken("tok").Me(context.Background())
	require.ErrorIs(t, err, ErrUnreachable)
	var ue *UnreachableError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, base, ue.URL)
	assert.Contains(t, err.Error(), "the marketplace at "+base+" cannot be reached")
	assert.Contains(t, err.Error(), "check the address in settings")

	for _, bad := range []string{"", "127.0.0.1:8780", "ftp://host", "http://", "http://h/?q=1"} {
		_, err := New(bad, fastOptions(newMemStore())).WithToken("t").Me(context.Background())
		assert.ErrorIs(t, err, ErrUnreachable, "address %q", bad)
		assert.ErrorContains(t, err, "not an http:// or https:// URL", "address %q", bad)
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		status          int
		contentType     string
		body            string
		want            APIError
		wantUnreachable bool
	}{
		{
			name: "API error with a field", status: 400, contentType: "application/json",
			body: `{"code":"invalid_field","field":"fingerprint","message":"fingerprint must be MAC|disk|board|cpu"}`,
			want: APIError{Status: 400, Code: "invalid_field", Field: "fingerprint", Message: "fingerprint must be MAC|disk|board|cpu"},
		},
		{
			name: "OAuth error", status: 400, contentType: "application/json",
			body: `{"error":"invalid_grant","error_description":"the code was already used"}`,
			want: APIError{Status: 400, Code: "invalid_grant", Message: "the code was already used"},
		},
		{
			name: "a proxy's page", status: 502, contentType: "text/html",
			body:            "<html>Bad gateway</html>",
			want:            APIError{Status: 502, Message: "<html>Bad gateway</html>"},
			wantUnreachable: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			o := fastOptions(newMemStore())
			o.Retries = -1
			_, err := New(base, o).WithToken("tok").Me(context.Background())
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.want.Status, apiErr.Status)
			assert.Equal(t, tt.want.Code, apiErr.Code)
			assert.Equal(t, tt.want.Field, apiErr.Field)
			assert.Equal(t, tt.want.Message, apiErr.Message)
			assert.Equal(t, tt.wantUnreachable, errors.Is(err, ErrUnreachable))
			assert.True(t, strings.HasPrefix(err.Error(), "marketplace: GET /v1/me: "), err.Error())
		})
	}
}

func TestCancelledWhileWaitingToRetry(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, 503, "unavailable", "", "down for maintenance")
	}))
	o := fastOptions(newMemStore())
	o.Backoff = DefaultTimeout // long enough that only the cancel can end the wait
	// The caller gives up once the first answer is in hand, while the client backs off.
	o.HTTPClient = &http.Client{Transport: afterResponse{http.DefaultTransport, cancel}}
	_, err := New(base, o).WithToken("tok").Me(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "down for maintenance", "the last failure is kept")
}

// afterResponse reads each answer into memory, then calls fn.
type afterResponse struct {
	base http.RoundTripper
	fn   func()
}

func (a afterResponse) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(r)
	if err == nil {
		body, readErr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if readErr != nil {
			return nil, readErr
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	a.fn()
	return resp, err
}

func TestIdempotencyKeyFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k := newIdempotencyKey()
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, k)
		assert.False(t, seen[k])
		seen[k] = true
	}
}
