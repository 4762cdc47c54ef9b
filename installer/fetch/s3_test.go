package fetch

import (
	"cmp"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testKeyID  = "AKIDFAKES3TEST000001"
	testSecret = "fake/Secret+Key/that-must-never-show"
)

// s3MirrorURL is s3://bucket/key at the fake's endpoint, with the key escaped as a URL path.
func s3MirrorURL(fake *fakeS3, bucket, key, region string) string {
	u := url.URL{Scheme: "s3", Host: bucket, Path: "/" + key}
	q := url.Values{"endpoint": {fake.URL}}
	if region != "" {
		q.Set("region", region)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func TestS3FetchResumesAfterADroppedConnection(t *testing.T) {
	const size = 2<<20 + 333
	tests := []struct {
		name  string
		key   string
		token string
	}{
		{"key pair", "pkgs/cadpro-2024.2.pkg", ""},
		{"temporary credentials, key needing encoding", "pkgs/cad pro+2024.2 (x64)=ü.pkg", "FwoGZXIvYXdzE/token+with=chars"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, c := testFile(31, size)
			cfg := fakeS3Config{bucket: "isc-packages", key: tc.key, region: "eu-west-1",
				keys: map[string]string{testKeyID: testSecret}, token: tc.token}
			fake := newFakeS3(t, cfg, v, func(n int) reply {
				if n == 0 {
					return reply{dropAfter: size / 3}
				}
				return reply{}
			}, false)
			f := newFetcher(t)
			f.Env = envOf(map[string]string{"AWS_ACCESS_KEY_ID": testKeyID, "AWS_SECRET_ACCESS_KEY": testSecret, "AWS_SESSION_TOKEN": tc.token})

			path, err := f.Fetch(t.Context(), Request{URLs: []string{s3MirrorURL(fake, cfg.bucket, tc.key, "eu-west-1")}, Size: size, SHA256: c.sha256()})
			require.NoError(t, err)
			requireVerified(t, path, c)

			assert.Empty(t, fake.refusals(), "every signature verified")
			seen := fake.requestsSeen()
			require.Len(t, seen, 2)
			assert.EqualValues(t, size, fake.sent.Load(), "every byte is sent once: the second request resumes")
			assert.Empty(t, seen[0].rangeHeader)
			resumedAt, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(seen[1].rangeHeader, "bytes="), "-"), 10, 64)
			require.NoError(t, err, "the second request asks for a range: %q", seen[1].rangeHeader)
			assert.Positive(t, resumedAt)
			assert.Equal(t, `"v31"`, fake.header(1).Get("If-Range"))
			// The resumed request was signed afresh, over its Range header.
			assert.NotEqual(t, seen[0].authorization, seen[1].authorization)
			assert.NotContains(t, seen[0].authorization, "range")
			assert.Contains(t, seen[1].authorization, "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date")
			if tc.token != "" {
				assert.Contains(t, seen[1].authorization, ";x-amz-security-token,")
			}
		})
	}
}

func TestS3AnonymousPublicBucket(t *testing.T) {
	const size = 1<<20 + 5
	v, c := testFile(32, size)
	cfg := fakeS3Config{bucket: "public-pkgs", key: "a.pkg", region: "us-east-1", public: true}
	fake := newFakeS3(t, cfg, v, func(n int) reply {
		if n == 0 {
			return reply{status: http.StatusServiceUnavailable}
		}
		return reply{}
	}, false)
	f := newFetcher(t)
	f.Env = envOf(nil)

	path, err := f.Fetch(t.Context(), Request{URLs: []string{s3MirrorURL(fake, cfg.bucket, cfg.key, "")}, Size: size, SHA256: c.sha256()})
	require.NoError(t, err)
	requireVerified(t, path, c)
	seen := fake.requestsSeen()
	require.Len(t, seen, 2, "the 503 was retried")
	for _, r := range seen {
		assert.Empty(t, r.authorization, "no credentials: requests go unsigned")
	}
}

