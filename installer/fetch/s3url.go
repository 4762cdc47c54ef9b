package fetch

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// s3Object is what an s3 mirror URL names, and where to send the request for it.
type s3Object struct {
	bucket, key string
	versionID   string
	region      string
	// regionPinned: the URL names the region (or a custom endpoint), so an answer that the bucket
	// lives elsewhere is an error to report, not a redirect to follow.
	regionPinned bool
	// endpoint (scheme and host) of an S3-compatible server, addressed path-style; nil for AWS.
	endpoint *url.URL
}

// s3Params are the query parameters of s3://bucket/key URLs.
var s3Params = []string{"endpoint", "region", "version"}

var (
	s3RegionRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
	// Bucket names as S3 accepts them, legacy upper case and underscores included.
	s3BucketRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$`)
	// Names that can go in front of .s3.REGION.amazonaws.com and still match AWS's TLS certificate.
	s3VirtualHostRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
)

// parseS3URL reads the two forms of S3 mirror URL:
//
//	s3://bucket/key[?region=R][&endpoint=URL][&version=ID]
//	s3::https://host/... (go-getter's form: an AWS S3 URL, or an S3-compatible server, path-style)
//
// env supplies AWS_REGION and AWS_DEFAULT_REGION when the URL names no region.
func parseS3URL(raw string, env func(string) string) (*s3Object, error) {
	var o *s3Object
	var err error
	if inner, ok := strings.CutPrefix(raw, "s3::"); ok {
		o, err = parseForcedS3(inner)
	} else {
		o, err = parsePlainS3(raw)
	}
	if err != nil {
		return nil, err
	}
	if o.region == "" {
		o.region = cmp.Or(strings.TrimSpace(env("AWS_REGION")), strings.TrimSpace(env("AWS_DEFAULT_REGION")), "us-east-1")
	}
	if !s3RegionRE.MatchString(o.region) {
		return nil, fmt.Errorf("S3 mirror %s: %q is not an AWS region name (like eu-west-1)", o, o.region)
	}
	if !s3BucketRE.MatchString(o.bucket) {
		return nil, fmt.Errorf("S3 mirror %s: %q is not a valid bucket name (3 to 63 letters, digits, dots and hyphens)", o, o.bucket)
	}
	if o.key == "" {
		return nil, fmt.Errorf("S3 mirror %s names a bucket but no object: write s3://bucket/path/to/package", o)
	}
	return o, nil
}

func parsePlainS3(raw string) (*s3Object, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("S3 mirror %q is not a URL: %w", redact(raw), err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("S3 mirror %s carries user info; credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the agent's environment, never from the URL", redact(raw))
	}
	o := &s3Object{bucket: u.Host, key: strings.TrimPrefix(u.Path, "/")}
	q := u.Query()
	for name := range q {
		if !slices.Contains(s3Params, name) {
			return nil, unknownS3Param(o, name)
		}
	}
	o.versionID = q.Get("version")
	if r := q.Get("region"); r != "" {
		o.region, o.regionPinned = r, true
	}
	if e := q.Get("endpoint"); e != "" {
		ep, err := url.Parse(e)
		if err != nil {
			return nil, fmt.Errorf("S3 mirror %s: endpoint %q is not a URL: %w", o, e, err)
		}
		if err := checkS3Endpoint(ep); err != nil {
			return nil, fmt.Errorf("S3 mirror %s: %w", o, err)
		}
		o.endpoint, o.regionPinned = &url.URL{Scheme: ep.Scheme, Host: ep.Host}, true
	}
	return o, nil
}

// parseForcedS3 reads the URL after go-getter's "s3::" prefix.
func parseForcedS3(raw string) (*s3Object, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("S3 mirror \"s3::%s\" is not a URL: %w", redact(raw), err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("S3 mirror s3::%s carries user info; credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the agent's environment, never from the URL", redact(raw))
	}
	host := strings.ToLower(u.Hostname())
	o := &s3Object{}
	if rest, ok := strings.CutSuffix(host, ".amazonaws.com"); ok {
		if u.Scheme != "https" || u.Port() != "" {
			return nil, fmt.Errorf("S3 mirror s3::%s: AWS S3 is reached at https://%s, with no other scheme or port", redact(raw), host)
		}
		if err := o.readAWSHost(rest, u.Path); err != nil {
			return nil, fmt.Errorf("S3 mirror s3::%s: %w", redact(raw), err)
		}
	} else {
		if err := checkS3Endpoint(&url.URL{Scheme: u.Scheme, Host: u.Host}); err != nil {
			return nil, fmt.Errorf("S3 mirror s3::%s: %w", redact(raw), err)
		}
		o.endpoint, o.regionPinned = &url.URL{Scheme: u.Scheme, Host: u.Host}, true
		o.bucket, o.key, _ = strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	}
	q := u.Query()
	for name := range q {
		if name != "region" && name != "version" {
			return nil, unknownS3Param(o, name)
		}
	}
	o.versionID = q.Get("version")
	if r := q.Get("region"); r != "" {
		o.region, o.regionPinned = r, true
	}
	return o, nil
}

// readAWSHost reads bucket, key and region from an AWS host name (without .amazonaws.com) and
// path: s3[.REGION] or s3-REGION with the bucket first in the path, or BUCKET. before either.
func (o *s3Object) readAWSHost(host, path string) error {
	labels := strings.Split(host, ".")
	at := -1
	for i := len(labels) - 1; i >= 0; i-- {
		if labels[i] == "s3" || strings.HasPrefix(labels[i], "s3-") {
			at = i
			break
		}
	}
	if at < 0 || len(labels)-at > 2 {
		return errors.New("the host is not an S3 endpoint (s3.REGION.amazonaws.com or BUCKET.s3.REGION.amazonaws.com); write s3://bucket/key?region=REGION instead")
	}
	if r, ok := strings.CutPrefix(labels[at], "s3-"); ok {
		o.region = r
	}
	if at+1 < len(labels) {
		o.region = labels[at+1]
	}
	o.regionPinned = o.region != ""
	path = strings.TrimPrefix(path, "/")
	if at == 0 {
		o.bucket, o.key, _ = strings.Cut(path, "/")
	} else {
		o.bucket, o.key = strings.Join(labels[:at], "."), path
	}
	return nil
}

// checkS3Endpoint allows https anywhere and plain http only to this machine (a local MinIO or a
// test server): signed requests over http elsewhere could be read and replayed on the way.
func checkS3Endpoint(ep *url.URL) error {
	if ep.User != nil || (ep.Path != "" && ep.Path != "/") || ep.RawQuery != "" || ep.Host == "" {
		return fmt.Errorf("endpoint %q must be just a scheme and a host, like https://minio.example.com:9000", redact(ep.String()))
	}
	switch ep.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(ep.Hostname()); ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("endpoint %s uses plain http, which is allowed only for 127.0.0.1 or [::1]; use https", ep.Host)
	default:
		return fmt.Errorf("endpoint %q must use https (or http to 127.0.0.1 or [::1])", redact(ep.String()))
	}
}

func unknownS3Param(o *s3Object, name string) error {
	if strings.HasPrefix(name, "aws_") {
		return fmt.Errorf("S3 mirror %s: the URL carries %q; credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in the agent's environment, never from the URL", o, name)
	}
	known := slices.Clone(s3Params)
	sort.Strings(known)
	return fmt.Errorf("S3 mirror %s: unknown parameter %q; known: %s", o, name, strings.Join(known, ", "))
}

// String names the object for messages; it never holds a credential.
func (o *s3Object) String() string {
	s := "s3://" + o.bucket + "/" + o.key
	if o.endpoint != nil {
		s += " (endpoint " + o.endpoint.String() + ")"
	}
	return s
}

// target is the URL of the GET: the custom endpoint path-style, else AWS virtual-host style, or
// path-style for bucket names that cannot be a TLS host name (dots, capitals, underscores).
func (o *s3Object) target() *url.URL {
	u := &url.URL{Scheme: "https", Path: "/" + o.bucket + "/" + o.key}
	switch {
	case o.endpoint != nil:
		u.Scheme, u.Host = o.endpoint.Scheme, o.endpoint.Host
	case s3VirtualHostRE.MatchString(o.bucket):
		u.Host, u.Path = o.bucket+".s3."+o.region+".amazonaws.com", "/"+o.key
	default:
		u.Host = "s3." + o.region + ".amazonaws.com"
	}
	// Sent exactly as signed: Go keeps RawPath because it is a valid encoding of Path.
	u.RawPath = uriEncode(u.Path, false)
	if o.versionID != "" {
		u.RawQuery = "versionId=" + uriEncode(o.versionID, true)
	}
	return u
}
