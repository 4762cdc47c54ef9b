package license

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFingerprint(t *testing.T) {
	want := Fingerprint{MAC: "00:1a:2b:3c:4d:5e", Disk: "WD-123", Board: "BRD-9", CPU: "BFEBFBFF000906EA"}
	tests := []struct {
		name, in  string
		wantField string // empty: valid
	}{
		{"colon upper", "00:1A:2B:3C:4D:5E|WD-123|BRD-9|BFEBFBFF000906EA", ""},
		{"hyphen", "00-1A-2B-3C-4D-5E|WD-123|BRD-9|BFEBFBFF000906EA", ""},
		{"cisco dots", "001a.2b3c.4d5e|WD-123|BRD-9|BFEBFBFF000906EA", ""},
		{"bare hex and spaces", " 001A2B3C4D5E | WD-123 |BRD-9| BFEBFBFF000906EA ", ""},
		{"three fields", "00:1a:2b:3c:4d:5e|WD-123|BRD-9", "fingerprint"},
		{"five fields", "00:1a:2b:3c:4d:5e|WD-123|BRD-9|cpu|x", "fingerprint"},
		{"empty mac", "|WD-123|BRD-9|cpu", "fingerprint.mac"},
		{"bad mac", "00:1a:2b:3c:4d|WD-123|BRD-9|cpu", "fingerprint.mac"},
		{"eui64 mac", "00:1a:2b:3c:4d:5e:6f:70|WD-123|BRD-9|cpu", "fingerprint.mac"},
		{"empty disk", "00:1a:2b:3c:4d:5e| |BRD-9|cpu", "fingerprint.disk"},
		{"empty board", "00:1a:2b:3c:4d:5e|WD-123||cpu", "fingerprint.board"},
		{"empty cpu", "00:1a:2b:3c:4d:5e|WD-123|BRD-9|", "fingerprint.cpu"},
		{"control char", "00:1a:2b:3c:4d:5e|WD\x00123|BRD-9|cpu", "fingerprint.disk"},
		{"too long", "00:1a:2b:3c:4d:5e|" + strings.Repeat("d", 200) + "|BRD-9|cpu", "fingerprint.disk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp, err := ParseFingerprint(tt.in)
			if tt.wantField == "" {
				require.NoError(t, err)
				assert.Equal(t, want, fp)
				assert.Equal(t, "00:1a:2b:3c:4d:5e|WD-123|BRD-9|BFEBFBFF000906EA", fp.String())
				return
			}
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a *FieldError, got %v", err)
			assert.Equal(t, tt.wantField, fe.Field)
			assert.NotEmpty(t, fe.Reason)
		})
	}
}

func TestFingerprintValidateWantsNormalMAC(t *testing.T) {
	fp := Fingerprint{MAC: "00-1A-2B-3C-4D-5E", Disk: "d", Board: "b", CPU: "c"}
	err := fp.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"00:1a:2b:3c:4d:5e"`, "the message shows the normal form")
}

func validRequest() Request {
	return Request{
		LicenseID:   "lic-1",
		Tenant:      "t1",
		Product:     "cadpro",
		Fingerprint: Fingerprint{MAC: "00:1a:2b:3c:4d:5e", Disk: "WD-123", Board: "BRD-9", CPU: "BFEBFBFF000906EA"},
		EffectiveAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		ExpiresAt:   time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func TestRequestValidate(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*Request)
		wantField string
	}{
		{"valid", func(*Request) {}, ""},
		{"no license id", func(r *Request) { r.LicenseID = "" }, "license_id"},
		{"no tenant", func(r *Request) { r.Tenant = " " }, "tenant"},
		{"no product", func(r *Request) { r.Product = "" }, "product"},
		{"bad fingerprint", func(r *Request) { r.Fingerprint.CPU = "" }, "fingerprint.cpu"},
		{"pipe in a field", func(r *Request) { r.Fingerprint.Board = "a|b" }, "fingerprint.board"},
		{"no effective", func(r *Request) { r.EffectiveAt = time.Time{} }, "effective_at"},
		{"no expiry", func(r *Request) { r.ExpiresAt = time.Time{} }, "expires_at"},
		{"expiry before effective", func(r *Request) { r.ExpiresAt = r.EffectiveAt.Add(-time.Hour) }, "expires_at"},
		{"expiry equals effective", func(r *Request) { r.ExpiresAt = r.EffectiveAt }, "expires_at"},
		{"long idempotency key", func(r *Request) { r.IdempotencyKey = strings.Repeat("k", 129) }, "idempotency_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.edit(&r)
			err := r.Validate()
			if tt.wantField == "" {
				require.NoError(t, err)
				return
			}
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a *FieldError, got %v", err)
			assert.Equal(t, tt.wantField, fe.Field)
		})
	}
}

func TestNewResultHashesContent(t *testing.T) {
	// SHA-256 of "abc", FIPS 180-2 appendix B.1.
	r := NewResult(KindText, []byte("abc"), "")
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", r.SHA256)
}
