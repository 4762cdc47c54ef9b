package extract

import (
	"archive/tar"
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/iscdesk/iscdesk/installer/extract/internal/benchtree"
	"github.com/stretchr/testify/require"
)

// benchSpec is a small cousin of scripts/bench/extract.sh's 1 GiB tree, quick enough for go test -bench.
var benchSpec = benchtree.Spec{Files: 1000, Bytes: 64 << 20}

func benchArchive(b *testing.B, format Format) string {
	b.Helper()
	src := filepath.Join(b.TempDir(), "tree")
	require.NoError(b, benchtree.Write(context.Background(), src, benchSpec))
	p := filepath.Join(b.TempDir(), "bench.archive")
	f, err := os.Create(p)
	require.NoError(b, err)
	if format == FormatZip {
		zw := zip.NewWriter(f)
		require.NoError(b, zw.AddFS(os.DirFS(src)))
		require.NoError(b, zw.Close())
	} else {
		cw := compress(b, f, format)
		tw := tar.NewWriter(cw)
		require.NoError(b, tw.AddFS(os.DirFS(src)))
		require.NoError(b, tw.Close())
		require.NoError(b, cw.Close())
	}
	require.NoError(b, f.Close())
	return p
}

func benchmarkExtract(b *testing.B, format Format) {
	archive := benchArchive(b, format)
	out := b.TempDir()
	b.SetBytes(benchSpec.Bytes)
	b.ResetTimer()
	for b.Loop() {
		dst := filepath.Join(out, "dst")
		if _, err := Archive(context.Background(), archive, dst, Options{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		require.NoError(b, os.RemoveAll(dst))
		b.StartTimer()
	}
}

func BenchmarkExtractTarZst(b *testing.B) { benchmarkExtract(b, FormatTarZst) }
func BenchmarkExtractTar(b *testing.B)    { benchmarkExtract(b, FormatTar) }
func BenchmarkExtractZip(b *testing.B)    { benchmarkExtract(b, FormatZip) }
