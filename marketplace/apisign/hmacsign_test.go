package apisign

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) }

func TestSignFixedRequests(t *testing.T) {
	tests := []struct {
		name      string
		req       func(t *testing.T) *http.Request
		canonical string // written by hand from the rules
		signed    string
		want      string // openssl: HMAC(secret, "SDK-HMAC-SHA256\n" + date + "\n" + sha256(canonical))
	}{
		{
			name: "POST with query, headers and body",
			req: func(t *testing.T) *http.Request {
				req, err := http.NewRequest(http.MethodPost, "https://api.example.com/v1/devices/a%20b?q=caf%C3%A9&limit=10&q=bar",
					strings.NewReader(`{"name":"press-7"}`))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Tenant", "  t1 ")
				return req
			},
			canonical: "POST\n/v1/devices/a%20b/\nlimit=10&q=bar&q=caf%C3%A9\n" +
				"content-type:application/json\nhost:api.example.com\nx-sdk-date:20261120T100000Z\nx-tenant:t1\n\n" +
				"content-type;host;x-sdk-date;x-tenant\n" +
				"dd1cc398864dce8803a50f002ae35e0ebced1ad5b80db3a384e53640690f1cc6",
			signed: "content-type;host;x-sdk-date;x-tenant",
			want:   "277b2ecdcaf4feca11c369895247f124c3185b024aea925630fcf07bd233d27c",
		},
		{
			name: "GET of the root with no body",
			req: func(t *testing.T) *http.Request {
				req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:8080", nil)
				require.NoError(t, err)
				return req
			},
			canonical: "GET\n/\n\nhost:127.0.0.1:8080\nx-sdk-date:20261120T100000Z\n\nhost;x-sdk-date\n" + emptyBodyHash,
			signed:    "host;x-sdk-date",
			want:      "a0b73bef63147d6b7410f3147a96f6ecea7b463ad277542f562a5151e9da6b52",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req(t)
			s := Signer{Key: "app-key", Secret: "app-secret", Now: fixedNow}
			require.NoError(t, s.Sign(req))
			assert.Equal(t, "20261120T100000Z", req.Header.Get("X-Sdk-Date"))

			body, err := hashBody(req)
			require.NoError(t, err)
			canonical, signed := canonicalRequest(req.Method, req.URL.EscapedPath(), req.URL.RawQuery, signedHeaderValues(req.Header, req.Host), body)
			assert.Equal(t, tt.canonical, canonical)
			assert.Equal(t, tt.signed, signed)

			assert.Equal(t, "SDK-HMAC-SHA256 Access=app-key, SignedHeaders="+tt.signed+", Signature="+tt.want,
				req.Header.Get("Authorization"))
			if digest, ok := opensslSHA256(t, tt.canonical); ok {
				sig, _ := opensslHMACHex(t, "app-secret", "SDK-HMAC-SHA256\n20261120T100000Z\n"+digest)
				assert.Equal(t, sig, tt.want, "openssl disagrees with the pinned signature")
			}
		})
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct{ path, want string }{
		{"", "/"},
		{"/", "/"},
		{"/v1/items", "/v1/items/"},
		{"/v1/items/", "/v1/items/"},
		{"/a%20b/c", "/a%20b/c/"},
		{"/a%2Fb", "/a%2Fb/"},           // an encoded slash stays inside its segment
		{"/%C3%BC", "/%C3%BC/"},         // UTF-8, upper-case hex
		{"/%c3%bc", "/%C3%BC/"},         // lower-case hex on the wire signs the same
		{"/a+b:c@d", "/a%2Bb%3Ac%40d/"}, // only unreserved characters stay as they are
		{"/~x-y_z.1", "/~x-y_z.1/"},
		{"/bad%zz", "/bad%25zz/"}, // a malformed escape is signed as written
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, canonicalURI(tt.path), "path %q", tt.path)
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", ""},
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=10&a=1", "a=1&a=10&a=2"}, // by key, then by value (as strings)
		{"q=a+b", "q=a%20b"},
		{"q=a%2bb", "q=a%2Bb"},
		{"flag", "flag="},
		{"k=%7e", "k=~"},
		{"x=1&&y=2", "x=1&y=2"},
		{"%C3%A9=%2F", "%C3%A9=%2F"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, canonicalQuery(tt.raw), "query %q", tt.raw)
	}
}

func TestCanonicalHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("X-Trim", " \t spaced value  ")
	h.Add("X-Multi", "b")
	h.Add("X-Multi", " a")
	h.Set("Authorization", "old signature")
	h["host"] = []string{"ignored.example.com"} // Go sends req.Host, not this
	canonical, signed := canonicalRequest("GET", "/", "", signedHeaderValues(h, "api.example.com"), emptyBodyHash)
	assert.Equal(t, "host;x-multi;x-trim", signed)
	assert.Equal(t, "GET\n/\n\nhost:api.example.com\nx-multi:a\nx-multi:b\nx-trim:spaced value\n\nhost;x-multi;x-trim\n"+emptyBodyHash, canonical)
}

func TestSignBody(t *testing.T) {
	const data = "payload"
	sum := "239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5" // printf payload | openssl dgst -sha256
	tests := []struct {
		name string
		req  func() *http.Request
		sent string // the body as sent, "" for none
		want string
	}{
		{"nil body", func() *http.Request { return httptest.NewRequest(http.MethodGet, "http://h/", nil) }, "", emptyBodyHash},
		{"NoBody", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "http://h/", nil)
			r.Body = http.NoBody
			return r
		}, "", emptyBodyHash},
		{"rewindable body", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPut, "http://h/", bytes.NewReader([]byte(data)))
			return r
		}, data, sum},
		{"one-shot body", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPut, "http://h/", nil)
			r.Body = io.NopCloser(strings.NewReader(data))
			return r
		}, data, sum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req()
			got, err := hashBody(req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			if want, ok := opensslSHA256(t, tt.sent); ok {
				assert.Equal(t, want, got, "openssl disagrees")
			}
			if tt.sent != "" {
				left, err := io.ReadAll(req.Body)
				require.NoError(t, err)
				assert.Equal(t, tt.sent, string(left), "the body is still there to send")
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "http://h/", nil)
	assert.ErrorContains(t, Signer{Key: "k"}.Sign(req), "key or secret is empty")
	assert.ErrorContains(t, Signer{Secret: "s"}.Sign(req), "key or secret is empty")

	noHost := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/x"}, Header: http.Header{}}
	assert.ErrorContains(t, Signer{Key: "k", Secret: "s"}.Sign(noHost), "no host")
}

func TestSignAgainReplaces(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "http://h/x", nil)
	now := fixedNow()
	s := Signer{Key: "k", Secret: "s", Now: func() time.Time { return now }}
	require.NoError(t, s.Sign(req))
	first := req.Header.Get("Authorization")
	now = now.Add(time.Minute)
	require.NoError(t, s.Sign(req))
	assert.Len(t, req.Header.Values("Authorization"), 1)
	assert.Equal(t, "20261120T100100Z", req.Header.Get("X-Sdk-Date"))
	assert.NotEqual(t, first, req.Header.Get("Authorization"), "a new date gives a new signature")
	assert.Contains(t, req.Header.Get("Authorization"), "SignedHeaders=host;x-sdk-date,", "the old Authorization is not signed")
}

// TestSignOnTheWire checks that what the Go client sends is what was signed: the server rebuilds the
// canonical request from what it received and recomputes the signature.
func TestSignOnTheWire(t *testing.T) {
	type result struct {
		auth, want string
	}
	got := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		auth := r.Header.Get("Authorization")
		_, rest, _ := strings.Cut(auth, "SignedHeaders=")
		signedList, _, _ := strings.Cut(rest, ",")
		headers := map[string][]string{}
		for _, name := range strings.Split(signedList, ";") {
			if name == "host" {
				headers[name] = []string{r.Host}
				continue
			}
			headers[name] = r.Header.Values(name)
		}
		bodyHash, _ := hashBody(r)
		canonical, _ := canonicalRequest(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, headers, bodyHash)
		sig := signature("app-secret", stringToSign(r.Header.Get("X-Sdk-Date"), canonical))
		got <- result{auth, sig}
	}))
	defer srv.Close()

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/%E2%9C%93/run?b=2&a=x+y", strings.NewReader("hello"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/plain")
	AppCode(req, "code-1")
	require.NoError(t, Signer{Key: "app-key", Secret: "app-secret"}.Sign(req))
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	r := <-got
	assert.True(t, strings.HasPrefix(r.auth, "SDK-HMAC-SHA256 Access=app-key, SignedHeaders=content-type;host;x-apig-appcode;x-sdk-date, Signature="), r.auth)
	assert.True(t, strings.HasSuffix(r.auth, "Signature="+r.want), "server computed %s, client sent %s", r.want, r.auth)
}

func BenchmarkSign(b *testing.B) {
	s := Signer{Key: "app-key", Secret: "app-secret", Now: fixedNow}
	body := []byte(`{"name":"press-7","line":3}`)
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, "https://api.example.com/v1/devices/press-7?b=2&a=1", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if err := s.Sign(req); err != nil {
			b.Fatal(err)
		}
	}
}
