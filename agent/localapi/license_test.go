package localapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/localapi/localapitest"
)

// licenseBackend is the in-memory backend with a license broker.
type licenseBackend struct {
	*localapitest.Backend
	*localapitest.LicenseBroker
}

// startLicenseServer is a real server on a unix socket whose backend installs licenses.
func startLicenseServer(t *testing.T) (*testServer, *localapitest.LicenseBroker) {
	t.Helper()
	dir := t.TempDir()
	lb := localapitest.NewLicenseBroker()
	ts := &testServer{b: localapitest.New(dir), sock: filepath.Join(dir, "agent.sock")}
	ts.srv = NewServer(licenseBackend{ts.b, lb}, Policy{}, nil)
	ts.serve(t)
	return ts, lb
}

func licenseBody(product, content, sum string) string {
	if sum == "" {
		s := sha256.Sum256([]byte(content))
		sum = hex.EncodeToString(s[:])
	}
	return fmt.Sprintf(`{"product":%q,"content":%q,"sha256":%q,"file_name":"x.lic"}`,
		product, base64.StdEncoding.EncodeToString([]byte(content)), sum)
}

func TestLicenseEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
		want   string // in the error message
	}{
		{name: "installed", body: licenseBody("demo-solver", "LICENSE 1", ""), status: 200},
		{name: "bad sha256", body: licenseBody("demo-solver", "LICENSE 1", "00"), status: 400, code: "bad_request", field: "sha256", want: "SHA-256"},
		{name: "not installed", body: licenseBody("cad-viewer", "LICENSE 1", ""), status: 404, code: "not_found", field: "product", want: "not installed"},
		{name: "no product", body: licenseBody("", "LICENSE 1", ""), status: 400, code: "bad_request", field: "product"},
		{name: "no content", body: `{"product":"demo-solver","sha256":"ab"}`, status: 400, code: "bad_request", field: "content"},
		{name: "no sha256", body: `{"product":"demo-solver","content":"eA=="}`, status: 400, code: "bad_request", field: "sha256"},
		{name: "content not base64", body: `{"product":"demo-solver","content":"not base64!","sha256":"ab"}`, status: 400, code: "bad_request", field: "content", want: "base64"},
		{name: "unknown field", body: `{"product":"demo-solver","licence":"x"}`, status: 400, code: "bad_request", field: "licence", want: "file_name"},
		{name: "empty body", body: "", status: 400, code: "bad_request", want: "product"},
		{name: "two objects", body: licenseBody("demo-solver", "x", "") + "{}", status: 400, code: "bad_request", want: "one object"},
		{name: "malformed", body: `{"product":`, status: 400, code: "bad_request", want: "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, lb := startLicenseServer(t)
			path := filepath.Join(t.TempDir(), "license", "solver.lic")
			lb.SetTarget("demo-solver", path, "")
			resp := ts.do(t, "POST", "/v1/licenses", nil, tt.body)
			require.Equal(t, tt.status, resp.StatusCode)
			if tt.status != http.StatusOK {
				e := readAPIError(t, resp)
				assert.Equal(t, tt.code, e.Code)
				assert.Equal(t, tt.field, e.Field)
				assert.Contains(t, e.Error, tt.want)
				assert.NoFileExists(t, path)
				return
			}
			var got apitype.License
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
			assert.Equal(t, path, got.Path)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, "LICENSE 1", string(data))
			require.Len(t, lb.Requests(), 1)
			assert.Equal(t, "x.lic", lb.Requests()[0].FileName)

			list := ts.do(t, "GET", "/v1/licenses", nil, "")
			require.Equal(t, http.StatusOK, list.StatusCode)
			var all []apitype.License
			require.NoError(t, json.NewDecoder(list.Body).Decode(&all))
			assert.Equal(t, []apitype.License{got}, all)
		})
	}
}

func TestLicensesWithoutBroker(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Policy{})
	for _, method := range []string{"GET", "POST"} {
		resp := ts.do(t, method, "/v1/licenses", nil, licenseBody("demo-solver", "x", ""))
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		e := readAPIError(t, resp)
		assert.Equal(t, "not_found", e.Code)
		assert.Contains(t, e.Error, "-o FILE")
	}
	ts, _ = startLicenseServer(t)
	resp := ts.do(t, "GET", "/v1/licenses", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var all []apitype.License
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&all))
	assert.NotNil(t, all, "an empty list is [], not null")
	assert.Empty(t, all)
}
