package ticket

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Key file extensions: NAME.key holds the private key (mode 0600), NAME.pub the public one.
const (
	PrivateKeyExt = ".key"
	PublicKeyExt  = ".pub"
)

// WriteKeyFiles writes k to name+".key" (0600) and its public half to name+".pub" (0644). It never
// overwrites: when either file exists it writes nothing, since losing a signing key cannot be undone.
func WriteKeyFiles(name string, k PrivateKey) (keyPath, pubPath string, err error) {
	keyPath, pubPath = name+PrivateKeyExt, name+PublicKeyExt
	privText, err := k.MarshalText()
	if err != nil {
		return "", "", err
	}
	pubText, err := k.Public().MarshalText()
	if err != nil {
		return "", "", err
	}
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("writing key files: %s already exists; choose another name or move the old key away (it is not overwritten)", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("writing key files: %w", err)
		}
	}
	if err := createExclusive(keyPath, append(privText, '\n'), 0o600); err != nil {
		return "", "", err
	}
	if err := createExclusive(pubPath, append(pubText, '\n'), 0o644); err != nil {
		_ = os.Remove(keyPath) // a private key without its .pub is half a key pair; start clean
		return "", "", err
	}
	return keyPath, pubPath, nil
}

// createExclusive creates path, failing if it exists, and flushes it to disk.
func createExclusive(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("writing key file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("writing key file %s: %w", path, cerr)
		}
		if err != nil {
			_ = os.Remove(path)
		}
	}()
	// The umask may have narrowed perm; the .key must be 0600 whatever it is, the .pub readable.
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing key file %s: %w", path, err)
	}
	return nil
}

// ReadPrivateKeyFile reads a private key written by WriteKeyFiles.
func ReadPrivateKeyFile(path string) (PrivateKey, error) {
	data, err := readSmall(path)
	if err != nil {
		return PrivateKey{}, err
	}
	k, err := ParsePrivateKey(data)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ReadPublicKeyFile reads a public key written by WriteKeyFiles.
func ReadPublicKeyFile(path string) (PublicKey, error) {
	data, err := readSmall(path)
	if err != nil {
		return PublicKey{}, err
	}
	p, err := ParsePublicKey(data)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ReadFile reads a ticket file, refusing one larger than MaxSize before reading it all.
func ReadFile(path string) ([]byte, error) {
	return readSmall(path)
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("reading %s: it is larger than %d bytes; is it the right file?", path, MaxSize)
	}
	return data, nil
}
