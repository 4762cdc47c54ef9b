package extract

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
)

// maxLinkTarget bounds a zip symlink's target, which is stored as the entry's data.
const maxLinkTarget = 4096

type zipJob struct {
	f    *zip.File
	name string
}

// extractZip checks every entry of the central directory first, creates the folders, writes the
// files with parallel workers, and creates the symlinks last, so nothing is written through one.
func extractZip(ctx context.Context, t *tree, m *meter, ra io.ReaderAt, size int64, workers int) error {
	cra := &countingReaderAt{r: ra}
	m.consumed = cra.n.Load
	zr, err := zip.NewReader(cra, size)
	// ErrInsecurePath (GODEBUG=zipinsecurepath=0) comes with a usable reader; cleanName decides.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return fmt.Errorf("%w: reading the zip directory: %w", ErrFormat, err)
	}
	zr.RegisterDecompressor(zip.Deflate, newFlateReader)

	var (
		jobs     []zipJob
		links    []zipJob
		declared uint64
		seen     = make(map[string]bool, len(zr.File))
	)
	for _, zf := range zr.File {
		raw := zf.Name
		name, err := cleanName(raw, m.lim.MaxNameLen)
		if err != nil {
			return err
		}
		if err := m.addEntry(raw); err != nil {
			return err
		}
		mode := zf.Mode()
		if name != "" && !mode.IsDir() && seen[name] {
			return unsafeEntry(raw, "appears twice in the zip")
		}
		seen[name] = true
		switch {
		case mode.IsDir():
			err = t.mkdir(name, raw)
		case mode&fs.ModeSymlink != 0:
			links = append(links, zipJob{zf, name})
		case mode.IsRegular():
			declared += zf.UncompressedSize64
			jobs = append(jobs, zipJob{zf, name})
			err = t.prepareFile(name, raw)
		case mode&fs.ModeDevice != 0:
			err = unsafeEntry(raw, "device file; packages may not create devices")
		case mode&fs.ModeNamedPipe != 0:
			err = unsafeEntry(raw, "named pipe (fifo); packages may hold only files, folders and links")
		case mode&fs.ModeSocket != 0:
			err = unsafeEntry(raw, "socket; packages may hold only files, folders and links")
		default:
			err = unsafeEntry(raw, "unsupported file type %v", mode.Type())
		}
		if err != nil {
			return err
		}
	}
	// The directory's sizes cannot be trusted to be small, but when they are already too big the
	// archive is refused before a byte is written. archive/zip stops an entry at its declared size.
	if m.lim.MaxBytes > 0 && declared > uint64(m.lim.MaxBytes) {
		return fmt.Errorf("%w: the zip declares %d bytes, more than the %d allowed", ErrLimit, declared, m.lim.MaxBytes)
	}
	if declared > uint64(m.maxRatioBytes(size)) {
		return fmt.Errorf("%w: the zip declares %d bytes in %d, a ratio above %g: a decompression bomb", ErrLimit, declared, size, m.lim.MaxRatio)
	}
	m.ratioBase = func() int64 { return size }
	m.consumed = func() int64 { return min(cra.n.Load(), size) }

	done, err := writeZipFiles(ctx, t, m, jobs, workers)
	m.files += done
	if err != nil {
		return err
	}
	for _, l := range links {
		target, err := readLinkTarget(l.f)
		if err != nil {
			return err
		}
		if err := t.symlink(l.name, target, l.f.Name); err != nil {
			return err
		}
		m.files++
	}
	return nil
}

// writeZipFiles writes the prepared files with parallel workers and returns how many it wrote.
// The first error stops the others.
func writeZipFiles(ctx context.Context, t *tree, m *meter, jobs []zipJob, workers int) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg   sync.WaitGroup
		done atomic.Int64
		ch   = make(chan zipJob)
	)
	for range min(workers, max(len(jobs), 1)) {
		wg.Go(func() {
			for j := range ch {
				if ctx.Err() != nil {
					continue
				}
				if err := writeZipFile(ctx, t, m, j); err != nil {
					cancel(err)
					continue
				}
				done.Add(1)
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	return int(done.Load()), context.Cause(ctx)
}

func writeZipFile(ctx context.Context, t *tree, m *meter, j zipJob) error {
	rc, err := j.f.Open()
	if err != nil {
		return fmt.Errorf("entry %q: %w: %w", j.f.Name, ErrFormat, err)
	}
	defer rc.Close()
	return t.writeFile(ctx, m, j.name, j.f.Name, j.f.Mode(), rc)
}

func readLinkTarget(zf *zip.File) (string, error) {
	rc, err := zf.Open()
	if err != nil {
		return "", fmt.Errorf("entry %q: %w: %w", zf.Name, ErrFormat, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget+1))
	if err != nil {
		return "", fmt.Errorf("entry %q: %w: %w", zf.Name, ErrFormat, err)
	}
	if len(b) > maxLinkTarget {
		return "", unsafeEntry(zf.Name, "symbolic link target longer than %d bytes", maxLinkTarget)
	}
	return string(b), nil
}

// flateState is a pooled inflater: zips of many small files would otherwise allocate
// one decoder and one read buffer per file.
type flateState struct {
	br *bufio.Reader
	fr io.ReadCloser
}

var flatePool sync.Pool

// flateHandle is what one zip entry gets; Close returns the state to the pool exactly once.
type flateHandle struct{ s *flateState }

func newFlateReader(r io.Reader) io.ReadCloser {
	s, _ := flatePool.Get().(*flateState)
	if s == nil {
		br := bufio.NewReaderSize(r, 256<<10)
		s = &flateState{br: br, fr: flate.NewReader(br)}
	} else {
		s.br.Reset(r)
		if err := s.fr.(flate.Resetter).Reset(s.br, nil); err != nil {
			s = &flateState{br: s.br, fr: flate.NewReader(s.br)}
		}
	}
	return &flateHandle{s: s}
}

func (h *flateHandle) Read(p []byte) (int, error) {
	if h.s == nil {
		return 0, errors.New("read after close")
	}
	return h.s.fr.Read(p)
}

func (h *flateHandle) Close() error {
	if h.s == nil {
		return nil
	}
	err := h.s.fr.Close()
	h.s.br.Reset(nil)
	flatePool.Put(h.s)
	h.s = nil
	return err
}
