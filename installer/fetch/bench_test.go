package fetch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"
)

// BenchmarkFetch64MiB downloads and verifies 64 MiB over loopback into a fresh cache each time.
func BenchmarkFetch64MiB(b *testing.B) {
	const size = 64 << 20
	data := make([]byte, size)
	_, err := content{seed: 64, size: size}.ReadAt(data, 0)
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(data)
	s := newServer(b, version{data: bytes.NewReader(data), size: size, etag: `"bench"`}, nil)
	r := Request{URLs: []string{s.URL + "/bench.pkg"}, Size: size, SHA256: hex.EncodeToString(sum[:])}
	root := b.TempDir()

	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		dir, err := os.MkdirTemp(root, "cache")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := (&Fetcher{CacheDir: dir}).Fetch(b.Context(), r); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
