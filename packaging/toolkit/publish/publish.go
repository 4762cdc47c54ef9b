// Package publish uploads a built package (.iscpkg) to a marketplace's vendor endpoint,
// POST /v1/vendor/releases, signed with the vendor's access key and secret as
// docs/marketplace-api.md describes (marketplace/api.VendorSignature).
package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
	"github.com/iscdesk/iscdesk/marketplace/api"
)

// ReleasesPath is the vendor endpoint that takes a package.
const ReleasesPath = "/v1/vendor/releases"

// Options say where to publish and as whom.
type Options struct {
	Market    string // base URL of the marketplace, e.g. http://127.0.0.1:8780
	AccessKey string
	Secret    string
	// Client sends the request; http.DefaultClient when nil.
	Client *http.Client
	// Now is the clock of X-Date; time.Now when nil.
	Now func() time.Time
}

// Credentials are a vendor's keys as the marketplace hands them out (vendor.json of the embedded one).
type Credentials struct {
	AccessKey string `json:"access_key"`
	Secret    string `json:"secret"`
}

// ReadCredentials reads a vendor.json file.
func ReadCredentials(path string) (Credentials, error) {
	var c Credentials
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("vendor credentials: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("vendor credentials %s: %w; it must be JSON with access_key and secret", path, err)
	}
	if c.AccessKey == "" || c.Secret == "" {
		return c, fmt.Errorf("vendor credentials %s: access_key and secret must both be set", path)
	}
	return c, nil
}

// Error is a refusal by the marketplace.
type Error struct {
	Status int
	Code   string // the marketplace's error code, e.g. "unauthorized", "release_exists"
	Msg    string
	Hint   string // what the vendor can do
}

func (e *Error) Error() string {
	s := fmt.Sprintf("the marketplace refused the release (%d %s): %s", e.Status, e.Code, e.Msg)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Publish uploads the package file at path and returns the releases the marketplace recorded.
func Publish(ctx context.Context, path string, o Options) (*api.PublishedRelease, error) {
	if o.AccessKey == "" || o.Secret == "" {
		return nil, errors.New("publish: the vendor access key and secret are both needed (--access-key and --secret, or --credentials vendor.json)")
	}
	endpoint, err := releasesURL(o.Market)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	defer f.Close()
	m, sum, size, err := inspect(f, path)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("publish %s: %w", path, err)
	}

	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	date := now().UTC().Format(api.VendorDateFormat)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), f)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(api.VendorDateHeader, date)
	req.Header.Set(api.VendorBodyHeader, sum)
	req.Header.Set("Authorization", api.VendorAuthorization(o.AccessKey,
		api.VendorSignature(o.Secret, http.MethodPost, endpoint.Path, date, sum)))
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("publish %s %s to %s: %w; is the marketplace running and the URL right?", m.ID, m.Version, o.Market, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("publish %s %s: reading the answer: %w", m.ID, m.Version, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, refusal(resp.StatusCode, body)
	}
	var out api.PublishedRelease
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("publish %s %s: the marketplace answered %d with something that is not a release: %w", m.ID, m.Version, resp.StatusCode, err)
	}
	return &out, nil
}

// inspect checks that f is an .iscpkg with a valid package.yaml and returns it with the file's
// SHA-256 and size, which the request signs.
func inspect(f *os.File, path string) (*manifest.Manifest, string, int64, error) {
	data, _, err := pkgfile.ReadManifest(f)
	if err != nil {
		return nil, "", 0, fmt.Errorf("publish %s: %w; publish the file that `iscdesk-pack build` wrote", path, err)
	}
	m, err := manifest.Parse(path+"!"+pkgfile.ManifestName, data)
	if err != nil {
		return nil, "", 0, fmt.Errorf("publish %s: its package.yaml is not valid; fix it, build again, then publish:\n%w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", 0, fmt.Errorf("publish %s: %w", path, err)
	}
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return nil, "", 0, fmt.Errorf("publish %s: reading it: %w", path, err)
	}
	return m, hex.EncodeToString(h.Sum(nil)), size, nil
}

func releasesURL(market string) (*url.URL, error) {
	u, err := url.Parse(market)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("publish: --market %q is not a marketplace URL; write it as http(s)://HOST[:PORT]", market)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + ReleasesPath
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// refusal reads the marketplace's error body and adds what the vendor can do about it.
func refusal(status int, body []byte) error {
	e := &Error{Status: status, Code: http.StatusText(status), Msg: strings.TrimSpace(string(body))}
	var ae api.Error
	if json.Unmarshal(body, &ae) == nil && ae.Message != "" {
		e.Code, e.Msg = ae.Code, ae.Message
	}
	switch status {
	case http.StatusUnauthorized:
		e.Hint = "check --access-key and --secret (vendor.json of the embedded marketplace) and this machine's clock"
	case http.StatusForbidden:
		e.Hint = "the product id belongs to another vendor"
	case http.StatusConflict:
		e.Hint = "a published version is never replaced: raise version in package.yaml, build and publish again"
	case http.StatusRequestEntityTooLarge:
		e.Hint = "the package is too large for this marketplace"
	}
	return e
}
