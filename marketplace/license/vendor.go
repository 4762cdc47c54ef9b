package license

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Parameters of a request to a vendor's license endpoint, besides timeStamp and authToken.
const (
	ParamLicenseID   = "licenseId"
	ParamTenant      = "tenantId"
	ParamProduct     = "productId"
	ParamFingerprint = "fingerprint" // MAC|disk|board|cpu
	ParamEffectiveAt = "effectiveAt" // RFC 3339, UTC
	ParamExpiresAt   = "expiresAt"   // RFC 3339, UTC
	ParamRequestID   = "requestId"   // the same for every retry of one application
)

// VendorResponse is what a vendor's license endpoint answers with status 200.
type VendorResponse struct {
	Status string `json:"status"` // "issued" or "rejected"
	Reason string `json:"reason,omitempty"`
	Kind   string `json:"kind,omitempty"` // KindText or KindFile
	// Content is the license text (KindText); ContentBase64 the file's bytes (KindFile).
	Content       string `json:"content,omitempty"`
	ContentBase64 string `json:"content_base64,omitempty"`
	FileName      string `json:"file_name,omitempty"`
	SHA256        string `json:"sha256,omitempty"` // optional; checked when present
}

// VendorOptions configure a Vendor issuer.
type VendorOptions struct {
	URL    string // the vendor's license endpoint, http or https
	Secret string // the key shared with the vendor for AuthToken
	// Client sends the requests; one with a 30 s timeout when nil.
	Client *http.Client
	// Attempts bounds the calls for one application (default 5). Backoff is the wait after the first
	// failure (default 1 s), doubled after each further one up to MaxBackoff (default 30 s).
	Attempts   int
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Failures counts failed calls per product; share one among vendors to show them together.
	// A new one when nil.
	Failures *FailureCounter
	// Now is the clock for timeStamp; time.Now when nil.
	Now func() time.Time
}

// Vendor issues licenses by calling the vendor's own license endpoint: an HTTP POST of the
// form-encoded parameters (Param*), signed with SignParams. A 200 answer carries a VendorResponse.
// Network errors, 408, 429, 5xx and malformed answers are failures: counted per product and retried
// with backoff. Another 4xx, or status "rejected", is the vendor's final refusal.
type Vendor struct {
	opts VendorOptions
}

// maxVendorBody bounds a vendor's answer; licenses are small.
const maxVendorBody = 8 << 20

// NewVendor checks opts and returns the issuer.
func NewVendor(opts VendorOptions) (*Vendor, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("vendor license endpoint %q: want an http:// or https:// URL", clip(opts.URL))
	}
	if opts.Secret == "" {
		return nil, fmt.Errorf("vendor license endpoint %s: the shared secret is empty; set the product's vendor secret", u.Redacted())
	}
	if opts.Attempts < 0 || opts.Backoff < 0 || opts.MaxBackoff < 0 {
		return nil, fmt.Errorf("vendor license endpoint %s: attempts and backoffs must not be negative", u.Redacted())
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Attempts == 0 {
		opts.Attempts = 5
	}
	if opts.Backoff == 0 {
		opts.Backoff = time.Second
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.Failures == nil {
		opts.Failures = NewFailureCounter()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Vendor{opts: opts}, nil
}

// Failures is the counter of failed calls.
func (v *Vendor) Failures() *FailureCounter { return v.opts.Failures }

// Issue calls the vendor until it issues or rejects, the attempts run out or ctx ends.
func (v *Vendor) Issue(ctx context.Context, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrRejected, err)
	}
	wait := v.opts.Backoff
	var last error
	for attempt := 1; attempt <= v.opts.Attempts; attempt++ {
		res, retryAfter, err := v.call(ctx, req)
		if err == nil || errors.Is(err, ErrRejected) {
			return res, err
		}
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("issuing license %s for %q at the vendor: %w", req.LicenseID, req.Product, context.Cause(ctx))
		}
		v.opts.Failures.Add(req.Product)
		last = err
		if attempt == v.opts.Attempts {
			break
		}
		pause := min(max(wait, retryAfter), v.opts.MaxBackoff)
		wait = min(wait*2, v.opts.MaxBackoff)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return Result{}, fmt.Errorf("issuing license %s for %q at the vendor (after %d failed attempts, last: %v): %w", req.LicenseID, req.Product, attempt, last, context.Cause(ctx))
		case <-t.C:
		}
	}
	return Result{}, fmt.Errorf("issuing license %s for %q: the vendor's license endpoint failed %d times, last: %w; check that it is up and ask the vendor", req.LicenseID, req.Product, v.opts.Attempts, last)
}

