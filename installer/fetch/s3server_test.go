package fetch

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeS3 is an S3 endpoint on 127.0.0.1 for one object. It checks SigV4 signatures with its own
// implementation of the algorithm (written apart from signS3, as S3 would), answers refusals with
// S3's XML errors, and hands accepted requests to server.serve, which serves ranges and misbehaves
// as its plan says.
type fakeS3 struct {
	*server
	cfg fakeS3Config

	mu    sync.Mutex
	seen  []fakeS3Request // every request, refused ones too
	codes []string        // the S3 error code of each refusal
}

type fakeS3Config struct {
	bucket, key string
	region      string
	keys        map[string]string // access key ID → secret; requests must be signed by one of them
	token       string            // session token the request must carry, if set
	public      bool              // anonymous requests may read the object
}

type fakeS3Request struct {
	host, authorization, date, rangeHeader string
}

func newFakeS3(t testing.TB, cfg fakeS3Config, file version, plan func(n int) reply, useTLS bool) *fakeS3 {
	f := &fakeS3{cfg: cfg, server: &server{file: file, plan: plan, paused: make(chan struct{}), stalled: make(chan struct{}, 1)}}
	if useTLS {
		f.server.Server = httptest.NewTLSServer(http.HandlerFunc(f.handle))
	} else {
		f.server.Server = httptest.NewServer(http.HandlerFunc(f.handle))
	}
	t.Cleanup(f.Close)
	return f
}

func (f *fakeS3) requestsSeen() []fakeS3Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seen)
}

func (f *fakeS3) refusals() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.codes)
}

func (f *fakeS3) handle(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.seen = append(f.seen, fakeS3Request{r.Host, r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), r.Header.Get("Range")})
	f.mu.Unlock()

	bucket, key, region, ok := f.address(r)
	switch {
	case !ok:
		f.fail(w, http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.", "")
	case region != "" && region != f.cfg.region:
		// What S3 answers at another region's endpoint.
		w.Header().Set("X-Amz-Bucket-Region", f.cfg.region)
		f.fail(w, http.StatusMovedPermanently, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.", "")
	case bucket != f.cfg.bucket:
		f.fail(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", "")
	case r.Header.Get("Authorization") == "" && !f.cfg.public:
		f.fail(w, http.StatusForbidden, "AccessDenied", "Access Denied", "")
	case r.Header.Get("Authorization") != "":
		if status, code, msg, region := f.verify(r); code != "" {
			f.fail(w, status, code, msg, region)
			return
		}
		fallthrough
	default:
		if key != f.cfg.key {
			f.fail(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "")
			return
		}
		f.serve(w, r)
	}
}

// address reads bucket and key path-style, or virtual-host style for *.s3.REGION.amazonaws.com
// (the TLS fake stands in for AWS), and checks that the path came encoded as SigV4 encodes it.
func (f *fakeS3) address(r *http.Request) (bucket, key, region string, ok bool) {
	rawPath, _, _ := strings.Cut(r.RequestURI, "?")
	if rawPath != awsPathEncode(r.URL.Path) {
		return "", "", "", false
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	if host, isAWS := strings.CutSuffix(r.Host, ".amazonaws.com"); isAWS {
		if b, reg, vhost := strings.Cut(host, ".s3."); vhost {
			return b, path, reg, true
		}
		region = strings.TrimPrefix(host, "s3.")
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key, region, true
}

var authRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$`)

// verify checks r's signature as S3 does: status, code and message of the refusal, or code "".
func (f *fakeS3) verify(r *http.Request) (status int, code, msg, region string) {
	m := authRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed.", ""
	}
	keyID, day, scopeRegion, signed, sig := m[1], m[2], m[3], strings.Split(m[4], ";"), m[5]
	secret, known := f.cfg.keys[keyID]
	if !known {
		return http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", ""
	}
	if scopeRegion != f.cfg.region {
		return http.StatusBadRequest, "AuthorizationHeaderMalformed", fmt.Sprintf("the region '%s' is wrong; expecting '%s'", scopeRegion, f.cfg.region), f.cfg.region
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || !strings.HasPrefix(r.Header.Get("X-Amz-Date"), day) {
		return http.StatusForbidden, "AccessDenied", "X-Amz-Date is missing or does not match the credential scope", ""
	}
	if d := time.Since(at); d > 15*time.Minute || d < -15*time.Minute {
		return http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", ""
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload != "UNSIGNED-PAYLOAD" && payload != hex.EncodeToString(sha256.New().Sum(nil)) {
		return http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", ""
	}
	for name := range r.Header {
		lower := strings.ToLower(name)
		if (strings.HasPrefix(lower, "x-amz-") || lower == "range") && !slices.Contains(signed, lower) {
			return http.StatusForbidden, "AccessDenied", "There were headers present in the request which were not signed: " + lower, ""
		}
	}
	if f.cfg.token != "" && r.Header.Get("X-Amz-Security-Token") != f.cfg.token {
		return http.StatusForbidden, "InvalidToken", "The provided token is malformed or otherwise invalid.", ""
	}

	var canon strings.Builder
	fmt.Fprintf(&canon, "%s\n%s\n%s\n", r.Method, awsPathEncode(r.URL.Path), awsSortedQuery(r.URL.Query()))
	for _, name := range signed {
		v := r.Header.Get(name)
		if name == "host" {
			v = r.Host
		}
		fmt.Fprintf(&canon, "%s:%s\n", name, strings.TrimSpace(v))
	}
	fmt.Fprintf(&canon, "\n%s\n%s", strings.Join(signed, ";"), payload)
	digest := sha256.Sum256([]byte(canon.String()))
	stringToSign := strings.Join([]string{"AWS4-HMAC-SHA256", r.Header.Get("X-Amz-Date"),
		day + "/" + scopeRegion + "/s3/aws4_request", hex.EncodeToString(digest[:])}, "\n")
	key := []byte("AWS4" + secret)
	for _, part := range []string{day, scopeRegion, "s3", "aws4_request", stringToSign} {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(part))
		key = mac.Sum(nil)
	}
	if !hmac.Equal([]byte(hex.EncodeToString(key)), []byte(sig)) {
		return http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", ""
	}
	return 0, "", "", ""
}

func (f *fakeS3) fail(w http.ResponseWriter, status int, code, msg, region string) {
	f.mu.Lock()
	f.codes = append(f.codes, code)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	regionXML := ""
	if region != "" {
		regionXML = "<Region>" + region + "</Region>"
	}
	// Like S3, echo what was signed: the client must keep it out of its messages.
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message>%s<StringToSign>AWS4-HMAC-SHA256 …</StringToSign><RequestId>FAKE</RequestId></Error>`, code, msg, regionXML)
}

// awsPathEncode encodes each byte outside A-Z a-z 0-9 - _ . ~ / as %XX.
func awsPathEncode(p string) string {
	const keep = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/"
	var b strings.Builder
	for _, c := range []byte(p) {
		if strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func awsSortedQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, strings.ReplaceAll(awsPathEncode(k), "/", "%2F")+"="+strings.ReplaceAll(awsPathEncode(v), "/", "%2F"))
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}
