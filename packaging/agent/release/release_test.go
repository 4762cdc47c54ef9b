package release

import (
	"os"
	"path/filepath"
	"testing"

	"aead.dev/minisign"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSumsAndSignatures(t *testing.T) {
	dir := t.TempDir()
	key, err := GenerateKey(filepath.Join(t.TempDir(), "k"))
	require.NoError(t, err)
	pub := key.Public().(minisign.PublicKey)
	other, err := GenerateKey(filepath.Join(t.TempDir(), "other"))
	require.NoError(t, err)

	tests := []struct {
		name    string
		spoil   func(t *testing.T) // after signing
		sumsErr string
		sigErr  string // for a.deb
	}{
		{name: "untouched"},
		{
			name: "a changed file fails both",
			spoil: func(t *testing.T) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "a.deb"), []byte("evil"), 0o644))
			},
			sumsErr: "a.deb has SHA-256",
			sigErr:  "does not match",
		},
		{
			name: "a signature by another key",
			spoil: func(t *testing.T) {
				require.NoError(t, Sign(other, filepath.Join(dir, "a.deb")))
			},
			sigErr: "does not match",
		},
		{
			name: "the signature of another file of the release",
			spoil: func(t *testing.T) {
				// b.msi given a.deb's bytes and signed: a valid signature, but made for b.msi.
				require.NoError(t, os.WriteFile(filepath.Join(dir, "b.msi"), mustRead(t, filepath.Join(dir, "a.deb")), 0o644))
				require.NoError(t, Sign(key, filepath.Join(dir, "b.msi")))
				require.NoError(t, os.Rename(filepath.Join(dir, "b.msi.minisig"), filepath.Join(dir, "a.deb.minisig")))
			},
			sumsErr: "b.msi has SHA-256",
			sigErr:  `the signature is for "b.msi"`,
		},
		{
			name:    "a missing file",
			spoil:   func(t *testing.T) { require.NoError(t, os.Remove(filepath.Join(dir, "a.deb"))) },
			sumsErr: "a.deb",
			sigErr:  "a.deb",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, os.RemoveAll(dir))
			require.NoError(t, os.MkdirAll(dir, 0o755))
			for name, body := range map[string]string{"a.deb": "deb bytes", "b.msi": "msi bytes"} {
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
				require.NoError(t, Sign(key, filepath.Join(dir, name)))
			}
			require.NoError(t, WriteSums(dir, []string{"a.deb", "b.msi"}))
			if tt.spoil != nil {
				tt.spoil(t)
			}
			names, err := VerifySums(dir)
			if tt.sumsErr == "" {
				require.NoError(t, err)
				assert.Equal(t, []string{"a.deb", "b.msi"}, names)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.sumsErr)
			}
			err = Verify(pub, filepath.Join(dir, "a.deb"))
			if tt.sigErr == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.sigErr)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestSumsFormat(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x"), []byte("abc"), 0o644))
	require.NoError(t, WriteSums(dir, []string{"x"}))
	// sha256sum's format: the hash of "abc", two spaces, the name.
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  x\n", string(mustRead(t, filepath.Join(dir, SumsFile))))
	assert.Error(t, WriteSums(dir, []string{"../x"}), "names only, no paths")
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.key")
	key, err := GenerateKey(plain)
	require.NoError(t, err)
	_, err = GenerateKey(plain)
	require.Error(t, err, "never over an existing key")

	// minisign's scrypt makes each encryption and decryption take seconds: one of each.
	enc, err := minisign.EncryptKey("secret", key)
	require.NoError(t, err)
	encrypted := filepath.Join(dir, "enc.key")
	require.NoError(t, os.WriteFile(encrypted, enc, 0o600))

	tests := []struct {
		name, path, password, wantErr string
	}{
		{name: "unencrypted", path: plain},
		{name: "encrypted with its password", path: encrypted, password: "secret"},
		{name: "encrypted without a password", path: encrypted, wantErr: "is encrypted; give its password"},
		{name: "missing", path: filepath.Join(dir, "none"), wantErr: "reading the signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadKey(tt.path, tt.password)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, key.Equal(got))
		})
	}
}
