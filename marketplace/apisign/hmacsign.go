package apisign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Names of the SDK-HMAC-SHA256 scheme.
const (
	Algorithm     = "SDK-HMAC-SHA256"
	DateHeader    = "X-Sdk-Date"
	dateLayout    = "20060102T150405Z"
	emptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Signer signs requests to a bought API product with SDK-HMAC-SHA256, the scheme of API gateways
// that issue a key and a secret per app.
type Signer struct {
	Key    string           // the app key, sent in the clear as Access=
	Secret string           // the app secret, never sent
	Now    func() time.Time // the clock; time.Now when nil
}

// Sign sets X-Sdk-Date and Authorization on req. It signs the method, the path, the query, every
// header already on req plus host, and the SHA-256 of the body. The body is read once and put back
// (req.GetBody is used when set), so sign after setting everything else and do not change req after.
// Signing again replaces the previous signature: a retry must be signed again, with a fresh date.
func (s Signer) Sign(req *http.Request) error {
	if s.Key == "" || s.Secret == "" {
		return errors.New("signing request: the API product's key or secret is empty; copy both from the product's page on the marketplace")
	}
	if req.URL == nil {
		return errors.New("signing request: it has no URL")
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host == "" {
		return fmt.Errorf("signing %s %s: the URL has no host", req.Method, req.URL.Redacted())
	}
	bodyHash, err := hashBody(req)
	if err != nil {
		return fmt.Errorf("signing %s %s: reading the body: %w", req.Method, req.URL.Redacted(), err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	date := now().UTC().Format(dateLayout)
	req.Header.Set(DateHeader, date)
	req.Header.Del("Authorization")

	headers := signedHeaderValues(req.Header, host)
	canonical, signed := canonicalRequest(req.Method, req.URL.EscapedPath(), req.URL.RawQuery, headers, bodyHash)
	sig := signature(s.Secret, stringToSign(date, canonical))
	req.Header.Set("Authorization", fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s", Algorithm, s.Key, signed, sig))
	return nil
}

// hashBody returns the hex SHA-256 of req's body and leaves the body readable from the start.
func hashBody(req *http.Request) (string, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return emptyBodyHash, nil
	}
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return "", err
		}
		defer body.Close()
		h := sha256.New()
		if _, err := io.Copy(h, body); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	data, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return "", err
	}
	req.Body = io.NopCloser(bytes.NewReader(data))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// signedHeaderValues maps each lower-case header name to sign to its values: every header on the
// request except Authorization, and host from the request line (Go sends Host outside Header).
func signedHeaderValues(h http.Header, host string) map[string][]string {
	out := make(map[string][]string, len(h)+1)
	for name, values := range h {
		lower := strings.ToLower(name)
		if lower == "authorization" || lower == "host" {
			continue
		}
		out[lower] = append(out[lower], values...)
	}
	out["host"] = []string{host}
	return out
}

// canonicalRequest builds the canonical request and the signed-headers list from its parts.
// escapedPath and rawQuery are as on the wire; both are decoded and encoded again so that two
// spellings of one URL sign the same.
func canonicalRequest(method, escapedPath, rawQuery string, headers map[string][]string, bodyHash string) (canonical, signedHeaders string) {
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, name := range names {
		values := make([]string, len(headers[name]))
		for i, v := range headers[name] {
			values[i] = strings.TrimSpace(v)
		}
		// Each value on its own line, sorted: the order of repeated headers is not kept by proxies.
		sort.Strings(values)
		for _, v := range values {
			ch.WriteString(name)
			ch.WriteByte(':')
			ch.WriteString(v)
			ch.WriteByte('\n')
		}
	}
	signedHeaders = strings.Join(names, ";")
	canonical = strings.Join([]string{
		method,
		canonicalURI(escapedPath),
		canonicalQuery(rawQuery),
		ch.String(),
		signedHeaders,
		bodyHash,
	}, "\n")
	return canonical, signedHeaders
}

// canonicalURI encodes each segment of the path and ends it in "/".
func canonicalURI(escapedPath string) string {
	segments := strings.Split(escapedPath, "/")
	for i, seg := range segments {
		segments[i] = uriEncode(unescape(seg))
	}
	p := strings.Join(segments, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// canonicalQuery sorts the query by key, then by value, and encodes both.
func canonicalQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, part := range strings.Split(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		pairs = append(pairs, kv{unescapeQuery(k), unescapeQuery(v)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = uriEncode(p.k) + "=" + uriEncode(p.v)
	}
	return strings.Join(parts, "&")
}

func stringToSign(date, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + date + "\n" + hex.EncodeToString(sum[:])
}

func signature(secret, toSign string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(toSign))
	return hex.EncodeToString(mac.Sum(nil))
}
