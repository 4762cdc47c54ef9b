package fetch

import (
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// ErrAccessDenied: an S3 mirror refused the request: the credentials are wrong, expired or may not
// read the object, or the bucket is not public and no credentials are set.
var ErrAccessDenied = errors.New("access denied")

// s3Source fetches s3 mirrors with plain HTTP GETs signed with AWS Signature Version 4, so that they
// resume, retry and hash as they stream exactly like https mirrors. Credentials come from the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); without them requests
// go unsigned, which public buckets allow.
type s3Source struct {
	client *http.Client // follows no redirect: see newS3Source
	env    func(string) string
	// region is the bucket's region as S3 named it, so that later attempts (one download uses a
	// source from one goroutine) go there at once.
	region string
}

func newS3Source(c *http.Client, env func(string) string) *s3Source {
	// A redirect would carry our signature to another host (Go drops it, and the request goes
	// anonymous); S3 says which region to use instead, and open follows that itself.
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &s3Source{client: &nc, env: env}
}

func (s *s3Source) open(ctx context.Context, u string, off int64, validator string, size int64) (*body, error) {
	o, err := parseS3URL(u, s.env)
	if err != nil {
		return nil, &permanent{err}
	}
	cred, err := awsCredentialsFrom(s.env)
	if err != nil {
		return nil, &permanent{fmt.Errorf("S3 mirror %s: %w", o, err)}
	}
	if s.region != "" && !o.regionPinned {
		o.region = s.region
	}
	for redirected := false; ; redirected = true {
		resp, err := s.get(ctx, o, cred, off, validator)
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound:
		default:
			return answer(resp, o.String(), off, size)
		}
		e := readS3Error(resp)
		resp.Body.Close()
		region := cmp.Or(resp.Header.Get("X-Amz-Bucket-Region"), e.Region)
		if region != "" && region != o.region && s3WrongRegion(resp.StatusCode, e.Code) {
			if o.regionPinned || redirected || !s3RegionRE.MatchString(region) {
				return nil, &permanent{fmt.Errorf("S3 bucket %q is in region %s, not %s (%s); write ?region=%s in the mirror URL or set AWS_REGION", o.bucket, region, o.region, e, region)}
			}
			o.region, s.region = region, region
			continue
		}
		return nil, s3Refusal(resp.StatusCode, resp.Status, e, o, cred)
	}
}

// get sends one GET, signed afresh: each retry and each resumed Range has its own date and signature.
func (s *s3Source) get(ctx context.Context, o *s3Object, cred *awsCredentials, off int64, validator string) (*http.Response, error) {
	target := o.target()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, &permanent{fmt.Errorf("S3 mirror %s: %w", o, err)}
	}
	req.URL, req.Host = target, target.Host
	setRange(req, off, validator)
	if cred != nil {
		signS3(req, *cred, o.region, time.Now())
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("requesting %s: %w", o, err)
	}
	return resp, nil
}

func s3WrongRegion(status int, code string) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect:
		return true
	case http.StatusBadRequest:
		return code == "AuthorizationHeaderMalformed" || code == "IllegalLocationConstraintException"
	}
	return false
}

