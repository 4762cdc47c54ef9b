// Package release writes and checks what goes beside released files: SHA256SUMS, in the format
// of sha256sum, and a minisign signature NAME.minisig for each file (aead.dev/minisign), which
// `minisign -Vm NAME -p KEY.pub` and the agent's self-update both verify.
package release

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"aead.dev/minisign"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
)

// SumsFile is the name of the checksum list.
const SumsFile = "SHA256SUMS"

// SigSuffix is appended to a file's name for its signature.
const SigSuffix = ".minisig"

// WriteSums writes dir/SHA256SUMS for the named files in dir, one "HASH  NAME" a line.
func WriteSums(dir string, names []string) error {
	var b bytes.Buffer
	for _, name := range names {
		if name != filepath.Base(name) {
			return fmt.Errorf("checksums: %q is not a plain file name in %s", name, dir)
		}
		sum, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("checksums: %w", err)
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, name)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, SumsFile), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("checksums: %w", err)
	}
	return nil
}

// VerifySums checks every file listed in dir/SHA256SUMS and returns the names it checked.
func VerifySums(dir string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, SumsFile))
	if err != nil {
		return nil, fmt.Errorf("checksums: %w", err)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		want, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(want) != sha256.Size*2 || name != filepath.Base(name) {
			return nil, fmt.Errorf("%s:%d: not \"SHA256  NAME\"", filepath.Join(dir, SumsFile), line)
		}
		got, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("checksums: %w", err)
		}
		if got != want {
			return nil, fmt.Errorf("checksums: %s has SHA-256 %s, but %s lists %s; the file is damaged or was changed", name, got, SumsFile, want)
		}
		names = append(names, name)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("checksums: reading %s: %w", SumsFile, err)
	}
	return names, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Sign writes path.minisig. The trusted comment names the file, so that a signature cannot be
// passed off for another file of the same release.
func Sign(key minisign.PrivateKey, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	defer f.Close()
	r := minisign.NewReader(f)
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	name := filepath.Base(path)
	sig := r.SignWithComments(key, "file:"+name, "signature of "+name+" by the ISCDesk release key")
	if err := atomicfile.WriteFile(path+SigSuffix, sig, 0o644); err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	return nil
}

// Verify checks path.minisig against pub, and that its trusted comment names the file.
func Verify(pub minisign.PublicKey, path string) error {
	sigText, err := os.ReadFile(path + SigSuffix)
	if err != nil {
		return fmt.Errorf("verifying %s: %w", path, err)
	}
	var sig minisign.Signature
	if err := sig.UnmarshalText(sigText); err != nil {
		return fmt.Errorf("verifying %s: %s%s is not a minisign signature: %w", path, filepath.Base(path), SigSuffix, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("verifying: %w", err)
	}
	defer f.Close()
	r := minisign.NewReader(f)
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("verifying %s: %w", path, err)
	}
	if !r.Verify(pub, sigText) {
		return fmt.Errorf("verifying %s: the signature does not match the file or was not made by key %X", path, pub.ID())
	}
	if want := "file:" + filepath.Base(path); sig.TrustedComment != want {
		return fmt.Errorf("verifying %s: the signature is for %q, not this file", path, strings.TrimPrefix(sig.TrustedComment, "file:"))
	}
	return nil
}

// LoadKey reads a minisign secret key file; password decrypts it when it is encrypted.
func LoadKey(path, password string) (minisign.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return minisign.PrivateKey{}, fmt.Errorf("reading the signing key: %w", err)
	}
	if minisign.IsEncrypted(data) {
		if password == "" {
			return minisign.PrivateKey{}, fmt.Errorf("the signing key %s is encrypted; give its password", path)
		}
		k, err := minisign.DecryptKey(password, data)
		if err != nil {
			return minisign.PrivateKey{}, fmt.Errorf("decrypting the signing key %s: %w", path, err)
		}
		return k, nil
	}
	var k minisign.PrivateKey
	if err := k.UnmarshalText(data); err != nil {
		return minisign.PrivateKey{}, fmt.Errorf("the signing key %s: %w", path, err)
	}
	return k, nil
}

// GenerateKey makes a new unencrypted key pair, writes the secret key to keyPath (0600, never over
// an existing file) and returns it. For development and tests; release keys are made with
// `minisign -G` and kept encrypted.
func GenerateKey(keyPath string) (minisign.PrivateKey, error) {
	_, priv, err := minisign.GenerateKey(nil)
	if err != nil {
		return minisign.PrivateKey{}, fmt.Errorf("generating a signing key: %w", err)
	}
	text, err := priv.MarshalText()
	if err != nil {
		return minisign.PrivateKey{}, fmt.Errorf("generating a signing key: %w", err)
	}
	f, err := os.OpenFile(keyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return minisign.PrivateKey{}, fmt.Errorf("writing the signing key: %w", err)
	}
	_, werr := f.Write(text)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return minisign.PrivateKey{}, fmt.Errorf("writing the signing key %s: %w", keyPath, err)
	}
	return priv, nil
}

// WritePublicKey writes the public half of key in minisign's .pub format.
func WritePublicKey(key minisign.PrivateKey, path string) error {
	pub, ok := key.Public().(minisign.PublicKey)
	if !ok {
		return errors.New("writing the public key: the key has no minisign public key")
	}
	text, err := pub.MarshalText()
	if err != nil {
		return fmt.Errorf("writing the public key: %w", err)
	}
	if err := atomicfile.WriteFile(path, text, 0o644); err != nil {
		return fmt.Errorf("writing the public key: %w", err)
	}
	return nil
}
