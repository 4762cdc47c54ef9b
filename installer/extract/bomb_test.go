package extract

import (
	"archive/tar"
	"archive/zip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const bombSize = 1 << 30

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// The bomb is one 1 GiB file of zeros. It is generated as the extractor reads it, so the test
// also shows that extraction stops early: the generator stops when the reader goes away.
func TestBombStoppedByRatio(t *testing.T) {
	for _, format := range []Format{FormatTarGz, FormatTarZst} {
		t.Run(format.String(), func(t *testing.T) {
			pr, pw := io.Pipe()
			go func() {
				cw := compress(t, pw, format)
				tw := tar.NewWriter(cw)
				err := tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: bombSize})
				if err == nil {
					_, err = io.CopyN(tw, zeros{}, bombSize)
				}
				if err == nil {
					err = tw.Close()
				}
				if err == nil {
					err = cw.Close()
				}
				pw.CloseWithError(err)
			}()
			defer pr.Close()
			dst := filepath.Join(t.TempDir(), "dst")
			st, err := Reader(context.Background(), pr, format, dst, Options{})
			require.ErrorIs(t, err, ErrLimit)
			assert.Contains(t, err.Error(), `"zeros"`)
			assert.Contains(t, err.Error(), "decompression bomb")
			assert.Less(t, st.Bytes, int64(64<<20), "stopped long before 1 GiB")
			requireGone(t, dst)
		})
	}
}

func TestZipBombRefusedBeforeWriting(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bomb.zip")
	f, err := os.Create(p)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	w, err := zw.Create("zeros")
	require.NoError(t, err)
	_, err = io.CopyN(w, zeros{}, bombSize)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	require.Less(t, fileSize(t, p), int64(8<<20), "the bomb is small")

	dst := filepath.Join(t.TempDir(), "dst")
	st, err := Archive(context.Background(), p, dst, Options{})
	require.ErrorIs(t, err, ErrLimit)
	assert.Contains(t, err.Error(), "decompression bomb")
	assert.Zero(t, st.Bytes, "refused from the zip's directory, before writing")
	requireGone(t, dst)
}
