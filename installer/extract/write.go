package extract

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"sync/atomic"
)

// copyBufSize is large because most time goes into write(2); fewer, bigger calls are faster.
const copyBufSize = 1 << 20

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// writeFile fills prepared file name from r, counting every byte against the limits.
func (t *tree) writeFile(ctx context.Context, m *meter, name, raw string, mode fs.FileMode, r io.Reader) error {
	f, err := t.mk.create(name, fileMode(mode))
	if err != nil {
		return fmt.Errorf("entry %q: creating file: %w", raw, err)
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		if err := ctx.Err(); err != nil {
			f.Close()
			return err
		}
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				f.Close()
				return fmt.Errorf("entry %q: writing: %w", raw, err)
			}
			if err := m.wrote(raw, int64(n)); err != nil {
				f.Close()
				return err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			f.Close()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("entry %q: %w: %w", raw, ErrFormat, rerr)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("entry %q: writing: %w", raw, err)
	}
	return nil
}

// countingReader counts the bytes read through it; the count may be read from other goroutines.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// countingReaderAt counts the bytes read through it by concurrent zip workers.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}
