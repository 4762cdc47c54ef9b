package localapi

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/localapi/localapitest"
)

// updateBackend adds a scripted self-update to the in-memory backend.
type updateBackend struct {
	*localapitest.Backend
	answer apitype.UpdateStatus
	err    error

	mu   sync.Mutex
	reqs []apitype.UpdateRequest
}

func (b *updateBackend) AgentUpdateStatus(context.Context) (apitype.UpdateStatus, error) {
	return apitype.UpdateStatus{State: apitype.UpdateIdle, Current: "1.0.0"}, nil
}

func (b *updateBackend) AgentUpdate(_ context.Context, req apitype.UpdateRequest) (apitype.UpdateStatus, error) {
	b.mu.Lock()
	b.reqs = append(b.reqs, req)
	b.mu.Unlock()
	return b.answer, b.err
}

// serveBackend starts a server of b on a temp socket.
func serveBackend(t *testing.T, b Backend) *testServer {
	t.Helper()
	ts := &testServer{sock: filepath.Join(t.TempDir(), "agent.sock")}
	ts.srv = NewServer(b, Policy{}, nil)
	ts.serve(t)
	return ts
}

func TestAgentUpdateEndpoint(t *testing.T) {
	waiting := apitype.UpdateStatus{State: apitype.UpdateWaiting, Current: "1.0.0", Available: "2.0.0"}
	refused := &localapitest.Error{Status: http.StatusUnprocessableEntity, Code: "update_signature", Msg: "not signed by a trusted key"}
	cases := []struct {
		name, method, body string
		answer             apitype.UpdateStatus
		err                error
		status             int
		code               string
		want               *apitype.UpdateRequest // what reached the backend
	}{
		{name: "status", method: "GET", status: http.StatusOK},
		{name: "empty body checks and applies", method: "POST", answer: waiting, status: http.StatusAccepted, want: &apitype.UpdateRequest{}},
		{name: "check only", method: "POST", body: `{"check_only":true}`, answer: apitype.UpdateStatus{State: apitype.UpdateFound},
			status: http.StatusOK, want: &apitype.UpdateRequest{CheckOnly: true}},
		{name: "unknown field", method: "POST", body: `{"version":"9"}`, status: http.StatusBadRequest, code: "bad_request"},
		{name: "refused release", method: "POST", err: refused, status: http.StatusUnprocessableEntity, code: "update_signature", want: &apitype.UpdateRequest{}},
		{name: "other method", method: "DELETE", status: http.StatusMethodNotAllowed, code: "method_not_allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &updateBackend{Backend: localapitest.New(t.TempDir()), answer: tc.answer, err: tc.err}
			ts := serveBackend(t, b)
			resp := ts.do(t, tc.method, "/v1/agent/update", nil, tc.body)
			require.Equal(t, tc.status, resp.StatusCode)
			if tc.code != "" {
				assert.Equal(t, tc.code, readAPIError(t, resp).Code)
			} else {
				var st apitype.UpdateStatus
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
				assert.NotEmpty(t, st.State)
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			if tc.want == nil {
				assert.Empty(t, b.reqs)
			} else {
				assert.Equal(t, []apitype.UpdateRequest{*tc.want}, b.reqs)
			}
		})
	}
}

func TestAgentUpdateWithoutUpdater(t *testing.T) {
	ts := startServer(t, Policy{}) // the plain in-memory backend has no self-update
	for _, method := range []string{"GET", "POST"} {
		e := readAPIError(t, ts.do(t, method, "/v1/agent/update", nil, ""))
		assert.Equal(t, "not_found", e.Code)
		assert.Contains(t, e.Error, "no self-update")
	}
}
