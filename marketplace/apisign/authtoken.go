package apisign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"
)

// AuthToken computes the marketplace's authToken for a call to a vendor's license endpoint:
// base64(HMAC-SHA256(key = secret + timeStamp, msg = the parameters sorted by key, k=v joined by &)),
// with timeStamp = ts in UTC as yyyyMMddHHmmssSSS. Values are used as given, not URL-encoded; the
// caller sends timeStamp and token beside params. The vendor recomputes both to check the call.
func AuthToken(secret string, ts time.Time, params map[string]string) (token, timeStamp string) {
	timeStamp = TimeStamp(ts)
	mac := hmac.New(sha256.New, []byte(secret+timeStamp))
	mac.Write([]byte(sortedParams(params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)), timeStamp
}

// VerifyAuthToken reports whether token is the authToken of params under secret and timeStamp,
// comparing in constant time. It does not judge the age of timeStamp: see ParseTimeStamp.
func VerifyAuthToken(secret, timeStamp, token string, params map[string]string) bool {
	mac := hmac.New(sha256.New, []byte(secret+timeStamp))
	mac.Write([]byte(sortedParams(params)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(token))
}

// TimeStamp formats t in UTC as yyyyMMddHHmmssSSS, the form AuthToken signs.
func TimeStamp(t time.Time) string {
	t = t.UTC()
	return t.Format("20060102150405") + fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
}

// ParseTimeStamp reads a yyyyMMddHHmmssSSS time stamp as UTC, so that a receiver can refuse old ones.
func ParseTimeStamp(s string) (time.Time, error) {
	if len(s) != 17 {
		return time.Time{}, fmt.Errorf("timeStamp %q: want 17 digits, yyyyMMddHHmmssSSS in UTC", clip(s))
	}
	t, err := time.ParseInLocation("20060102150405.000", s[:14]+"."+s[14:], time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("timeStamp %q: want yyyyMMddHHmmssSSS in UTC: %w", clip(s), err)
	}
	return t, nil
}

// sortedParams is k=v for each parameter, sorted by key, joined by &.
func sortedParams(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// clip shortens untrusted text quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