// call makes one attempt. It returns ErrRejected for a final refusal, another error for a failure
// worth retrying, and the server's Retry-After when it gave one.
func (v *Vendor) call(ctx context.Context, req Request) (Result, time.Duration, error) {
	params := SignParams(map[string]string{
		ParamLicenseID:   req.LicenseID,
		ParamTenant:      req.Tenant,
		ParamProduct:     req.Product,
		ParamFingerprint: req.Fingerprint.String(),
		ParamEffectiveAt: req.EffectiveAt.UTC().Format(time.RFC3339),
		ParamExpiresAt:   req.ExpiresAt.UTC().Format(time.RFC3339),
		ParamRequestID:   req.requestKey(),
	}, v.opts.Secret, v.opts.Now())
	form := url.Values{}
	for k, val := range params {
		form.Set(k, val)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, v.opts.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return Result{}, 0, fmt.Errorf("building the request to %s: %w", v.opts.URL, err)
	}
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hreq.Header.Set("Accept", "application/json")
	resp, err := v.opts.Client.Do(hreq)
	if err != nil {
		return Result{}, 0, fmt.Errorf("calling %s: %w", v.opts.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxVendorBody+1))
	if err != nil {
		return Result{}, 0, fmt.Errorf("reading the answer of %s: %w", v.opts.URL, err)
	}
	if len(body) > maxVendorBody {
		return Result{}, 0, fmt.Errorf("the answer of %s is larger than %d bytes", v.opts.URL, maxVendorBody)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return decodeVendor(body)
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return Result{}, retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("%s answered %s: %s", v.opts.URL, resp.Status, snippet(body))
	default:
		return Result{}, 0, fmt.Errorf("%w by the vendor (%s): %s", ErrRejected, resp.Status, vendorReason(body))
	}
}

func decodeVendor(body []byte) (Result, time.Duration, error) {
	var vr VendorResponse
	if err := json.Unmarshal(body, &vr); err != nil {
		return Result{}, 0, fmt.Errorf("the vendor's answer is not a license response: %w", err)
	}
	if vr.Status == "rejected" {
		reason := strings.TrimSpace(vr.Reason)
		if reason == "" {
			reason = "no reason given"
		}
		return Result{}, 0, fmt.Errorf("%w by the vendor: %s", ErrRejected, clipN(reason, 500))
	}
	if vr.Status != "issued" {
		return Result{}, 0, fmt.Errorf("the vendor's answer has status %q, want issued or rejected", clip(vr.Status))
	}
	var res Result
	switch vr.Kind {
	case KindText:
		if vr.Content == "" {
			return Result{}, 0, errors.New("the vendor issued an empty text license")
		}
		res = NewResult(KindText, []byte(vr.Content), "")
	case KindFile:
		content, err := base64.StdEncoding.DecodeString(vr.ContentBase64)
		if err != nil || len(content) == 0 {
			return Result{}, 0, errors.New("the vendor's license file (content_base64) is empty or not base64")
		}
		name := vr.FileName
		if name == "" || name != path.Base(name) || strings.ContainsAny(name, `/\:`) || name == "." || name == ".." {
			return Result{}, 0, fmt.Errorf("the vendor's file_name %q is not a plain file name", clip(name))
		}
		res = NewResult(KindFile, content, name)
	default:
		return Result{}, 0, fmt.Errorf("the vendor's answer has kind %q, want text or file", clip(vr.Kind))
	}
	if vr.SHA256 != "" && !strings.EqualFold(vr.SHA256, res.SHA256) {
		return Result{}, 0, fmt.Errorf("the license content has SHA-256 %s, the vendor said %s; it was damaged on the way", res.SHA256, clip(vr.SHA256))
	}
	return res, 0, nil
}

// vendorReason takes the reason from a JSON error body, else the start of the body.
func vendorReason(body []byte) string {
	var vr VendorResponse
	if json.Unmarshal(body, &vr) == nil && strings.TrimSpace(vr.Reason) != "" {
		return clipN(strings.TrimSpace(vr.Reason), 500)
	}
	return snippet(body)
}

func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" {
		return "(empty body)"
	}
	return strconv.Quote(clipN(s, 200))
}

// retryAfter reads a Retry-After in seconds; dates and junk count as none.
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// FailureCounter counts failed calls to license endpoints per product. It is safe for concurrent use.
type FailureCounter struct {
	mu sync.Mutex
	n  map[string]int64 // guarded by mu
}

// NewFailureCounter returns an empty counter.
func NewFailureCounter() *FailureCounter { return &FailureCounter{n: map[string]int64{}} }

// Add counts one failure for product.
func (c *FailureCounter) Add(product string) {
	c.mu.Lock()
	c.n[product]++
	c.mu.Unlock()
}

// Count is the number of failures for product so far.
func (c *FailureCounter) Count(product string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[product]
}

// Snapshot copies the counts of every product that failed at least once.
func (c *FailureCounter) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// ByProduct picks the issuer of a product, or Default for products without their own.
type ByProduct struct {
	Default  Issuer
	Products map[string]Issuer
}

// Issue hands req to the product's issuer.
func (b ByProduct) Issue(ctx context.Context, req Request) (Result, error) {
	if is, ok := b.Products[req.Product]; ok && is != nil {
		return is.Issue(ctx, req)
	}
	if b.Default == nil {
		return Result{}, fmt.Errorf("%w: no license issuer is configured for product %q", ErrRejected, clip(req.Product))
	}
	return b.Default.Issue(ctx, req)
}
