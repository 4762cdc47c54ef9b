// Package ticket signs and verifies release tickets: the statement, signed by the marketplace with
// Ed25519, that a package (by URL, size and digests) is a release of a product that a tenant may
// install. The agent runs as root or SYSTEM and installs only what a ticket it can verify names.
//
// Sign writes the wire form; Keyring.Verify checks it (signature, key, fields, time), Ticket.Check
// applies the machine's policy (platform, downgrade) and Ticket.MatchPackage ties the downloaded
// bytes to the ticket. Every refusal wraps one of the Err* kinds. docs/security.md has the long form.
package ticket

import (
	"fmt"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"time"
	"unicode"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

// Ext is the file extension of a ticket on disk.
const Ext = ".ticket"

// Limits of a ticket's validity.
const (
	// ClockSkew is how far in the future IssuedAt may be before a ticket is "not yet valid".
	ClockSkew = 5 * time.Minute
	// MaxLifetime bounds ExpiresAt-IssuedAt so that a leaked ticket does not stay good for long.
	MaxLifetime = 30 * 24 * time.Hour
)

// Ticket is the signed statement. Its JSON form is what the signature covers (see Sign).
type Ticket struct {
	Product string `json:"product"` // the product id, as in package.yaml "id"
	Name    string `json:"name"`    // shown to people
	Version string `json:"version"`
	// Platform the package is for: "os" or "os/arch", e.g. "windows" or "linux/amd64".
	Platform string   `json:"platform"`
	URLs     []string `json:"urls"` // https, http, file or s3; tried in order
	Size     int64    `json:"size"` // of the .iscpkg, in bytes
	// SHA256 of the .iscpkg and ManifestSHA256 of the package.yaml inside it, lower-case hex.
	SHA256         string    `json:"sha256"`
	ManifestSHA256 string    `json:"manifest_sha256"`
	Tenant         string    `json:"tenant,omitempty"`
	Order          string    `json:"order,omitempty"`
	IssuedAt       time.Time `json:"issued_at"`
	ExpiresAt      time.Time `json:"expires_at"`
	KeyID          string    `json:"key_id"` // filled by Sign
}

// Checks is what Check compares a ticket with: the machine and what is installed on it.
type Checks struct {
	// GOOS and GOARCH of the machine; runtime.GOOS and runtime.GOARCH when empty.
	GOOS, GOARCH string
	// Installed is the installed version of the product, "" when it is not installed.
	Installed string
	// AllowDowngrade lets a ticket install a version lower than Installed.
	AllowDowngrade bool
}

var (
	productPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	knownOS        = map[string]bool{"linux": true, "windows": true, "darwin": true}
	knownArch      = map[string]bool{"amd64": true, "arm64": true}
	urlSchemes     = map[string]bool{"https": true, "http": true, "file": true, "s3": true}
)

// Field limits, generous for real tickets and small enough that a ticket stays a small document.
const (
	maxTextLen    = 200
	maxVersionLen = 64
	maxURLs       = 16
	maxURLLen     = 2048
)

// String names the ticket for messages: `"demo-solver" 2.1.0`.
// Before the signature is checked the fields are untrusted, so an odd version is quoted.
func (t *Ticket) String() string {
	if manifest.ValidVersion(t.Version) {
		return fmt.Sprintf("%q %s", clip(t.Product, 64), t.Version)
	}
	return fmt.Sprintf("%q %q", clip(t.Product, 64), clip(t.Version, maxVersionLen))
}

// Validate checks every field on its own (not the signature, not the time). Sign and Verify call it.
func (t *Ticket) Validate() error {
	bad := func(format string, a ...any) error {
		return refuse(ErrInvalid, fmt.Sprintf("ticket for %s: ", t)+fmt.Sprintf(format, a...)+
			"; the marketplace (or the vendor's signing tool) issued a ticket this agent cannot use")
	}
	if !productPattern.MatchString(t.Product) {
		return bad("product id %.64q is not lower-case letters, digits, '.', '_' or '-' (at most 64), as in package.yaml", t.Product)
	}
	if err := checkText("name", t.Name, true); err != nil {
		return bad("%v", err)
	}
	if !manifest.ValidVersion(t.Version) {
		return bad("version %.64q is not dotted numbers with an optional -suffix (like 2.1.0 or 2.1.0-rc.1)", t.Version)
	}
	if _, _, err := splitPlatform(t.Platform); err != nil {
		return bad("%v", err)
	}
	if len(t.URLs) == 0 || len(t.URLs) > maxURLs {
		return bad("it has %d package URLs, want 1 to %d", len(t.URLs), maxURLs)
	}
	for _, u := range t.URLs {
		if err := checkURL(u); err != nil {
			return bad("%v", err)
		}
	}
	if t.Size <= 0 {
		return bad("package size %d is not positive", t.Size)
	}
	if !isHex(t.SHA256, 64) {
		return bad("sha256 %.80q is not 64 hex characters", t.SHA256)
	}
	if !isHex(t.ManifestSHA256, 64) {
		return bad("manifest_sha256 %.80q is not 64 hex characters", t.ManifestSHA256)
	}
	if err := checkText("tenant", t.Tenant, false); err != nil {
		return bad("%v", err)
	}
	if err := checkText("order", t.Order, false); err != nil {
		return bad("%v", err)
	}
	if t.IssuedAt.IsZero() || t.ExpiresAt.IsZero() {
		return bad("issued_at and expires_at must both be set")
	}
	if !t.ExpiresAt.After(t.IssuedAt) {
		return bad("it expires (%s) before it is issued (%s)", rfc3339(t.ExpiresAt), rfc3339(t.IssuedAt))
	}
	if life := t.ExpiresAt.Sub(t.IssuedAt); life > MaxLifetime {
		return bad("it is valid for %s, longer than the %s allowed", life.Round(time.Hour), MaxLifetime)
	}
	if !isHex(t.KeyID, 16) {
		return bad("key id %.40q is not 16 hex characters", t.KeyID)
	}
	return nil
}

// checkTime refuses a ticket outside [IssuedAt-ClockSkew, ExpiresAt).
func (t *Ticket) checkTime(now time.Time) error {
	if !now.Before(t.ExpiresAt) {
		return refuse(ErrExpired, fmt.Sprintf("ticket for %s expired at %s (it is now %s); refresh it from the marketplace",
			t, rfc3339(t.ExpiresAt), rfc3339(now)))
	}
	if t.IssuedAt.After(now.Add(ClockSkew)) {
		return refuse(ErrNotYetValid, fmt.Sprintf("ticket for %s is issued at %s, more than %s after this machine's clock (%s); check the clock of this machine",
			t, rfc3339(t.IssuedAt), ClockSkew, rfc3339(now)))
	}
	return nil
}

// Check applies the machine's policy to a verified ticket: the platform must be this machine's and,
// unless c.AllowDowngrade, the version must not be lower than the installed one. Reinstalling the
// installed version (a repair) is allowed.
func (t *Ticket) Check(c Checks) error {
	goos, goarch := c.GOOS, c.GOARCH
	if goos == "" {
		goos = runtime.GOOS
	}
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	wantOS, wantArch, err := splitPlatform(t.Platform)
	if err != nil {
		return refuse(ErrInvalid, fmt.Sprintf("ticket for %s: %v", t, err))
	}
	if wantOS != goos || (wantArch != "" && wantArch != goarch) {
		return refuse(ErrPlatform, fmt.Sprintf("ticket for %s is for %s but this machine is %s/%s; get the ticket for this platform from the marketplace",
			t, t.Platform, goos, goarch))
	}
	if c.Installed != "" && !c.AllowDowngrade && manifest.CompareVersions(t.Version, c.Installed) < 0 {
		return refuse(ErrDowngrade, fmt.Sprintf("ticket for %s would replace the installed %s with an older version; uninstall first or allow the downgrade explicitly",
			t, clip(c.Installed, maxVersionLen)))
	}
	return nil
}

// MatchPackage compares a package's size and digests (hex, any case) with the ticket. Call it
// before anything of the package is extracted or run.
func (t *Ticket) MatchPackage(size int64, sha256, manifestSHA256 string) error {
	var diffs []string
	if size != t.Size {
		diffs = append(diffs, fmt.Sprintf("it is %d bytes, the ticket says %d", size, t.Size))
	}
	if !strings.EqualFold(sha256, t.SHA256) {
		diffs = append(diffs, fmt.Sprintf("its SHA-256 is %.64s, the ticket says %s", sha256, t.SHA256))
	}
	if !strings.EqualFold(manifestSHA256, t.ManifestSHA256) {
		diffs = append(diffs, fmt.Sprintf("its package.yaml SHA-256 is %.64s, the ticket says %s", manifestSHA256, t.ManifestSHA256))
	}
	if len(diffs) == 0 {
		return nil
	}
	return refuse(ErrPackageMismatch, fmt.Sprintf("package for %s does not match its ticket: %s; the download is damaged or is not the release the ticket names, download it again",
		t, strings.Join(diffs, "; ")))
}

// splitPlatform splits "os" or "os/arch" and checks both parts.
func splitPlatform(p string) (goos, goarch string, err error) {
	goos, goarch, _ = strings.Cut(p, "/")
	if !knownOS[goos] {
		return "", "", fmt.Errorf("platform %.40q: want linux, windows or darwin, optionally /amd64 or /arm64", p)
	}
	if strings.Contains(p, "/") && !knownArch[goarch] {
		return "", "", fmt.Errorf("platform %.40q: want the architecture amd64 or arm64 after the /", p)
	}
	return goos, goarch, nil
}

func checkURL(raw string) error {
	if len(raw) > maxURLLen {
		return fmt.Errorf("a package URL is %d bytes long, at most %d", len(raw), maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("package URL %.100q does not parse: %w", raw, err)
	}
	if !urlSchemes[u.Scheme] {
		return fmt.Errorf("package URL %.100q: the scheme must be https, http, file or s3", raw)
	}
	if u.User != nil {
		// Tickets are logged and shown; a secret in one would leak.
		return fmt.Errorf("package URL %.100q holds a user name or password; use a signed URL or the fetcher's credentials instead", u.Redacted())
	}
	switch u.Scheme {
	case "file":
		if u.Path == "" {
			return fmt.Errorf("package URL %.100q: a file URL needs a path", raw)
		}
	default:
		if u.Host == "" {
			return fmt.Errorf("package URL %.100q needs a host (s3: a bucket)", raw)
		}
	}
	return nil
}

func checkText(field, s string, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return fmt.Errorf("%s is empty", field)
	}
	if len(s) > maxTextLen {
		return fmt.Errorf("%s is %d bytes long, at most %d", field, len(s), maxTextLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("%s %.64q holds a control character or invalid UTF-8", field, s)
		}
	}
	return nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// clip shortens untrusted text before it goes into a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
