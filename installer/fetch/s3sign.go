package fetch

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// AWS Signature Version 4, as S3 wants it for a GET: only what a download needs, no request body.
const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	amzDateFormat  = "20060102T150405Z"
	// emptySHA256 is the hash of an empty body, the payload hash of a GET. S3 also accepts
	// UNSIGNED-PAYLOAD here; the empty hash is what AWS's own GET example signs.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// awsCredentials are an access key pair, with the session token of temporary credentials.
type awsCredentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// signS3 signs req for S3 in region at t: it sets X-Amz-Date, X-Amz-Content-Sha256,
// X-Amz-Security-Token (temporary credentials only) and Authorization. It signs Host, Range and
// every X-Amz-* header; the rest (If-Range, Accept-Encoding) goes unsigned, which S3 allows.
// Call it again for every attempt: the date is part of the signature and S3 refuses old ones.
func signS3(req *http.Request, cred awsCredentials, region string, t time.Time) {
	t = t.UTC()
	amzDate := t.Format(amzDateFormat)
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	req.Header.Del("X-Amz-Security-Token")
	if cred.SessionToken != "" {
		req.Header.Set("X-Amz-Security-Token", cred.SessionToken)
	}
	canonical, signed := canonicalRequest(req)
	scope := t.Format("20060102") + "/" + region + "/s3/aws4_request"
	toSign := sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hexSHA256(canonical)
	key := signingKey(cred.SecretAccessKey, t.Format("20060102"), region, "s3")
	sig := hex.EncodeToString(hmacSHA256(key, toSign))
	req.Header.Set("Authorization", sigV4Algorithm+" Credential="+cred.AccessKeyID+"/"+scope+
		",SignedHeaders="+signed+",Signature="+sig)
}

// canonicalRequest is SigV4's canonical form of req and the list of headers it signs.
func canonicalRequest(req *http.Request) (canonical, signedHeaders string) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	headers := map[string]string{"host": host}
	for name, values := range req.Header {
		lower := strings.ToLower(name)
		if lower == "range" || strings.HasPrefix(lower, "x-amz-") {
			trimmed := make([]string, len(values))
			for i, v := range values {
				trimmed[i] = strings.Join(strings.Fields(v), " ")
			}
			headers[lower] = strings.Join(trimmed, ",")
		}
	}
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(req.Method + "\n")
	// S3 signs the path encoded once, as sent: it does not normalise it or encode it twice.
	b.WriteString(uriEncode(pathOf(req.URL), false) + "\n")
	b.WriteString(canonicalQuery(req.URL.RawQuery) + "\n")
	for _, name := range names {
		b.WriteString(name + ":" + headers[name] + "\n")
	}
	signedHeaders = strings.Join(names, ";")
	b.WriteString("\n" + signedHeaders + "\n" + req.Header.Get("X-Amz-Content-Sha256"))
	return b.String(), signedHeaders
}

func pathOf(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

// canonicalQuery sorts the parameters by name, then value, each URI-encoded.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	values, _ := url.ParseQuery(raw) // a bad pair is dropped here and by the server alike
	var pairs []string
	for name, vs := range values {
		for _, v := range vs {
			pairs = append(pairs, uriEncode(name, true)+"="+uriEncode(v, true))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// uriEncode is SigV4's URI encoding: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (upper case),
// and "/" too when encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// signingKey is HMAC("AWS4"+secret, date) chained through region, service and "aws4_request".
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
