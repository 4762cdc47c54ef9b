package fetch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envOf is a Fetcher.Env over a map, so that tests need not touch the process environment.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		env    map[string]string
		target string // the URL the GET goes to
		region string
		pinned bool
		show   string // how messages name it
	}{
		{"default region", "s3://bucket/pkgs/a.pkg", nil,
			"https://bucket.s3.us-east-1.amazonaws.com/pkgs/a.pkg", "us-east-1", false, "s3://bucket/pkgs/a.pkg"},
		{"AWS_REGION", "s3://bucket/a.pkg", map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"},
			"https://bucket.s3.eu-west-1.amazonaws.com/a.pkg", "eu-west-1", false, "s3://bucket/a.pkg"},
		{"AWS_DEFAULT_REGION", "s3://bucket/a.pkg", map[string]string{"AWS_DEFAULT_REGION": "us-west-2"},
			"https://bucket.s3.us-west-2.amazonaws.com/a.pkg", "us-west-2", false, "s3://bucket/a.pkg"},
		{"region in the URL wins", "s3://bucket/a.pkg?region=ap-south-1", map[string]string{"AWS_REGION": "eu-west-1"},
			"https://bucket.s3.ap-south-1.amazonaws.com/a.pkg", "ap-south-1", true, "s3://bucket/a.pkg"},
		{"key is encoded once", "s3://bucket/dir/cad%20pro+1.pkg", nil,
			"https://bucket.s3.us-east-1.amazonaws.com/dir/cad%20pro%2B1.pkg", "us-east-1", false, "s3://bucket/dir/cad pro+1.pkg"},
		{"version", "s3://bucket/a.pkg?version=3/L4kqtJl40Nr8X8gdRQBpUMLUo", nil,
			"https://bucket.s3.us-east-1.amazonaws.com/a.pkg?versionId=3%2FL4kqtJl40Nr8X8gdRQBpUMLUo", "us-east-1", false, "s3://bucket/a.pkg"},
		{"dotted bucket goes path-style (TLS)", "s3://my.bucket/a.pkg?region=eu-west-1", nil,
			"https://s3.eu-west-1.amazonaws.com/my.bucket/a.pkg", "eu-west-1", true, "s3://my.bucket/a.pkg"},
		{"loopback endpoint", "s3://bucket/a.pkg?endpoint=http://127.0.0.1:9000", nil,
			"http://127.0.0.1:9000/bucket/a.pkg", "us-east-1", true, "s3://bucket/a.pkg (endpoint http://127.0.0.1:9000)"},
		{"IPv6 loopback endpoint", "s3://bucket/a.pkg?endpoint=http://[::1]:9000/", nil,
			"http://[::1]:9000/bucket/a.pkg", "us-east-1", true, "s3://bucket/a.pkg (endpoint http://[::1]:9000)"},
		{"https endpoint", "s3://bucket/a.pkg?endpoint=https://minio.example.com&region=site-1", nil,
			"https://minio.example.com/bucket/a.pkg", "site-1", true, "s3://bucket/a.pkg (endpoint https://minio.example.com)"},
		{"go-getter global endpoint", "s3::https://s3.amazonaws.com/bucket/a.pkg", nil,
			"https://bucket.s3.us-east-1.amazonaws.com/a.pkg", "us-east-1", false, "s3://bucket/a.pkg"},
		{"go-getter regional endpoint", "s3::https://s3.eu-central-1.amazonaws.com/bucket/dir/a.pkg", nil,
			"https://bucket.s3.eu-central-1.amazonaws.com/dir/a.pkg", "eu-central-1", true, "s3://bucket/dir/a.pkg"},
		{"go-getter dash region", "s3::https://s3-eu-west-1.amazonaws.com/bucket/a.pkg", nil,
			"https://bucket.s3.eu-west-1.amazonaws.com/a.pkg", "eu-west-1", true, "s3://bucket/a.pkg"},
		{"go-getter virtual host", "s3::https://bucket.s3.eu-west-1.amazonaws.com/a.pkg?version=7", nil,
			"https://bucket.s3.eu-west-1.amazonaws.com/a.pkg?versionId=7", "eu-west-1", true, "s3://bucket/a.pkg"},
		{"go-getter dotted virtual host", "s3::https://my.bucket.s3.amazonaws.com/a.pkg", map[string]string{"AWS_REGION": "us-west-1"},
			"https://s3.us-west-1.amazonaws.com/my.bucket/a.pkg", "us-west-1", false, "s3://my.bucket/a.pkg"},
		{"go-getter custom endpoint", "s3::http://127.0.0.1:9000/bucket/a.pkg?region=eu-west-1", nil,
			"http://127.0.0.1:9000/bucket/a.pkg", "eu-west-1", true, "s3://bucket/a.pkg (endpoint http://127.0.0.1:9000)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseS3URL(tc.url, envOf(tc.env))
			require.NoError(t, err)
			assert.Equal(t, tc.target, o.target().String())
			assert.Equal(t, tc.region, o.region)
			assert.Equal(t, tc.pinned, o.regionPinned)
			assert.Equal(t, tc.show, o.String())
		})
	}
}

