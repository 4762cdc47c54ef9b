package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
)

// packageDigest is what a ticket says about a package's bytes.
type packageDigest struct {
	Size           int64
	SHA256         string
	ManifestSHA256 string
}

// inspectPackage reads a built .iscpkg: its size and digests, and its parsed package.yaml.
func inspectPackage(ctx context.Context, path string) (packageDigest, *manifest.Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return packageDigest{}, nil, fmt.Errorf("reading package: %w", err)
	}
	defer f.Close()
	raw, mfSum, err := pkgfile.ReadManifest(ctxReader{ctx, f})
	if err != nil {
		return packageDigest{}, nil, fmt.Errorf("reading package %s: %w", path, err)
	}
	m, err := manifest.Parse(path+":"+pkgfile.ManifestName, raw)
	if err != nil {
		return packageDigest{}, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return packageDigest{}, nil, fmt.Errorf("reading package %s: %w", path, err)
	}
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return packageDigest{}, nil, fmt.Errorf("reading package %s: %w", path, err)
	}
	return packageDigest{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), ManifestSHA256: mfSum}, m, nil
}

// ctxReader stops a long read when ctx is cancelled (Ctrl-C on a multi-GB package).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
