// Package pkgfile builds and reads .iscpkg files, the archive format of one ISCDesk package.
//
// An .iscpkg is a tar stream compressed with zstd. Its first entry is package.yaml; the rest of the
// package folder follows in sorted path order. Builds are reproducible: the same folder gives the
// same bytes, because entry order, times, owners and modes are fixed and the encoder runs on one
// goroutine at a fixed level. docs/package-format.md is the long form.
package pkgfile

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/klauspost/compress/zstd"
)

const (
	// ManifestName is the package's manifest, always the archive's first entry.
	ManifestName = "package.yaml"
	// Ext is the file name extension of a package archive.
	Ext = ".iscpkg"
	// MaxManifestSize caps package.yaml, when building and when reading.
	MaxManifestSize = manifest.MaxSize
	// DefaultLevel is the zstd level used when BuildOptions.Level is 0.
	DefaultLevel = 3
)

// FileName is the conventional name of a package's archive: "ID-VERSION.iscpkg".
func FileName(id, version string) string {
	return id + "-" + version + Ext
}

// BuildOptions tune Build. The zero value gives a reproducible archive at DefaultLevel.
type BuildOptions struct {
	// Epoch is the modification time of every entry. When zero it is $SOURCE_DATE_EPOCH, or the
	// Unix epoch when that is unset (https://reproducible-builds.org/specs/source-date-epoch/).
	Epoch time.Time
	// Level is a zstd level, 1 to 22 (the encoder maps it to its four speeds); 0 is DefaultLevel.
	Level int
}

// Info describes a built archive.
type Info struct {
	Size           int64  // bytes of the archive
	SHA256         string // hex SHA-256 of the archive
	ManifestSHA256 string // hex SHA-256 of package.yaml as archived
	Files          int    // regular files, package.yaml included
	PayloadBytes   int64  // their total size
}

// entry is one path of the package folder, as it goes into the archive.
type entry struct {
	rel    string // slash-separated, relative to the package folder
	mode   fs.FileMode
	size   int64
	target string // of a symlink
}

// Build writes the package in srcDir to w as an .iscpkg. It refuses, naming the path, a folder
// without a valid package.yaml, special files, absolute or escaping symlinks, and names that
// would not survive extraction on every OS.
func Build(ctx context.Context, srcDir string, w io.Writer, o BuildOptions) (Info, error) {
	epoch, err := resolveEpoch(o.Epoch)
	if err != nil {
		return Info{}, err
	}
	level, err := resolveLevel(o.Level)
	if err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(srcDir)
	if err != nil {
		return Info{}, fmt.Errorf("package folder: %w", err)
	}
	if !fi.IsDir() {
		return Info{}, fmt.Errorf("package folder %s is not a folder", srcDir)
	}
	manifestData, err := readManifestFile(srcDir)
	if err != nil {
		return Info{}, err
	}
	root, err := os.OpenRoot(srcDir)
	if err != nil {
		return Info{}, fmt.Errorf("package folder: %w", err)
	}
	defer root.Close()
	entries, err := scan(ctx, root)
	if err != nil {
		return Info{}, err
	}

	hw := &hashWriter{w: w, h: sha256.New()}
	zw, err := zstd.NewWriter(hw,
		zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
		// One goroutine: parallel encoding may split blocks differently from run to run.
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(true))
	if err != nil {
		return Info{}, fmt.Errorf("starting the zstd encoder: %w", err)
	}
	defer zw.Close()
	tw := tar.NewWriter(zw)
	info := Info{Files: 1, PayloadBytes: int64(len(manifestData))}
	mh := sha256.Sum256(manifestData)
	info.ManifestSHA256 = hex.EncodeToString(mh[:])

	hdr := header(entry{rel: ManifestName, mode: 0o644, size: int64(len(manifestData))}, epoch)
	if err := tw.WriteHeader(hdr); err != nil {
		return Info{}, fmt.Errorf("writing %s: %w", ManifestName, err)
	}
	if _, err := tw.Write(manifestData); err != nil {
		return Info{}, fmt.Errorf("writing %s: %w", ManifestName, err)
	}
	buf := make([]byte, 1<<20)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return Info{}, err
		}
		if err := tw.WriteHeader(header(e, epoch)); err != nil {
			return Info{}, fmt.Errorf("writing %s: %w", e.rel, err)
		}
		if e.mode.IsRegular() {
			if err := copyFile(tw, root, e, buf); err != nil {
				return Info{}, err
			}
			info.Files++
			info.PayloadBytes += e.size
		}
	}
	if err := tw.Close(); err != nil {
		return Info{}, fmt.Errorf("finishing the tar stream: %w", err)
	}
	if err := zw.Close(); err != nil {
		return Info{}, fmt.Errorf("finishing the zstd stream: %w", err)
	}
	info.Size = hw.n
	info.SHA256 = hex.EncodeToString(hw.h.Sum(nil))
	return info, nil
}

