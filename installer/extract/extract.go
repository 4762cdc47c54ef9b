// Package extract unpacks zip, tar, tar.gz and tar.zst archives into a root-only staging folder,
// refusing anything that could write outside it or exhaust the disk.
//
// Extraction goes into dst+".partial", which is renamed to dst only when every entry was written
// and checked; on any error the partial folder is removed, so dst either holds the whole archive or
// does not exist. Entry names, links and sizes come from untrusted input: every name is checked
// before use, no file is ever created through a symbolic link, and sizes are counted as bytes are
// written, never taken from headers. docs/package-format.md lists what is refused and why.
package extract

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// Format is an archive format, detected from the first bytes of the archive.
type Format int

const (
	// FormatAuto asks Reader to detect the format from the stream's first bytes.
	FormatAuto Format = iota
	FormatTar
	FormatTarGz
	FormatTarZst
	FormatZip
)

func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatTar:
		return "tar"
	case FormatTarGz:
		return "tar.gz"
	case FormatTarZst:
		return "tar.zst"
	case FormatZip:
		return "zip"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// DetectLen is how many leading bytes Detect needs to recognise every format (tar's magic is at 257).
const DetectLen = 262

// Detect tells the format of an archive from its first bytes (up to DetectLen of them).
func Detect(head []byte) (Format, error) {
	switch {
	case len(head) >= 4 && string(head[:4]) == "PK\x03\x04", len(head) >= 4 && string(head[:4]) == "PK\x05\x06":
		return FormatZip, nil
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return FormatTarGz, nil
	case len(head) >= 4 && string(head[:4]) == "\x28\xb5\x2f\xfd":
		return FormatTarZst, nil
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return FormatTar, nil
	}
	return FormatAuto, fmt.Errorf("%w: not a zip, tar, tar.gz or tar.zst archive", ErrFormat)
}

// Options tune one extraction. The zero value is usable.
type Options struct {
	// Limits bound what an archive may unpack to; zero fields take DefaultLimits.
	Limits Limits
	// Progress, when set, is called now and then, never concurrently, with the archive bytes
	// consumed so far and the archive's size (-1 when Reader cannot know it), and once at the end.
	Progress func(done, total int64)
	// Workers write zip entries in parallel; 0 means GOMAXPROCS. Tar is sequential by nature.
	Workers int
	// Sync makes the staged tree durable before Archive or Reader returns: file data and folders
	// are flushed once, at the end (syncfs on Linux, parallel fsync elsewhere), then the rename.
	// Leave it off for scratch extractions; turn it on before journaling "staged".
	Sync bool
}

// Stats say what an extraction wrote. On error they say how far it got; nothing is left on disk.
type Stats struct {
	Files int   // files and links created (folders not counted)
	Bytes int64 // bytes of file content written
}

// Archive extracts the archive at archivePath, whose format is detected from its first bytes, into
// dst. dst must not exist yet; its parent is created when missing.
func Archive(ctx context.Context, archivePath, dst string, o Options) (Stats, error) {
	f, err := os.Open(archivePath)
	if err != nil {
		return Stats{}, fmt.Errorf("extract: opening archive: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Stats{}, fmt.Errorf("extract: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Stats{}, fmt.Errorf("extract: %s is not a regular file", archivePath)
	}
	head := make([]byte, DetectLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Stats{}, fmt.Errorf("extract: reading %s: %w", archivePath, err)
	}
	format, err := Detect(head[:n])
	if err != nil {
		return Stats{}, fmt.Errorf("extract %s: %w", archivePath, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Stats{}, fmt.Errorf("extract: %w", err)
	}
	var st Stats
	err = stage(ctx, dst, o, func(t *tree, m *meter) error {
		m.total = fi.Size()
		if format == FormatZip {
			return extractZip(ctx, t, m, f, fi.Size(), workers(o.Workers))
		}
		return extractTarStream(ctx, t, m, f, format)
	}, &st)
	if err != nil {
		return st, fmt.Errorf("extract %s: %w", archivePath, err)
	}
	return st, nil
}

// Reader extracts a tar, tar.gz or tar.zst stream into dst as it arrives, so that staging can
// overlap a download. Zip needs random access: save it to a file and use Archive.
func Reader(ctx context.Context, r io.Reader, format Format, dst string, o Options) (Stats, error) {
	if format == FormatAuto {
		br := bufio.NewReaderSize(r, 1<<20)
		head, err := br.Peek(DetectLen)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return Stats{}, fmt.Errorf("extract: reading stream: %w", err)
		}
		if format, err = Detect(head); err != nil {
			return Stats{}, fmt.Errorf("extract stream: %w", err)
		}
		r = br
	}
	if format == FormatZip {
		return Stats{}, fmt.Errorf("extract stream: %w: zip needs random access; save it to a file and use extract.Archive", ErrFormat)
	}
	if format < FormatTar || format > FormatZip {
		return Stats{}, fmt.Errorf("extract stream: %w: %v", ErrFormat, format)
	}
	var st Stats
	err := stage(ctx, dst, o, func(t *tree, m *meter) error {
		m.total = -1
		return extractTarStream(ctx, t, m, r, format)
	}, &st)
	if err != nil {
		return st, fmt.Errorf("extract stream: %w", err)
	}
	return st, nil
}

func workers(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// stage runs fill against a fresh dst+".partial" and turns it into dst, or removes it on error.
func stage(ctx context.Context, dst string, o Options, fill func(*tree, *meter) error, st *Stats) (err error) {
	if dst == "" {
		return errors.New("no destination folder given")
	}
	dst = filepath.Clean(dst)
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("destination %s already exists; remove it or extract elsewhere", dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("checking destination: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("creating the staging parent: %w", err)
	}
	partial := dst + ".partial"
	// A .partial folder is what an interrupted extraction left behind; it is ours to replace.
	if err := os.RemoveAll(partial); err != nil {
		return fmt.Errorf("removing the leftover %s: %w", partial, err)
	}
	if err := os.Mkdir(partial, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", partial, err)
	}
	// Mkdir's mode passes through the umask; make sure nobody else can look in.
	if err := os.Chmod(partial, 0o700); err != nil {
		os.RemoveAll(partial)
		return fmt.Errorf("restricting %s: %w", partial, err)
	}
	t, err := newTree(partial)
	if err != nil {
		os.RemoveAll(partial)
		return err
	}
	m := newMeter(o.Limits, o.Progress)
	defer func() {
		st.Files, st.Bytes = m.files, m.written.Load()
		if err != nil {
			t.close()
			os.RemoveAll(partial)
		}
	}()
	if err := fill(t, m); err != nil {
		return err
	}
	if err := t.checkLinks(); err != nil {
		return err
	}
	if o.Sync {
		if err := syncTree(ctx, t, workers(o.Workers)); err != nil {
			return fmt.Errorf("flushing %s to disk: %w", partial, err)
		}
	}
	if err := t.close(); err != nil {
		return err
	}
	if err := os.Rename(partial, dst); err != nil {
		return fmt.Errorf("moving the staged tree into place: %w", err)
	}
	if o.Sync {
		if err := syncDir(filepath.Dir(dst)); err != nil {
			os.RemoveAll(dst)
			return fmt.Errorf("flushing the rename to %s: %w", dst, err)
		}
	}
	m.finish()
	return nil
}
