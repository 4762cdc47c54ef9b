package license

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/iscdesk/iscdesk/installer/ticket"
)

// DocumentFormat is the only license document format Builtin writes and VerifyDocument reads.
const DocumentFormat = 1

// Document is the body of a license that Builtin signs.
type Document struct {
	Format      int       `json:"format"`
	LicenseID   string    `json:"license_id"`
	Tenant      string    `json:"tenant"`
	Product     string    `json:"product"`
	Fingerprint string    `json:"fingerprint"` // "MAC|disk|board|cpu", MAC normalised
	EffectiveAt time.Time `json:"effective_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	IssuedAt    time.Time `json:"issued_at"`
}

// signedFile is the license file: the document as it was signed, and the signature over those bytes.
// License is kept raw so that verification checks exactly the bytes that were signed.
type signedFile struct {
	License   json.RawMessage `json:"license"`
	KeyID     string          `json:"key_id"`
	Signature string          `json:"signature"` // base64 (std) Ed25519 signature of License
}

// BuiltinOptions tunes Builtin.
type BuiltinOptions struct {
	// Delay is how long Issue waits before it signs, to behave like a real, slower issuer in demos
	// and to exercise the pending state; 0 issues at once.
	Delay time.Duration
	// Now is the clock for IssuedAt; time.Now when nil.
	Now func() time.Time
}

// Builtin signs license files bound to the device fingerprint with the marketplace's key.
type Builtin struct {
	key   ed25519.PrivateKey
	keyID string
	opts  BuiltinOptions
}

// NewBuiltin returns an issuer that signs with key.
func NewBuiltin(key ed25519.PrivateKey, opts BuiltinOptions) (*Builtin, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("built-in license issuer: the signing key has %d bytes, want an Ed25519 private key of %d", len(key), ed25519.PrivateKeySize)
	}
	if opts.Delay < 0 {
		return nil, fmt.Errorf("built-in license issuer: negative delay %s", opts.Delay)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Builtin{key: key, keyID: ticket.KeyID(key.Public().(ed25519.PublicKey)), opts: opts}, nil
}

// KeyID is the id of the signing key, as ticket.KeyID computes it.
func (b *Builtin) KeyID() string { return b.keyID }

// Issue waits for the configured delay, then returns a license file "<product>-<license id>.lic".
// An invalid request is rejected (the error wraps ErrRejected and a *FieldError).
func (b *Builtin) Issue(ctx context.Context, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrRejected, err)
	}
	if b.opts.Delay > 0 {
		t := time.NewTimer(b.opts.Delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("issuing license %s: %w", req.LicenseID, context.Cause(ctx))
		case <-t.C:
		}
	}
	doc := Document{
		Format:      DocumentFormat,
		LicenseID:   req.LicenseID,
		Tenant:      req.Tenant,
		Product:     req.Product,
		Fingerprint: req.Fingerprint.String(),
		EffectiveAt: req.EffectiveAt.UTC(),
		ExpiresAt:   req.ExpiresAt.UTC(),
		IssuedAt:    b.opts.Now().UTC().Truncate(time.Second),
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return Result{}, fmt.Errorf("issuing license %s: encoding the document: %w", req.LicenseID, err)
	}
	return NewResult(KindFile, encodeSigned(body, b.keyID, ed25519.Sign(b.key, body)), req.Product+"-"+req.LicenseID+".lic"), nil
}

// encodeSigned writes the signedFile by hand: json.MarshalIndent would re-indent the signed bytes.
func encodeSigned(body []byte, keyID string, sig []byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("{\n  \"license\": ")
	buf.Write(body)
	buf.WriteString(",\n  \"key_id\": ")
	buf.WriteString(strconv.Quote(keyID)) // hex: plain ASCII, so Go and JSON quoting agree
	buf.WriteString(",\n  \"signature\": \"")
	buf.WriteString(base64.StdEncoding.EncodeToString(sig))
	buf.WriteString("\"\n}\n")
	return buf.Bytes()
}

// ErrBadLicense is wrapped by every error of VerifyDocument.
var ErrBadLicense = errors.New("license file does not verify")

// VerifyDocument checks a license file written by Builtin against the marketplace's public key and
// returns its document. It does not check the dates or the device; see Document.Check.
func VerifyDocument(content []byte, pub ed25519.PublicKey) (Document, error) {
	var f signedFile
	dec := json.NewDecoder(bytes.NewReader(content))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Document{}, fmt.Errorf("%w: not a license file: %w", ErrBadLicense, err)
	}
	sig, err := base64.StdEncoding.DecodeString(f.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Document{}, fmt.Errorf("%w: the signature is missing or malformed", ErrBadLicense)
	}
	if len(pub) != ed25519.PublicKeySize {
		return Document{}, fmt.Errorf("%w: the public key has %d bytes, want %d", ErrBadLicense, len(pub), ed25519.PublicKeySize)
	}
	if !ed25519.Verify(pub, f.License, sig) {
		return Document{}, fmt.Errorf("%w: the signature does not match (key %q); the file was altered or signed by another key", ErrBadLicense, clip(f.KeyID))
	}
	var doc Document
	if err := json.Unmarshal(f.License, &doc); err != nil {
		return Document{}, fmt.Errorf("%w: the signed document is malformed: %w", ErrBadLicense, err)
	}
	if doc.Format != DocumentFormat {
		return Document{}, fmt.Errorf("%w: format %d, this build reads format %d; update ISCDesk", ErrBadLicense, doc.Format, DocumentFormat)
	}
	return doc, nil
}

// Check says whether the license holds on the device fp at time now.
func (d Document) Check(fp Fingerprint, now time.Time) error {
	switch {
	case d.Fingerprint != fp.String():
		return fmt.Errorf("license %s is bound to another device (%s), not this one (%s); apply for a license for this device", d.LicenseID, d.Fingerprint, fp)
	case now.Before(d.EffectiveAt):
		return fmt.Errorf("license %s takes effect at %s", d.LicenseID, d.EffectiveAt.Format(time.RFC3339))
	case !now.Before(d.ExpiresAt):
		return fmt.Errorf("license %s expired at %s; renew it on the marketplace", d.LicenseID, d.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}
