package pkgfile

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// ReadManifest reads package.yaml from the start of an .iscpkg stream and returns it with its hex
// SHA-256. It reads no further than the first entry, so it is cheap on a large package.
func ReadManifest(r io.Reader) (data []byte, sum string, err error) {
	zd, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(128<<20))
	if err != nil {
		return nil, "", fmt.Errorf("reading package: %w", err)
	}
	defer zd.Close()
	tr := tar.NewReader(zd)
	hdr, err := tr.Next()
	if err != nil {
		return nil, "", fmt.Errorf("not an %s package (a zstd-compressed tar): %w", Ext, err)
	}
	if hdr.Name != ManifestName || hdr.Typeflag != tar.TypeReg {
		return nil, "", fmt.Errorf("not an %s package: the first entry is %q, not the file %s; rebuild it with iscdesk-pack build", Ext, hdr.Name, ManifestName)
	}
	if hdr.Size > MaxManifestSize {
		return nil, "", fmt.Errorf("%s in the package is %d bytes, more than the %d allowed", ManifestName, hdr.Size, MaxManifestSize)
	}
	data, err = io.ReadAll(io.LimitReader(tr, MaxManifestSize))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s from the package: %w", ManifestName, err)
	}
	h := sha256.Sum256(data)
	return data, hex.EncodeToString(h[:]), nil
}
