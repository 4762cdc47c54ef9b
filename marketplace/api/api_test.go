package api

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestSpecIsOpenAPI31WithResolvableRefs(t *testing.T) {
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(Spec, &doc))
	assert.Equal(t, "3.1.0", doc["openapi"])
	require.NotEmpty(t, doc["paths"])

	// Every local $ref names something that exists.
	for _, m := range regexp.MustCompile(`\$ref: "#/([^"]+)"`).FindAllStringSubmatch(string(Spec), -1) {
		var node any = doc
		for _, part := range strings.Split(m[1], "/") {
			obj, ok := node.(map[string]any)
			require.True(t, ok, "$ref %s: %s is not an object", m[1], part)
			node, ok = obj[part]
			require.True(t, ok, "$ref %s does not resolve", m[1])
		}
	}
}

func TestVendorSignature(t *testing.T) {
	// Expected value computed by hand with:
	//   printf 'ISCDESK-HMAC-SHA256\nPOST\n/v1/vendor/releases\n20260102T150405Z\n<sha256 of "hello">' | openssl dgst -sha256 -hmac s3cr3t
	const helloSHA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	cases := []struct {
		name, secret, method, path, date, body, want string
	}{
		{"fixed input", "s3cr3t", "POST", "/v1/vendor/releases", "20260102T150405Z", helloSHA, "8efe0a0b346c1863e667f766c7623df7490f1dc91b6eab81a3a2c940d438a1e3"},
		{"method and digest case do not matter", "s3cr3t", "post", "/v1/vendor/releases", "20260102T150405Z", strings.ToUpper(helloSHA), "8efe0a0b346c1863e667f766c7623df7490f1dc91b6eab81a3a2c940d438a1e3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, VendorSignature(tc.secret, tc.method, tc.path, tc.date, tc.body))
		})
	}
	assert.NotEqual(t, cases[0].want, VendorSignature("other", "POST", "/v1/vendor/releases", "20260102T150405Z", helloSHA))
	assert.Equal(t, "ISCDESK-HMAC-SHA256 Access=AK1, Signature=ab", VendorAuthorization("AK1", "ab"))
}

func TestRawJSON(t *testing.T) {
	out, err := RawJSON(nil).MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, "null", string(out))
	var r RawJSON
	require.NoError(t, r.UnmarshalJSON([]byte(`{"a":1}`)))
	assert.Equal(t, `{"a":1}`, string(r))
}
