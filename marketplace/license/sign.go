package license

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Names of the two signature parameters of a request to a vendor's license endpoint.
const (
	ParamTimeStamp = "timeStamp"
	ParamAuthToken = "authToken"
)

// TimeStamp formats t in UTC as yyyyMMddHHmmssSSS, e.g. 2026-11-27 11:05:32.042 → "20261127110532042".
func TimeStamp(t time.Time) string {
	t = t.UTC()
	return t.Format("20060102150405") + fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
}

// CanonicalString is the message that AuthToken signs: every parameter except authToken, sorted by
// key in byte order, written key=value with the raw value (not URL-encoded), joined with "&".
// For {b: "2", a: "1", timeStamp: "20261127110532042"} it is "a=1&b=2&timeStamp=20261127110532042".
func CanonicalString(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != ParamAuthToken {
			keys = append(keys, k)
		}
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

// AuthToken signs a request to a vendor's license endpoint the way the marketplace does:
//
//	timeStamp = params["timeStamp"], the send time as TimeStamp formats it
//	message   = CanonicalString(params)          // timeStamp included, authToken left out
//	authToken = base64std( HMAC-SHA256( key = secret + timeStamp, data = message ) )
//
// The vendor recomputes it with the secret it shares with the marketplace (see VerifyAuthToken).
func AuthToken(params map[string]string, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret+params[ParamTimeStamp]))
	mac.Write([]byte(CanonicalString(params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignParams adds timeStamp (from now) and authToken to params, in place, and returns params.
func SignParams(params map[string]string, secret string, now time.Time) map[string]string {
	params[ParamTimeStamp] = TimeStamp(now)
	params[ParamAuthToken] = AuthToken(params, secret)
	return params
}

// VerifyAuthToken is the vendor's side of AuthToken: it checks the token of a received request and
// that its timeStamp lies within maxSkew of now, which bounds replays.
func VerifyAuthToken(form url.Values, secret string, now time.Time, maxSkew time.Duration) error {
	params := make(map[string]string, len(form))
	for k, vs := range form {
		if len(vs) != 1 {
			return fmt.Errorf("parameter %q appears %d times; a signed request has each once", clip(k), len(vs))
		}
		params[k] = vs[0]
	}
	ts, ok := params[ParamTimeStamp]
	if !ok {
		return fmt.Errorf("the request has no %s parameter", ParamTimeStamp)
	}
	bad := fmt.Errorf("%s %q is not yyyyMMddHHmmssSSS in UTC", ParamTimeStamp, clip(ts))
	if len(ts) != 17 {
		return bad
	}
	sent, err := time.ParseInLocation("20060102150405.000", ts[:14]+"."+ts[14:], time.UTC)
	if err != nil {
		return bad
	}
	if d := now.Sub(sent); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("%s %s is %s away from now, more than the allowed %s; check the clocks", ParamTimeStamp, ts, d.Round(time.Millisecond), maxSkew)
	}
	got, err := base64.StdEncoding.DecodeString(params[ParamAuthToken])
	if err != nil {
		return fmt.Errorf("%s is not base64", ParamAuthToken)
	}
	want, _ := base64.StdEncoding.DecodeString(AuthToken(params, secret))
	if !hmac.Equal(got, want) {
		return fmt.Errorf("%s does not match; the request was altered or signed with another secret", ParamAuthToken)
	}
	return nil
}
