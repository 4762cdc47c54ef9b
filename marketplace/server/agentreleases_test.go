package server

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"aead.dev/minisign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// publishAgent sends up as the vendor with creds, signed as iscdesk-pack would sign it.
func (e *env) publishAgent(creds VendorCredentials, up any) *http.Response {
	e.t.Helper()
	body, err := json.Marshal(up)
	require.NoError(e.t, err)
	req, err := http.NewRequest("POST", e.ts.URL+"/v1/vendor/agent-releases", bytes.NewReader(body))
	require.NoError(e.t, err)
	sum := sha256.Sum256(body)
	d := e.clock.Now().UTC().Format(api.VendorDateFormat)
	req.Header.Set(api.VendorDateHeader, d)
	req.Header.Set(api.VendorBodyHeader, hex.EncodeToString(sum[:]))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", api.VendorAuthorization(creds.AccessKey,
		api.VendorSignature(creds.Secret, "POST", "/v1/vendor/agent-releases", d, hex.EncodeToString(sum[:]))))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	return resp
}

func (e *env) vendorCreds() VendorCredentials {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.dir, "vendor.json"))
	require.NoError(e.t, err)
	var creds VendorCredentials
	require.NoError(e.t, json.Unmarshal(data, &creds))
	return creds
}

func signedUpload(t *testing.T, version, goos string, binary []byte) api.AgentReleaseUpload {
	t.Helper()
	_, priv, err := minisign.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return api.AgentReleaseUpload{Version: version, OS: goos, Arch: "amd64", Minisig: string(minisign.Sign(priv, binary)), Binary: binary}
}

func TestAgentReleasesPublishListServe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	creds := e.vendorCreds()

	older, newer := []byte("agent 1.9.0"), []byte("agent 1.10.0")
	var rel api.AgentRelease
	decode(t, e.publishAgent(creds, signedUpload(t, "1.9.0", "linux", older)), http.StatusCreated, &rel)
	assert.Equal(t, DefaultAgentChannel, rel.Channel)
	decode(t, e.publishAgent(creds, signedUpload(t, "1.10.0", "linux", newer)), http.StatusCreated, &rel)
	sum := sha256.Sum256(newer)
	assert.Equal(t, hex.EncodeToString(sum[:]), rel.SHA256)
	assert.Equal(t, int64(len(newer)), rel.Size)

	var list []api.AgentRelease
	decode(t, e.do("GET", "/v1/agent/releases?os=linux&arch=amd64&channel=stable", "", nil), http.StatusOK, &list)
	require.Len(t, list, 2)
	assert.Equal(t, []string{"1.10.0", "1.9.0"}, []string{list[0].Version, list[1].Version}, "newest first, by version order")
	var sig minisign.Signature
	require.NoError(t, sig.UnmarshalText([]byte(list[0].Minisig)))

	resp, err := http.Get(list[0].URL)
	require.NoError(t, err)
	served, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, newer, served)

	for _, q := range []string{"os=windows&arch=amd64", "os=linux&arch=arm64", "os=linux&arch=amd64&channel=beta"} {
		decode(t, e.do("GET", "/v1/agent/releases?"+q, "", nil), http.StatusOK, &list)
		assert.Empty(t, list, q)
	}
	assert.Equal(t, "not_found", apiError(t, e.do("GET", "/agent/iscdesk-agent-stable-9.9.9-linux-amd64", "", nil), http.StatusNotFound).Code)
	assert.Equal(t, "not_found", apiError(t, e.do("GET", "/agent/..%2fmarket.db", "", nil), http.StatusNotFound).Code)
}

func TestAgentReleasesRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	creds := e.vendorCreds()
	decode(t, e.publishAgent(creds, signedUpload(t, "2.0.0", "linux", []byte("bin"))), http.StatusCreated, nil)

	edit := func(f func(*api.AgentReleaseUpload)) api.AgentReleaseUpload {
		up := signedUpload(t, "3.0.0", "linux", []byte("bin"))
		f(&up)
		return up
	}
	cases := []struct {
		name   string
		creds  VendorCredentials
		up     any
		status int
		code   string
		field  string
	}{
		{"same version again", creds, signedUpload(t, "2.0.0", "linux", []byte("other")), http.StatusConflict, "release_exists", "version"},
		{"bad version", creds, edit(func(u *api.AgentReleaseUpload) { u.Version = "latest" }), http.StatusBadRequest, "invalid_field", "version"},
		{"unknown os", creds, edit(func(u *api.AgentReleaseUpload) { u.OS = "plan9" }), http.StatusBadRequest, "invalid_field", "os"},
		{"bad channel", creds, edit(func(u *api.AgentReleaseUpload) { u.Channel = "Beta/1" }), http.StatusBadRequest, "invalid_field", "channel"},
		{"no signature", creds, edit(func(u *api.AgentReleaseUpload) { u.Minisig = "" }), http.StatusBadRequest, "invalid_field", "minisig"},
		{"empty binary", creds, edit(func(u *api.AgentReleaseUpload) { u.Binary = nil }), http.StatusBadRequest, "invalid_field", "binary"},
		{"unknown field", creds, map[string]any{"version": "3.0.0", "url": "http://x"}, http.StatusBadRequest, "invalid_field", "url"},
		{"wrong secret", VendorCredentials{creds.AccessKey, "nope"}, signedUpload(t, "3.0.0", "linux", []byte("bin")), http.StatusUnauthorized, "unauthorized", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := apiError(t, e.publishAgent(tc.creds, tc.up), tc.status)
			assert.Equal(t, tc.code, got.Code, got.Message)
			assert.Equal(t, tc.field, got.Field, got.Message)
		})
	}
	var list []api.AgentRelease
	decode(t, e.do("GET", "/v1/agent/releases?os=linux&arch=amd64", "", nil), http.StatusOK, &list)
	require.Len(t, list, 1, "no refused upload is listed")
	assert.Equal(t, "2.0.0", list[0].Version)

	assert.Equal(t, "os", apiError(t, e.do("GET", "/v1/agent/releases?arch=amd64", "", nil), http.StatusBadRequest).Field)
	assert.Equal(t, "arch", apiError(t, e.do("GET", "/v1/agent/releases?os=linux&arch=mips", "", nil), http.StatusBadRequest).Field)
}