func TestS3Refusals(t *testing.T) {
	v, c := testFile(33, 4096)
	creds := func(id, secret, token string) map[string]string {
		return map[string]string{"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token}
	}
	tests := []struct {
		name     string
		token    string // the fake's session token
		env      map[string]string
		key      string // object the URL names; the fake's key when empty
		bucket   string
		region   string // in the URL
		wantErr  error
		wantMsg  []string
		wantCode string
	}{
		{
			name: "wrong secret", env: creds(testKeyID, "wrong/secret+value", ""),
			wantErr: ErrAccessDenied, wantCode: "SignatureDoesNotMatch",
			wantMsg: []string{"refused the credentials of access key AKID…0001", "SignatureDoesNotMatch", "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", "agent's environment"},
		},
		{
			name: "unknown access key", env: creds("AKIDUNKNOWNKEY000002", testSecret, ""),
			wantErr: ErrAccessDenied, wantCode: "InvalidAccessKeyId",
			wantMsg: []string{"refused the credentials of access key AKID…0002", "InvalidAccessKeyId"},
		},
		{
			name: "wrong session token", token: "good-token", env: creds(testKeyID, testSecret, "stale-token"),
			wantErr: ErrAccessDenied, wantCode: "InvalidToken",
			wantMsg: []string{"refused the credentials", "AWS_SESSION_TOKEN"},
		},
		{
			name: "anonymous to a private bucket", env: nil,
			wantErr: ErrAccessDenied, wantCode: "AccessDenied",
			wantMsg: []string{"refused anonymous access", "the bucket is not public", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		},
		{
			name: "missing object", env: creds(testKeyID, testSecret, ""), key: "other.pkg",
			wantErr: ErrNotFound, wantCode: "NoSuchKey",
			wantMsg: []string{"not found at s3://isc-packages/other.pkg (endpoint http://127.0.0.1:", "NoSuchKey"},
		},
		{
			name: "missing bucket", env: creds(testKeyID, testSecret, ""), bucket: "no-such-bucket",
			wantErr: ErrNotFound, wantCode: "NoSuchBucket",
			wantMsg: []string{`S3 bucket "no-such-bucket" does not exist (NoSuchBucket`},
		},
		{
			name: "region in the URL is not the bucket's", env: creds(testKeyID, testSecret, ""), region: "us-west-2",
			wantCode: "AuthorizationHeaderMalformed",
			wantMsg:  []string{`S3 bucket "isc-packages" is in region eu-west-1, not us-west-2`, "write ?region=eu-west-1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := fakeS3Config{bucket: "isc-packages", key: "a.pkg", region: "eu-west-1",
				keys: map[string]string{testKeyID: testSecret}, token: tc.token}
			fake := newFakeS3(t, cfg, v, nil, false)
			f := newFetcher(t)
			f.Env = envOf(tc.env)
			key := cmp.Or(tc.key, cfg.key)
			bucket := cmp.Or(tc.bucket, cfg.bucket)
			region := cmp.Or(tc.region, cfg.region)

			_, err := f.Fetch(t.Context(), Request{URLs: []string{s3MirrorURL(fake, bucket, key, region)}, Size: c.size, SHA256: c.sha256()})
			require.Error(t, err)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			}
			for _, m := range tc.wantMsg {
				assert.Contains(t, err.Error(), m)
			}
			for _, secret := range []string{testSecret, "wrong/secret+value", "stale-token", "good-token", testKeyID, "StringToSign"} {
				assert.NotContains(t, err.Error(), secret)
			}
			assert.Equal(t, []string{tc.wantCode}, fake.refusals(), "a refusal is not retried")
			requireNoPartial(t, f, c.sha256())
		})
	}
}

