// Package license issues the licenses that tenants apply for on the marketplace.
//
// Who issues is pluggable behind Issuer: Builtin signs a license document bound to the device
// fingerprint with the marketplace's Ed25519 key; Vendor calls the vendor's own license endpoint with
// a signed request (see Sign) and retries it; ByProduct picks one of them per product. The server
// runs Issue in the background, so an issuer may take its time; it must honour ctx.
package license

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Issuer turns an application for a license into the license itself.
//
// An error that wraps ErrRejected is a final refusal: the application is rejected with the error's
// text as the reason. Any other error means the issuer could not reach a verdict (ctx ended, the
// vendor stayed unreachable after its retries); the caller decides whether to try again later.
type Issuer interface {
	Issue(ctx context.Context, req Request) (Result, error)
}

// ErrRejected marks a final refusal of an application, by the issuer or by the vendor.
var ErrRejected = errors.New("license application rejected")

// Request is one application for a license.
type Request struct {
	LicenseID   string // the marketplace's id of the license
	Tenant      string // the tenant that applies
	Product     string // the product the tenant is entitled to
	Fingerprint Fingerprint
	EffectiveAt time.Time
	ExpiresAt   time.Time
	// IdempotencyKey lets an issuer recognise a repeated call for the same application; when empty,
	// LicenseID stands in for it.
	IdempotencyKey string
}

// Kinds of license content.
const (
	KindText = "text" // Content is text to paste or show, e.g. an activation code
	KindFile = "file" // Content is a file to save as FileName
)

// Result is an issued license.
type Result struct {
	Kind     string // KindText or KindFile
	Content  []byte
	FileName string // for KindFile: the base name to save Content as
	SHA256   string // lower-case hex SHA-256 of Content
}

// NewResult builds a Result and computes its SHA-256.
func NewResult(kind string, content []byte, fileName string) Result {
	sum := sha256.Sum256(content)
	return Result{Kind: kind, Content: content, FileName: fileName, SHA256: hex.EncodeToString(sum[:])}
}

// FieldError says which input field is wrong and why, so that an API can answer 400 naming it.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// maxFieldLen bounds every identifier and fingerprint part; they are ids, not documents.
const maxFieldLen = 128

// Validate checks a request before it is issued; the error is a *FieldError.
func (r Request) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"license_id", r.LicenseID}, {"tenant", r.Tenant}, {"product", r.Product},
	} {
		if err := checkText(f.name, f.value); err != nil {
			return err
		}
	}
	if err := r.Fingerprint.Validate(); err != nil {
		return err
	}
	if r.EffectiveAt.IsZero() {
		return fieldErr("effective_at", "is required")
	}
	if r.ExpiresAt.IsZero() {
		return fieldErr("expires_at", "is required")
	}
	if !r.ExpiresAt.After(r.EffectiveAt) {
		return fieldErr("expires_at", "must be after effective_at (%s)", r.EffectiveAt.UTC().Format(time.RFC3339))
	}
	if len(r.IdempotencyKey) > maxFieldLen {
		return fieldErr("idempotency_key", "is longer than %d bytes", maxFieldLen)
	}
	return nil
}

// requestKey is the idempotency key sent to issuers.
func (r Request) requestKey() string {
	if r.IdempotencyKey != "" {
		return r.IdempotencyKey
	}
	return r.LicenseID
}

// Fingerprint identifies the device a license is bound to: "MAC|disk|board|cpu".
type Fingerprint struct {
	MAC   string // normalised: lower-case, colon-separated, e.g. "00:1a:2b:3c:4d:5e"
	Disk  string // the system disk's serial number
	Board string // the main board's serial number
	CPU   string // the processor id
}

// ParseFingerprint reads "MAC|disk|board|cpu": four non-empty fields, the MAC in any of the usual
// forms (00:1A:2B:3C:4D:5E, 00-1A-2B-3C-4D-5E, 001a.2b3c.4d5e, 001A2B3C4D5E), normalised.
func ParseFingerprint(s string) (Fingerprint, error) {
	parts := strings.Split(s, "|")
	if len(parts) != 4 {
		return Fingerprint{}, fieldErr("fingerprint", "has %d field(s); write MAC|disk|board|cpu, four fields separated by |", len(parts))
	}
	fp := Fingerprint{
		MAC:   strings.TrimSpace(parts[0]),
		Disk:  strings.TrimSpace(parts[1]),
		Board: strings.TrimSpace(parts[2]),
		CPU:   strings.TrimSpace(parts[3]),
	}
	mac, err := NormalizeMAC(fp.MAC)
	if err != nil {
		return Fingerprint{}, err
	}
	fp.MAC = mac
	return fp, fp.Validate()
}

// String gives the "MAC|disk|board|cpu" form.
func (f Fingerprint) String() string {
	return f.MAC + "|" + f.Disk + "|" + f.Board + "|" + f.CPU
}

// Validate checks that the four fields are present and the MAC is in normal form.
func (f Fingerprint) Validate() error {
	mac, err := NormalizeMAC(f.MAC)
	if err != nil {
		return err
	}
	if mac != f.MAC {
		return fieldErr("fingerprint.mac", "%q is not normalised; use %q (ParseFingerprint does it)", f.MAC, mac)
	}
	for _, p := range []struct{ name, value string }{
		{"fingerprint.disk", f.Disk}, {"fingerprint.board", f.Board}, {"fingerprint.cpu", f.CPU},
	} {
		if err := checkText(p.name, p.value); err != nil {
			return err
		}
		if strings.Contains(p.value, "|") {
			return fieldErr(p.name, "must not contain |, the field separator")
		}
	}
	return nil
}

// NormalizeMAC returns a 48-bit MAC address in lower-case colon form.
func NormalizeMAC(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fieldErr("fingerprint.mac", "is required")
	}
	if len(s) == 12 && isHex(s) { // bare form as some tools print it
		s = s[0:2] + ":" + s[2:4] + ":" + s[4:6] + ":" + s[6:8] + ":" + s[8:10] + ":" + s[10:12]
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return "", fieldErr("fingerprint.mac", "%q is not a 48-bit MAC address; write it as 00:1A:2B:3C:4D:5E", clip(s))
	}
	return hw.String(), nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !unicode.Is(unicode.ASCII_Hex_Digit, c) {
			return false
		}
	}
	return true
}

// checkText accepts a non-empty, printable, bounded identifier.
func checkText(field, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return fieldErr(field, "is required")
	case len(v) > maxFieldLen:
		return fieldErr(field, "is longer than %d bytes", maxFieldLen)
	case !utf8.ValidString(v):
		return fieldErr(field, "is not valid UTF-8")
	}
	for _, c := range v {
		if unicode.IsControl(c) {
			return fieldErr(field, "contains a control character")
		}
	}
	return nil
}

// clip shortens untrusted input quoted in messages.
func clip(s string) string { return clipN(s, 40) }

// clipN keeps the first n runes of s.
func clipN(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