// s3Refusal explains a 3xx or 4xx answer of S3 and says what to change.
func s3Refusal(status int, statusText string, e s3Error, o *s3Object, cred *awsCredentials) error {
	switch {
	case status == http.StatusNotFound && e.Code == "NoSuchBucket":
		return &permanent{fmt.Errorf("%w: S3 bucket %q does not exist (%s); check the mirror URL, and its region or endpoint", ErrNotFound, o.bucket, e)}
	case status == http.StatusNotFound:
		return &permanent{fmt.Errorf("%w at %s (404 %s); the bucket does not have this package", ErrNotFound, o, e)}
	case status == http.StatusForbidden && e.Code == "RequestTimeTooSkewed":
		return &permanent{fmt.Errorf("S3 mirror %s refused the request because this machine's clock differs from S3's by more than 15 minutes (%s); set the clock (NTP), then retry", o, e)}
	case status == http.StatusForbidden && cred == nil:
		return &permanent{fmt.Errorf("%w: S3 mirror %s refused anonymous access (%s): the bucket is not public; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the agent's environment (see docs/security.md, Package sources)", ErrAccessDenied, o, e)}
	case status == http.StatusForbidden && e.Code == "ExpiredToken":
		return &permanent{fmt.Errorf("%w: S3 mirror %s: the temporary credentials of access key %s have expired (%s); renew AWS_SESSION_TOKEN together with its key pair in the agent's environment", ErrAccessDenied, o, maskKeyID(cred.AccessKeyID), e)}
	case status == http.StatusForbidden && s3CredentialCodes[e.Code]:
		return &permanent{fmt.Errorf("%w: S3 mirror %s refused the credentials of access key %s (%s); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) in the agent's environment", ErrAccessDenied, o, maskKeyID(cred.AccessKeyID), e)}
	case status == http.StatusForbidden:
		// S3 also answers 403 for a missing object when the key may not list the bucket.
		return &permanent{fmt.Errorf("%w: access key %s may not read %s (%s); grant it s3:GetObject on the object (and s3:ListBucket to see 404 for a missing one), or set other credentials", ErrAccessDenied, maskKeyID(cred.AccessKeyID), o, e)}
	case status == http.StatusMovedPermanently || status == http.StatusTemporaryRedirect:
		return &permanent{fmt.Errorf("S3 mirror %s answered %s (%s); reach the bucket through its own endpoint or region", o, statusText, e)}
	default:
		return &permanent{fmt.Errorf("S3 mirror %s answered %s (%s); check the mirror URL", o, statusText, e)}
	}
}

// s3CredentialCodes are the S3 error codes that mean the key pair or token itself was refused.
var s3CredentialCodes = map[string]bool{
	"SignatureDoesNotMatch": true,
	"InvalidAccessKeyId":    true,
	"InvalidToken":          true,
	"TokenRefreshRequired":  true,
}

// s3Error is the XML body of an S3 error answer.
type s3Error struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
	Region  string `xml:"Region"`
}

// String is "Code: Message", kept short and on one line. S3's error bodies also echo the string it
// signed, which is left out: it helps no user and has no place in logs.
func (e s3Error) String() string {
	if e.Code == "" {
		return "no S3 error code"
	}
	msg := strings.Join(strings.Fields(e.Message), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if msg == "" {
		return e.Code
	}
	return e.Code + ": " + msg
}

func readS3Error(resp *http.Response) s3Error {
	var e s3Error
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err == nil {
		_ = xml.Unmarshal(b, &e) // a body that is not S3's XML leaves the status to speak
	}
	return e
}

// awsCredentialsFrom reads the key pair from env; nil, nil when none is set (anonymous requests).
func awsCredentialsFrom(env func(string) string) (*awsCredentials, error) {
	c := awsCredentials{
		AccessKeyID:     strings.TrimSpace(env("AWS_ACCESS_KEY_ID")),
		SecretAccessKey: strings.TrimSpace(env("AWS_SECRET_ACCESS_KEY")),
		SessionToken:    strings.TrimSpace(env("AWS_SESSION_TOKEN")),
	}
	switch {
	case c == awsCredentials{}:
		return nil, nil
	case c.AccessKeyID == "":
		return nil, errors.New("AWS_SECRET_ACCESS_KEY or AWS_SESSION_TOKEN is set but AWS_ACCESS_KEY_ID is not; set the whole key pair in the agent's environment, or none of it for a public bucket")
	case c.SecretAccessKey == "":
		return nil, errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set the whole key pair in the agent's environment, or none of it for a public bucket")
	}
	return &c, nil
}

// maskKeyID shows enough of an access key ID to tell which key it is.
func maskKeyID(id string) string {
	if len(id) <= 8 {
		return "…"
	}
	return id[:4] + "…" + id[len(id)-4:]
}