// awsStandIn is a client that sends every request, whatever its host, to the TLS fake: it plays
// AWS for URLs that name *.amazonaws.com.
func awsStandIn(t *testing.T, fake *fakeS3) *http.Client {
	addr := fake.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		// The fake's certificate names 127.0.0.1, not amazonaws.com.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // test stand-in only
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func TestS3FollowsTheBucketRegion(t *testing.T) {
	const size = 256<<10 + 1
	v, c := testFile(34, size)
	tests := []struct {
		name      string
		url       string
		drop      bool // the first download attempt is cut half way
		wantHosts []string
		wantMsg   string
	}{
		{
			name:      "s3:// with no region",
			url:       "s3://isc-packages/dir/a.pkg",
			wantHosts: []string{"isc-packages.s3.us-east-1.amazonaws.com", "isc-packages.s3.eu-central-1.amazonaws.com"},
		},
		{
			name:      "a resumed attempt goes to the region S3 named",
			url:       "s3://isc-packages/dir/a.pkg",
			drop:      true,
			wantHosts: []string{"isc-packages.s3.us-east-1.amazonaws.com", "isc-packages.s3.eu-central-1.amazonaws.com", "isc-packages.s3.eu-central-1.amazonaws.com"},
		},
		{
			name:      "go-getter's global endpoint",
			url:       "s3::https://s3.amazonaws.com/isc-packages/dir/a.pkg",
			wantHosts: []string{"isc-packages.s3.us-east-1.amazonaws.com", "isc-packages.s3.eu-central-1.amazonaws.com"},
		},
		{
			name:      "a region the URL names is not overridden",
			url:       "s3://isc-packages/dir/a.pkg?region=us-east-1",
			wantHosts: []string{"isc-packages.s3.us-east-1.amazonaws.com"},
			wantMsg:   `S3 bucket "isc-packages" is in region eu-central-1, not us-east-1 (PermanentRedirect`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := fakeS3Config{bucket: "isc-packages", key: "dir/a.pkg", region: "eu-central-1", keys: map[string]string{testKeyID: testSecret}}
			fake := newFakeS3(t, cfg, v, func(n int) reply {
				if tc.drop && n == 0 {
					return reply{dropAfter: size / 2}
				}
				return reply{}
			}, true)
			f := newFetcher(t)
			f.Client = awsStandIn(t, fake)
			f.Env = envOf(map[string]string{"AWS_ACCESS_KEY_ID": testKeyID, "AWS_SECRET_ACCESS_KEY": testSecret})

			path, err := f.Fetch(t.Context(), Request{URLs: []string{tc.url}, Size: size, SHA256: c.sha256()})
			var hosts []string
			for _, r := range fake.requestsSeen() {
				hosts = append(hosts, r.host)
			}
			assert.Equal(t, tc.wantHosts, hosts)
			if tc.wantMsg != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantMsg)
				return
			}
			require.NoError(t, err)
			requireVerified(t, path, c)
			assert.Equal(t, []string{"PermanentRedirect"}, fake.refusals())
		})
	}
}

func TestS3RefusesBadSettingsWithoutARequest(t *testing.T) {
	v, c := testFile(35, 4096)
	fake := newFakeS3(t, fakeS3Config{bucket: "isc-packages", key: "a.pkg", region: "us-east-1", public: true}, v, nil, false)
	tests := []struct {
		name string
		env  map[string]string
		url  string
		msg  string
	}{
		{"half a key pair", map[string]string{"AWS_ACCESS_KEY_ID": testKeyID}, s3MirrorURL(fake, "isc-packages", "a.pkg", ""), "AWS_SECRET_ACCESS_KEY is not"},
		{"http endpoint off this machine", nil, "s3://isc-packages/a.pkg?endpoint=http://192.0.2.1:9000", "plain http"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFetcher(t)
			f.Env = envOf(tc.env)
			_, err := f.Fetch(t.Context(), Request{URLs: []string{tc.url}, Size: c.size, SHA256: c.sha256()})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	assert.Empty(t, fake.requestsSeen())
}
