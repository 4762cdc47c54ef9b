package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// ApplyLicense applies for a license of a product for one device; the answer is the pending
// license (see WaitLicense). key is the Idempotency-Key: "" derives it from the application, so
// that applying twice for the same thing (a retried command) gives the same license; pass a new
// key (e.g. NewIdempotencyKey) to apply afresh after a rejection.
func (c *Client) ApplyLicense(ctx context.Context, app api.LicenseApplication, key string) (*api.License, error) {
	if key == "" {
		data, err := json.Marshal(app)
		if err != nil {
			return nil, fmt.Errorf("applying for a license: %w", err)
		}
		sum := sha256.Sum256(data)
		key = "license-" + hex.EncodeToString(sum[:16])
	}
	var out api.License
	if err := c.call(ctx, request{method: http.MethodPost, path: "/v1/licenses", body: app, idemKey: key}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NewIdempotencyKey is a fresh random key for a POST that must not be taken for an earlier one.
func NewIdempotencyKey() string { return newIdempotencyKey() }

// Licenses iterates over the tenant's licenses (Filter: state, product).
func (c *Client) Licenses(ctx context.Context, o ListOptions) iter.Seq2[api.License, error] {
	return list[api.License](ctx, c, "/v1/licenses", o)
}

// License returns one license.
func (c *Client) License(ctx context.Context, id string) (*api.License, error) {
	var out api.License
	if err := c.call(ctx, request{method: http.MethodGet, path: pathf("/v1/licenses/%s", id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WaitLicense polls a license every interval until it is no longer pending, and returns it.
func (c *Client) WaitLicense(ctx context.Context, id string, interval time.Duration) (*api.License, error) {
	for {
		lic, err := c.License(ctx, id)
		if err != nil {
			return nil, err
		}
		if lic.State != api.LicensePending {
			return lic, nil
		}
		if err := sleep(ctx, interval); err != nil {
			return nil, fmt.Errorf("waiting for license %s to be issued: %w; see it later with `iscdesk licenses show %s`", id, err, id)
		}
	}
}

// LicenseContent is an issued license's content, its SHA-256 checked.
type LicenseContent struct {
	Data     []byte
	SHA256   string // lower-case hex
	FileName string // for a file license; "" for text
	IsText   bool
}

// LicenseContentOf downloads an issued license and checks it against the SHA-256 the server sent.
func (c *Client) LicenseContentOf(ctx context.Context, id string) (*LicenseContent, error) {
	path := pathf("/v1/licenses/%s/content", id)
	resp, err := c.send(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(resp.body)
	got := hex.EncodeToString(sum[:])
	want := strings.ToLower(resp.header.Get(api.LicenseContentSHA256Header))
	if want == "" || want != got {
		return nil, fmt.Errorf("marketplace: GET %s: the license content has SHA-256 %s but the server said %q; download it again", path, got, want)
	}
	out := &LicenseContent{Data: resp.body, SHA256: got}
	mediaType, _, _ := mime.ParseMediaType(resp.header.Get("Content-Type"))
	out.IsText = strings.HasPrefix(mediaType, "text/")
	if _, params, err := mime.ParseMediaType(resp.header.Get("Content-Disposition")); err == nil {
		out.FileName = params["filename"]
	}
	return out, nil
}

// LicenseKeys returns the public keys that sign the built-in issuer's licenses.
func (c *Client) LicenseKeys(ctx context.Context) (*api.Keys, error) {
	var k api.Keys
	if err := c.call(ctx, request{method: http.MethodGet, path: "/v1/license-keys", noAuth: true}, &k); err != nil {
		return nil, err
	}
	return &k, nil
}
