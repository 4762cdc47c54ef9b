package license

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testKey(t *testing.T, seed byte) ed25519.PrivateKey {
	t.Helper()
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func TestBuiltinIssueAndVerify(t *testing.T) {
	key := testKey(t, 1)
	issuedAt := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	b, err := NewBuiltin(key, BuiltinOptions{Now: func() time.Time { return issuedAt }})
	require.NoError(t, err)

	req := validRequest()
	res, err := b.Issue(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, KindFile, res.Kind)
	assert.Equal(t, "cadpro-lic-1.lic", res.FileName)
	sum := sha256.Sum256(res.Content)
	assert.Equal(t, hex.EncodeToString(sum[:]), res.SHA256)

	doc, err := VerifyDocument(res.Content, key.Public().(ed25519.PublicKey))
	require.NoError(t, err)
	assert.Equal(t, Document{
		Format: DocumentFormat, LicenseID: "lic-1", Tenant: "t1", Product: "cadpro",
		Fingerprint: req.Fingerprint.String(), EffectiveAt: req.EffectiveAt, ExpiresAt: req.ExpiresAt, IssuedAt: issuedAt,
	}, doc)

	inside := req.EffectiveAt.Add(time.Hour)
	other := req.Fingerprint
	other.Disk = "another-disk"
	checks := []struct {
		name    string
		fp      Fingerprint
		at      time.Time
		wantErr string
	}{
		{"this device, in time", req.Fingerprint, inside, ""},
		{"another device", other, inside, "bound to another device"},
		{"before effective", req.Fingerprint, req.EffectiveAt.Add(-time.Second), "takes effect"},
		{"at expiry", req.Fingerprint, req.ExpiresAt, "expired"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			err := doc.Check(c.fp, c.at)
			if c.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.wantErr)
		})
	}
}

func TestVerifyDocumentRefuses(t *testing.T) {
	key := testKey(t, 1)
	b, err := NewBuiltin(key, BuiltinOptions{})
	require.NoError(t, err)
	res, err := b.Issue(context.Background(), validRequest())
	require.NoError(t, err)
	pub := key.Public().(ed25519.PublicKey)

	tests := []struct {
		name    string
		content []byte
		pub     ed25519.PublicKey
		wantErr string
	}{
		{"other key", res.Content, testKey(t, 2).Public().(ed25519.PublicKey), "does not match"},
		{"altered device", bytes.Replace(res.Content, []byte("WD-123"), []byte("WD-124"), 1), pub, "does not match"},
		{"not json", []byte("hello"), pub, "not a license file"},
		{"unknown field", []byte(`{"license":{},"signature":"","extra":1}`), pub, "not a license file"},
		{"no signature", []byte(`{"license":{"format":1}}`), pub, "signature is missing"},
		{"short public key", res.Content, pub[:5], "public key has 5 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyDocument(tt.content, tt.pub)
			require.ErrorIs(t, err, ErrBadLicense)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestBuiltinRejectsInvalidRequest(t *testing.T) {
	b, err := NewBuiltin(testKey(t, 1), BuiltinOptions{})
	require.NoError(t, err)
	req := validRequest()
	req.Fingerprint.MAC = "nope"
	_, err = b.Issue(context.Background(), req)
	require.ErrorIs(t, err, ErrRejected)
	var fe *FieldError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, "fingerprint.mac", fe.Field)
}

func TestBuiltinDelayHonoursContext(t *testing.T) {
	b, err := NewBuiltin(testKey(t, 1), BuiltinOptions{Delay: time.Hour})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = b.Issue(ctx, validRequest())
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrRejected, "a cut-off issue is not a verdict")
}

func TestNewBuiltinChecksOptions(t *testing.T) {
	_, err := NewBuiltin(ed25519.PrivateKey{1, 2}, BuiltinOptions{})
	assert.ErrorContains(t, err, "Ed25519 private key")
	_, err = NewBuiltin(testKey(t, 1), BuiltinOptions{Delay: -time.Second})
	assert.ErrorContains(t, err, "negative delay")
}
