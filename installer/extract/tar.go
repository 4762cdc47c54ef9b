package extract

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// maxZstdWindow bounds the decoder's memory; zstd --long=27 archives need 128 MiB.
const maxZstdWindow = 128 << 20

// maxTrailer is how much data may follow the tar end marker (record padding is at most 10 KiB).
const maxTrailer = 1 << 20

// extractTarStream decompresses r as format and extracts the tar inside.
func extractTarStream(ctx context.Context, t *tree, m *meter, r io.Reader, format Format) error {
	cr := &countingReader{r: r}
	m.consumed = cr.n.Load
	var src io.Reader
	switch format {
	case FormatTar:
		src = bufio.NewReaderSize(cr, copyBufSize)
	case FormatTarGz:
		zr, err := gzip.NewReader(bufio.NewReaderSize(cr, 256<<10))
		if err != nil {
			return fmt.Errorf("%w: reading the gzip header: %w", ErrFormat, err)
		}
		defer zr.Close()
		src = zr
	case FormatTarZst:
		zd, err := zstd.NewReader(cr, zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderConcurrency(2))
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFormat, err)
		}
		defer zd.Close()
		src = zd
	default:
		return fmt.Errorf("%w: %v is not a tar format", ErrFormat, format)
	}
	if err := extractTar(ctx, t, m, src); err != nil {
		return err
	}
	// Read to the end: it checks the compressed stream's checksum, and a download piped into
	// Reader must never block on a reader that stopped early.
	n, err := io.Copy(io.Discard, io.LimitReader(src, maxTrailer+1))
	switch {
	case err != nil:
		return fmt.Errorf("%w: after the last entry: %w", ErrFormat, err)
	case n > maxTrailer:
		return fmt.Errorf("%w: more than %d bytes of data after the end of the tar archive", ErrFormat, maxTrailer)
	}
	return nil
}

func extractTar(ctx context.Context, t *tree, m *meter, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: reading the next tar header: %w", ErrFormat, err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		raw := hdr.Name
		name, err := cleanName(raw, m.lim.MaxNameLen)
		if err != nil {
			return err
		}
		if err := m.addEntry(raw); err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = t.mkdir(name, raw)
		case tar.TypeReg, tar.TypeGNUSparse: // archive/tar fills a sparse file's holes as it reads
			if err = t.prepareFile(name, raw); err == nil {
				err = t.writeFile(ctx, m, name, raw, hdr.FileInfo().Mode(), tr)
			}
		case tar.TypeSymlink:
			err = t.symlink(name, hdr.Linkname, raw)
		case tar.TypeLink:
			err = t.hardlink(name, hdr.Linkname, raw, m.lim.MaxNameLen)
		case tar.TypeChar, tar.TypeBlock:
			err = unsafeEntry(raw, "device file; packages may not create devices")
		case tar.TypeFifo:
			err = unsafeEntry(raw, "named pipe (fifo); packages may hold only files, folders and links")
		default:
			err = unsafeEntry(raw, "unsupported tar entry type %q", hdr.Typeflag)
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeDir {
			m.files++
		}
	}
}
