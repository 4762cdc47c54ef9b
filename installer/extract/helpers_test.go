package extract

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
)

// ent is one entry of a crafted archive.
type ent struct {
	name string
	typ  byte   // tar type flag; zip maps it to a mode
	body string // file content, or a zip symlink's target
	link string // tar link target
	mode int64
}

func file(name, body string) ent { return ent{name: name, typ: tar.TypeReg, body: body, mode: 0o644} }
func exe(name, body string) ent  { return ent{name: name, typ: tar.TypeReg, body: body, mode: 0o4755} }
func dir(name string) ent        { return ent{name: name, typ: tar.TypeDir, mode: 0o755} }
func symlink(name, to string) ent {
	return ent{name: name, typ: tar.TypeSymlink, link: to, body: to, mode: 0o777}
}
func hardlink(name, to string) ent { return ent{name: name, typ: tar.TypeLink, link: to, mode: 0o644} }

// writeTar writes entries as a tar stream into w.
func writeTar(t testing.TB, w io.Writer, entries []ent) {
	t.Helper()
	tw := tar.NewWriter(w)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Format: tar.FormatPAX}
		if e.typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		require.NoError(t, tw.WriteHeader(hdr), e.name)
		if e.typ == tar.TypeReg {
			_, err := io.WriteString(tw, e.body)
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
}

// compress wraps w for format; the returned closer finishes the compressed stream.
func compress(t testing.TB, w io.Writer, format Format) io.WriteCloser {
	t.Helper()
	switch format {
	case FormatTar:
		return nopCloser{w}
	case FormatTarGz:
		return gzip.NewWriter(w)
	case FormatTarZst:
		zw, err := zstd.NewWriter(w)
		require.NoError(t, err)
		return zw
	}
	t.Fatalf("compress: %v is not a tar format", format)
	return nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// makeArchive writes entries in format to a file in a fresh temp folder and returns its path.
func makeArchive(t testing.TB, format Format, entries []ent) string {
	t.Helper()
	var buf bytes.Buffer
	if format == FormatZip {
		writeZip(t, &buf, entries)
	} else {
		cw := compress(t, &buf, format)
		writeTar(t, cw, entries)
		require.NoError(t, cw.Close())
	}
	p := filepath.Join(t.TempDir(), "archive")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p
}

func writeZip(t testing.TB, w io.Writer, entries []ent) {
	t.Helper()
	zw := zip.NewWriter(w)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := fs.FileMode(e.mode & 0o777)
		switch e.typ {
		case tar.TypeDir:
			mode |= fs.ModeDir
		case tar.TypeSymlink:
			mode |= fs.ModeSymlink
		case tar.TypeChar:
			mode |= fs.ModeDevice | fs.ModeCharDevice
		case tar.TypeFifo:
			mode |= fs.ModeNamedPipe
		}
		if e.mode&0o4000 != 0 {
			mode |= fs.ModeSetuid
		}
		fh.SetMode(mode)
		fw, err := zw.CreateHeader(fh)
		require.NoError(t, err, e.name)
		_, err = io.WriteString(fw, e.body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
}

// requireGone asserts that an extraction left nothing behind: no dst and no dst.partial.
func requireGone(t *testing.T, dst string) {
	t.Helper()
	require.NoFileExists(t, dst)
	require.NoDirExists(t, dst)
	require.NoDirExists(t, dst+".partial")
}
