// Package benchtree writes the deterministic file tree that extraction benchmarks archive and
// unpack: mostly incompressible data, one file in ten text, in a few levels of folders.
package benchtree

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// Spec is the shape of the tree.
type Spec struct {
	Files int   // number of files
	Bytes int64 // their total size, within a file's rounding
}

// Write creates dir and fills it as spec says. The same spec always gives the same bytes.
func Write(ctx context.Context, dir string, spec Spec) error {
	if spec.Files <= 0 || spec.Bytes < int64(spec.Files) {
		return fmt.Errorf("benchtree: want at least one byte per file, got %d bytes for %d files", spec.Bytes, spec.Files)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("benchtree: %w", err)
	}
	rng := rand.New(rand.NewChaCha8([32]byte{'i', 's', 'c', 'd', 'e', 's', 'k'}))
	sizes := Sizes(rng, spec)
	buf := make([]byte, 1<<20)
	for i, size := range sizes {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := filepath.Join(dir, fmt.Sprintf("d%02d", i%16), fmt.Sprintf("s%02d", (i/16)%32), fmt.Sprintf("f%05d", i))
		text := i%10 == 0
		if text {
			name += ".txt"
		} else {
			name += ".bin"
		}
		if err := writeFile(name, size, text, i%50 == 0, rng, buf); err != nil {
			return fmt.Errorf("benchtree: %w", err)
		}
	}
	return nil
}

// Sizes spreads spec.Bytes over spec.Files: most files small, a few large, like real payloads.
func Sizes(rng *rand.Rand, spec Spec) []int64 {
	weights := make([]float64, spec.Files)
	var sum float64
	for i := range weights {
		w := 1.0
		switch r := rng.IntN(100); {
		case r < 70:
			w = 1 + rng.Float64()*4
		case r < 95:
			w = 8 + rng.Float64()*40
		default:
			w = 100 + rng.Float64()*300
		}
		weights[i] = w
		sum += w
	}
	sizes := make([]int64, spec.Files)
	for i, w := range weights {
		sizes[i] = max(1, int64(w/sum*float64(spec.Bytes)))
	}
	return sizes
}

func writeFile(name string, size int64, text, exec bool, rng *rand.Rand, buf []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if exec {
		mode = 0o755
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, len(buf))
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		chunk := buf[:n]
		if text {
			fillText(chunk, size-left)
		} else {
			fillRandom(rng, chunk)
		}
		if _, err := w.Write(chunk); err != nil {
			f.Close()
			return err
		}
		left -= n
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := 0; i+8 <= len(b); i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(rng.Uint32())
	}
}

const lorem = "line %08d: the quick brown fox jumps over the lazy dog; setup.log INFO component installed\n"

func fillText(b []byte, offset int64) {
	line := offset / int64(len(lorem))
	for i := 0; i < len(b); {
		s := fmt.Sprintf(lorem, line)
		i += copy(b[i:], s)
		line++
	}
}