// BuildFile builds the package in srcDir into outPath, atomically: outPath is either the whole
// new archive or what it was before. outPath must lie outside srcDir, or the package would hold itself.
func BuildFile(ctx context.Context, srcDir, outPath string, o BuildOptions) (Info, error) {
	absSrc, err := filepath.Abs(srcDir)
	if err != nil {
		return Info{}, fmt.Errorf("package folder: %w", err)
	}
	absOut, err := filepath.Abs(outPath)
	if err != nil {
		return Info{}, fmt.Errorf("output file: %w", err)
	}
	if rel, err := filepath.Rel(absSrc, absOut); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return Info{}, fmt.Errorf("output %s is inside the package folder %s; write the archive elsewhere", outPath, srcDir)
	}
	var info Info
	err = atomicfile.Write(outPath, 0o644, func(w io.Writer) error {
		var err error
		info, err = Build(ctx, srcDir, w, o)
		return err
	})
	if err != nil {
		return Info{}, err // atomicfile names outPath
	}
	return info, nil
}

func resolveEpoch(t time.Time) (time.Time, error) {
	if t.IsZero() {
		s, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
		if !ok || s == "" {
			return time.Unix(0, 0).UTC(), nil
		}
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil || sec < 0 {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a count of seconds since 1970; unset it or fix it", s)
		}
		t = time.Unix(sec, 0)
	}
	if t.Before(time.Unix(0, 0)) {
		return time.Time{}, fmt.Errorf("build epoch %v is before 1970", t)
	}
	// tar keeps whole seconds; truncating here keeps the header in plain USTAR.
	return t.Truncate(time.Second).UTC(), nil
}

func resolveLevel(l int) (int, error) {
	switch {
	case l == 0:
		return DefaultLevel, nil
	case l < 1 || l > 22:
		return 0, fmt.Errorf("zstd level %d is out of range; use 1 to 22, or 0 for %d", l, DefaultLevel)
	}
	return l, nil
}

// readManifestFile reads and validates srcDir/package.yaml.
func readManifestFile(srcDir string) ([]byte, error) {
	p := filepath.Join(srcDir, ManifestName)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no %s; a package folder starts with one (see docs/manifest.md)", srcDir, ManifestName)
	}
	if err != nil {
		return nil, fmt.Errorf("package manifest: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v); it must be the manifest itself, not a link", p, fi.Mode().Type())
	}
	if fi.Size() > MaxManifestSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed; put long texts in files of the package", p, fi.Size(), MaxManifestSize)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("package manifest: %w", err)
	}
	if _, err := manifest.Parse(p, data); err != nil {
		return nil, fmt.Errorf("invalid package manifest: %w", err)
	}
	return data, nil
}

// header is the tar header of e, with everything that varies between machines fixed.
func header(e entry, epoch time.Time) *tar.Header {
	h := &tar.Header{Name: e.rel, ModTime: epoch}
	switch {
	case e.mode.IsDir():
		h.Typeflag, h.Name, h.Mode = tar.TypeDir, e.rel+"/", 0o755
	case e.mode&fs.ModeSymlink != 0:
		h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, e.target, 0o777
	default:
		h.Typeflag, h.Size, h.Mode = tar.TypeReg, e.size, 0o644
		if e.mode&0o111 != 0 {
			h.Mode = 0o755
		}
	}
	return h
}

// copyFile copies file e into the archive, checking it still is the file that was scanned.
func copyFile(w io.Writer, root *os.Root, e entry, buf []byte) error {
	f, err := root.Open(e.rel)
	if err != nil {
		return fmt.Errorf("%s: %w", e.rel, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", e.rel, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() != e.size {
		return fmt.Errorf("%s changed while the package was being built; build again", e.rel)
	}
	n, err := io.CopyBuffer(w, io.LimitReader(f, e.size), buf)
	if err != nil {
		return fmt.Errorf("%s: %w", e.rel, err)
	}
	if n != e.size {
		return fmt.Errorf("%s shrank while the package was being built; build again", e.rel)
	}
	return nil
}

// hashWriter hashes and counts what it passes on.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}
