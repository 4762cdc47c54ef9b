package license

import (
	"encoding/base64"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authTokenCases were computed with
// printf '%s' "$message" | openssl dgst -sha256 -hmac "$secret$timeStamp" -binary | base64
// and are checked against openssl again below when it is installed.
var authTokenCases = []struct {
	name, secret, message string
	at                    time.Time
	params                map[string]string // without the signature parameters
	wantTS, want          string
}{
	{
		name:    "short",
		secret:  "secret",
		at:      time.Date(2026, 11, 27, 11, 5, 32, 42_999_999, time.UTC),
		params:  map[string]string{"b": "2", "a": "1"},
		wantTS:  "20261127110532042",
		message: "a=1&b=2&timeStamp=20261127110532042",
		want:    "z9LVXQKoA+QR4YwtWEMQfOChrZS+O69/B0xjVD9inQg=",
	},
	{
		name:   "license request",
		secret: "vendor-secret",
		params: map[string]string{
			ParamLicenseID: "lic-1", ParamTenant: "t1", ParamProduct: "cadpro",
			ParamFingerprint: "00:1a:2b:3c:4d:5e|WD-123|BRD-9|BFEBFBFF000906EA",
			ParamEffectiveAt: "2026-01-01T00:00:00Z", ParamExpiresAt: "2027-01-01T00:00:00Z",
			ParamRequestID: "key-1",
		},
		at:      time.Date(2026, 1, 2, 11, 4, 5, 6_000_000, time.FixedZone("CST", 8*3600)),
		wantTS:  "20260102030405006",
		message: "effectiveAt=2026-01-01T00:00:00Z&expiresAt=2027-01-01T00:00:00Z&fingerprint=00:1a:2b:3c:4d:5e|WD-123|BRD-9|BFEBFBFF000906EA&licenseId=lic-1&productId=cadpro&requestId=key-1&tenantId=t1&timeStamp=20260102030405006",
		want:    "IdNj7b8drTFFyFoJUPX0A4oXiHcFLfyKLkLM/5fGDcw=",
	},
}

func TestAuthTokenFixedInputs(t *testing.T) {
	for _, tt := range authTokenCases {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]string{ParamAuthToken: "stale, replaced"}
			for k, v := range tt.params {
				params[k] = v
			}
			SignParams(params, tt.secret, tt.at)
			assert.Equal(t, tt.wantTS, params[ParamTimeStamp])
			assert.Equal(t, tt.want, params[ParamAuthToken])
		})
	}
}

func TestAuthTokenMatchesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed; the fixed cases of TestAuthTokenFixedInputs still hold")
	}
	for _, tt := range authTokenCases {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("openssl", "dgst", "-sha256", "-hmac", tt.secret+tt.wantTS, "-binary")
			cmd.Stdin = strings.NewReader(tt.message)
			out, err := cmd.Output()
			require.NoError(t, err)
			assert.Equal(t, tt.want, base64.StdEncoding.EncodeToString(out))
		})
	}
}

func TestVerifyAuthToken(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	signed := func() url.Values {
		p := SignParams(map[string]string{"licenseId": "lic-1", "productId": "cadpro"}, "s3cret", now)
		v := url.Values{}
		for k, val := range p {
			v.Set(k, val)
		}
		return v
	}
	tests := []struct {
		name    string
		edit    func(url.Values)
		secret  string
		at      time.Time
		wantErr string
	}{
		{"good", func(url.Values) {}, "s3cret", now, ""},
		{"skew within bounds", func(url.Values) {}, "s3cret", now.Add(4 * time.Minute), ""},
		{"wrong secret", func(url.Values) {}, "other", now, "does not match"},
		{"altered parameter", func(v url.Values) { v.Set("productId", "other") }, "s3cret", now, "does not match"},
		{"added parameter", func(v url.Values) { v.Set("extra", "1") }, "s3cret", now, "does not match"},
		{"repeated parameter", func(v url.Values) { v.Add("productId", "x") }, "s3cret", now, "appears 2 times"},
		{"old request", func(url.Values) {}, "s3cret", now.Add(10 * time.Minute), "away from now"},
		{"no timeStamp", func(v url.Values) { v.Del(ParamTimeStamp) }, "s3cret", now, "no timeStamp"},
		{"bad timeStamp", func(v url.Values) { v.Set(ParamTimeStamp, "2026-01-02") }, "s3cret", now, "yyyyMMddHHmmssSSS"},
		{"no authToken", func(v url.Values) { v.Del(ParamAuthToken) }, "s3cret", now, "no authToken"},
		{"token not base64", func(v url.Values) { v.Set(ParamAuthToken, "%%%") }, "s3cret", now, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := signed()
			tt.edit(v)
			err := VerifyAuthToken(v, tt.secret, tt.at, 5*time.Minute)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}
