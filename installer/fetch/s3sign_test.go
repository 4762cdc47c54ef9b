package fetch

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The "GET Object" example of AWS's S3 API reference ("Signature Calculations for the Authorization
// Header: Transferring Payload in a Single Chunk"): the first 10 bytes of test.txt in examplebucket.
const (
	awsExampleKeyID     = "AKIAIOSFODNN7EXAMPLE"
	awsExampleSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	awsExampleCanonical = "GET\n/test.txt\n\n" +
		"host:examplebucket.s3.amazonaws.com\n" +
		"range:bytes=0-9\n" +
		"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
		"x-amz-date:20130524T000000Z\n\n" +
		"host;range;x-amz-content-sha256;x-amz-date\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	awsExampleCanonicalHash = "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
	awsExampleAuthorization = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," +
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
)

var awsExampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func awsExampleRequest(t *testing.T) *http.Request {
	req, err := http.NewRequest(http.MethodGet, "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	require.NoError(t, err)
	req.Header.Set("Range", "bytes=0-9")
	// Unsigned headers that a resumed download also sends must not change the signature.
	req.Header.Set("If-Range", `"abc"`)
	req.Header.Set("Accept-Encoding", "identity")
	return req
}

func TestSignS3MatchesAWSExample(t *testing.T) {
	req := awsExampleRequest(t)
	signS3(req, awsCredentials{AccessKeyID: awsExampleKeyID, SecretAccessKey: awsExampleSecret}, "us-east-1", awsExampleTime)

	canonical, signed := canonicalRequest(req)
	assert.Equal(t, awsExampleCanonical, canonical)
	assert.Equal(t, awsExampleCanonicalHash, hexSHA256(canonical))
	assert.Equal(t, "host;range;x-amz-content-sha256;x-amz-date", signed)
	assert.Equal(t, awsExampleAuthorization, req.Header.Get("Authorization"))
	assert.Equal(t, "20130524T000000Z", req.Header.Get("X-Amz-Date"))
	assert.Empty(t, req.Header.Values("X-Amz-Security-Token"))
}

func TestSignS3SessionToken(t *testing.T) {
	req := awsExampleRequest(t)
	cred := awsCredentials{AccessKeyID: awsExampleKeyID, SecretAccessKey: awsExampleSecret, SessionToken: "token/with+chars="}
	signS3(req, cred, "us-east-1", awsExampleTime)
	assert.Equal(t, "token/with+chars=", req.Header.Get("X-Amz-Security-Token"))
	auth := req.Header.Get("Authorization")
	assert.Contains(t, auth, "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date;x-amz-security-token,")
	assert.NotEqual(t, awsExampleAuthorization, auth)

	// Signing the same request again (a retry) without the token drops it rather than keeping it unsigned.
	signS3(req, awsCredentials{AccessKeyID: awsExampleKeyID, SecretAccessKey: awsExampleSecret}, "us-east-1", awsExampleTime)
	assert.Empty(t, req.Header.Values("X-Amz-Security-Token"))
	assert.Equal(t, awsExampleAuthorization, req.Header.Get("Authorization"))
}

func TestSignS3DependsOnEveryInput(t *testing.T) {
	base := awsCredentials{AccessKeyID: awsExampleKeyID, SecretAccessKey: awsExampleSecret}
	tests := []struct {
		name   string
		cred   awsCredentials
		region string
		at     time.Time
		change func(*http.Request)
	}{
		{"secret", awsCredentials{AccessKeyID: awsExampleKeyID, SecretAccessKey: awsExampleSecret + "x"}, "us-east-1", awsExampleTime, nil},
		{"region", base, "eu-west-1", awsExampleTime, nil},
		{"time", base, "us-east-1", awsExampleTime.Add(time.Second), nil},
		{"range", base, "us-east-1", awsExampleTime, func(r *http.Request) { r.Header.Set("Range", "bytes=10-") }},
		{"path", base, "us-east-1", awsExampleTime, func(r *http.Request) { r.URL.Path = "/test2.txt" }},
		{"query", base, "us-east-1", awsExampleTime, func(r *http.Request) { r.URL.RawQuery = "versionId=1" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := awsExampleRequest(t)
			if tc.change != nil {
				tc.change(req)
			}
			signS3(req, tc.cred, tc.region, tc.at)
			sig := req.Header.Get("Authorization")
			require.True(t, strings.HasPrefix(sig, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"), sig)
			assert.NotEqual(t, awsExampleAuthorization, sig)
		})
	}
}

func TestURIEncode(t *testing.T) {
	tests := []struct {
		in, path, query string
	}{
		{"test.txt", "test.txt", "test.txt"},
		{"/dir/sub dir/a+b.pkg", "/dir/sub%20dir/a%2Bb.pkg", "%2Fdir%2Fsub%20dir%2Fa%2Bb.pkg"},
		{"A-Z_a~z.0", "A-Z_a~z.0", "A-Z_a~z.0"},
		{"ü=&?*", "%C3%BC%3D%26%3F%2A", "%C3%BC%3D%26%3F%2A"},
		{"", "", ""},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.path, uriEncode(tc.in, false), tc.in)
		assert.Equal(t, tc.query, uriEncode(tc.in, true), tc.in)
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"versionId=abc", "versionId=abc"},
		{"b=2&a=1&a=0", "a=0&a=1&b=2"},
		{"k=a%2Fb%20c", "k=a%2Fb%20c"},
		{"flag", "flag="},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, canonicalQuery(tc.in), tc.in)
	}
}