func TestParseS3URLRefuses(t *testing.T) {
	tests := []struct {
		name string
		url  string
		msg  string
	}{
		{"no key", "s3://bucket/", "names a bucket but no object"},
		{"no bucket", "s3:///a.pkg", "is not a valid bucket name"},
		{"bad bucket", "s3://b/a.pkg", "is not a valid bucket name"},
		{"bad region", "s3://bucket/a.pkg?region=eu-west-1.evil.com%2F", "is not an AWS region name"},
		{"http to another host", "s3://bucket/a.pkg?endpoint=http://10.0.0.5:9000", "plain http, which is allowed only for 127.0.0.1 or [::1]"},
		{"http to localhost by name", "s3://bucket/a.pkg?endpoint=http://localhost:9000", "plain http, which is allowed only for 127.0.0.1"},
		{"endpoint with a path", "s3://bucket/a.pkg?endpoint=https://minio.example.com/s3", "must be just a scheme and a host"},
		{"endpoint of another scheme", "s3://bucket/a.pkg?endpoint=ftp://minio.example.com", "must use https"},
		{"unknown parameter", "s3://bucket/a.pkg?regoin=eu-west-1", `unknown parameter "regoin"; known: endpoint, region, version`},
		{"credentials in the query", "s3://bucket/a.pkg?aws_access_key_secret=sekrit", "never from the URL"},
		{"user info", "s3://AKID:sekrit@bucket/a.pkg", "never from the URL"},
		{"go-getter http to AWS", "s3::http://s3.amazonaws.com/bucket/a.pkg", "reached at https://s3.amazonaws.com"},
		{"go-getter non-S3 AWS host", "s3::https://ec2.amazonaws.com/bucket/a.pkg", "not an S3 endpoint"},
		{"go-getter http elsewhere", "s3::http://minio.example.com/bucket/a.pkg", "plain http"},
		{"go-getter no key", "s3::https://s3.amazonaws.com/bucket", "names a bucket but no object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseS3URL(tc.url, envOf(nil))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.NotContains(t, err.Error(), "sekrit")
		})
	}
}

func TestAWSCredentialsFrom(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    *awsCredentials
		wantMsg string
	}{
		{"none: anonymous", nil, nil, ""},
		{"key pair", map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}, &awsCredentials{AccessKeyID: "AKID", SecretAccessKey: "s"}, ""},
		{"temporary", map[string]string{"AWS_ACCESS_KEY_ID": " AKID ", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}, &awsCredentials{AccessKeyID: "AKID", SecretAccessKey: "s", SessionToken: "t"}, ""},
		{"no secret", map[string]string{"AWS_ACCESS_KEY_ID": "AKID"}, nil, "AWS_SECRET_ACCESS_KEY is not"},
		{"no key ID", map[string]string{"AWS_SECRET_ACCESS_KEY": "s"}, nil, "AWS_ACCESS_KEY_ID is not"},
		{"token alone", map[string]string{"AWS_SESSION_TOKEN": "t"}, nil, "AWS_ACCESS_KEY_ID is not"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := awsCredentialsFrom(envOf(tc.env))
			if tc.wantMsg != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantMsg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestRedactForcedGetterURLs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"s3::https://user:pw@s3.amazonaws.com/b/k?x=1", "s3::https://s3.amazonaws.com/b/k?…"},
		{"s3://bucket/key?endpoint=http://127.0.0.1:9000", "s3://bucket/key?…"},
		{"http://[::1]:8080/p.pkg", "http://[::1]:8080/p.pkg"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, redact(tc.in), tc.in)
	}
}
