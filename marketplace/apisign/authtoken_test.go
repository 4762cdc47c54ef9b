package apisign

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthToken(t *testing.T) {
	tests := []struct {
		name    string
		secret  string
		ts      time.Time
		params  map[string]string
		wantTS  string
		wantKey string // secret + timeStamp, written by hand
		wantMsg string // the sorted parameters, written by hand
		want    string // openssl dgst -sha256 -hmac KEY -binary | base64
	}{
		{
			name:    "sorted by key, values as given",
			secret:  "s3cret",
			ts:      time.Date(2026, 11, 20, 10, 0, 0, 123_999_999, time.UTC),
			params:  map[string]string{"c": "x y", "a": "1", "b": "2"},
			wantTS:  "20261120100000123",
			wantKey: "s3cret20261120100000123",
			wantMsg: "a=1&b=2&c=x y",
			want:    "R4RC509+IasS2Z5B0urSaM4GB2bVZ8AOwFU9ZB12B1c=",
		},
		{
			name:    "no parameters, local time converted to UTC",
			secret:  "k",
			ts:      time.Date(2026, 1, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)),
			params:  nil,
			wantTS:  "20260101000000000",
			wantKey: "k20260101000000000",
			wantMsg: "",
			want:    "+zBx6y9MP0Q+zBuaunJOUFOKwDcISTU2rGy7O2OTXls=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantMsg, sortedParams(tt.params))
			token, ts := AuthToken(tt.secret, tt.ts, tt.params)
			assert.Equal(t, tt.wantTS, ts)
			assert.Equal(t, tt.want, token)
			if got, ok := opensslHMACBase64(t, tt.wantKey, tt.wantMsg); ok {
				assert.Equal(t, got, token, "openssl disagrees")
			}
			assert.True(t, VerifyAuthToken(tt.secret, ts, token, tt.params))
			assert.False(t, VerifyAuthToken(tt.secret+"x", ts, token, tt.params), "other secret")
			assert.False(t, VerifyAuthToken(tt.secret, "20990101000000000", token, tt.params), "other time stamp")
			changed := map[string]string{"extra": "1"}
			for k, v := range tt.params {
				changed[k] = v
			}
			assert.False(t, VerifyAuthToken(tt.secret, ts, token, changed), "other parameters")
		})
	}
}

func TestParseTimeStamp(t *testing.T) {
	got, err := ParseTimeStamp("20261120100000123")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 20, 10, 0, 0, 123_000_000, time.UTC), got)
	assert.Equal(t, "20261120100000123", TimeStamp(got))

	for _, bad := range []string{"", "2026112010000012", "202611201000001234", "20261320100000123", "2026112010000012x"} {
		_, err := ParseTimeStamp(bad)
		assert.ErrorContains(t, err, "yyyyMMddHHmmssSSS", "input %q", bad)
	}
}
