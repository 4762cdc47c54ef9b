package license

import (
	"fmt"
	"net/url"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/apisign"
)

// Names of the two signature parameters of a request to a vendor's license endpoint.
const (
	ParamTimeStamp = "timeStamp"
	ParamAuthToken = "authToken"
)

// SignParams signs a request to a vendor's license endpoint: it adds timeStamp and authToken to
// params, in place, and returns params. The construction (computed by apisign.AuthToken):
//
//	timeStamp = now in UTC as yyyyMMddHHmmssSSS, e.g. "20261127110532042"
//	message   = every parameter except authToken, timeStamp included, sorted by key in byte
//	            order, written key=value with the raw (not URL-encoded) value, joined with "&":
//	            "effectiveAt=…&expiresAt=…&fingerprint=…&licenseId=…&…&timeStamp=20261127110532042"
//	authToken = base64std( HMAC-SHA256( key = secret + timeStamp, data = message ) )
//
// The vendor recomputes it with the secret it shares with the marketplace (see VerifyAuthToken).
func SignParams(params map[string]string, secret string, now time.Time) map[string]string {
	delete(params, ParamAuthToken)
	params[ParamTimeStamp] = apisign.TimeStamp(now)
	token, _ := apisign.AuthToken(secret, now, params)
	params[ParamAuthToken] = token
	return params
}

// VerifyAuthToken is the vendor's side of SignParams: it checks the authToken of a received
// request and that its timeStamp lies within maxSkew of now, which bounds replays.
func VerifyAuthToken(form url.Values, secret string, now time.Time, maxSkew time.Duration) error {
	params := make(map[string]string, len(form))
	for k, vs := range form {
		if len(vs) != 1 {
			return fmt.Errorf("parameter %q appears %d times; a signed request has each once", clip(k), len(vs))
		}
		params[k] = vs[0]
	}
	token := params[ParamAuthToken]
	delete(params, ParamAuthToken)
	ts, ok := params[ParamTimeStamp]
	if !ok {
		return fmt.Errorf("the request has no %s parameter", ParamTimeStamp)
	}
	sent, err := apisign.ParseTimeStamp(ts)
	if err != nil {
		return err
	}
	if d := now.Sub(sent); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("%s %s is %s away from now, more than the allowed %s; check the clocks", ParamTimeStamp, ts, d.Round(time.Millisecond), maxSkew)
	}
	if token == "" {
		return fmt.Errorf("the request has no %s parameter", ParamAuthToken)
	}
	if !apisign.VerifyAuthToken(secret, ts, token, params) {
		return fmt.Errorf("%s does not match; the request was altered or signed with another secret", ParamAuthToken)
	}
	return nil
}
