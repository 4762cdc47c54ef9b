// Package stage copies a package folder into a root-only staging folder, from which the install
// steps then run: a copy that the user who supplied the package can no longer change.
//
// The copy refuses what has no place in a package (devices, fifos, sockets, symlinks that leave the
// folder), drops setuid, setgid and sticky bits, is flushed to disk, and appears at its final path
// only when complete: a crash or an error leaves either nothing or the whole copy.
package stage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
)

// Default limits of a package folder.
const (
	DefaultMaxFiles = 100_000
	DefaultMaxBytes = 64 << 30
)

// Options tune Dir. The zero value is ready to use.
type Options struct {
	// MaxFiles and MaxBytes bound the package; zero means DefaultMaxFiles and DefaultMaxBytes.
	MaxFiles int
	MaxBytes int64
	// Progress, when set, is called from Dir's goroutine with the bytes copied so far and in all.
	Progress func(done, total int64)

	// skipSpaceCheck lets tests reach the disk-full path that the space check would otherwise prevent.
	skipSpaceCheck bool
}

// entry is one thing under the package folder, as found by scan.
type entry struct {
	rel  string      // slash or OS-separated path relative to the package folder
	info fs.FileInfo // from Lstat
	link string      // symlink target, for symlinks
}

// Dir copies the package folder src to dst, which must not exist. The parent of dst is created with
// mode 0700 if missing. dst itself is 0700; the files and folders inside keep their mode & 0755.
func Dir(ctx context.Context, src, dst string, o Options) (err error) {
	if o.MaxFiles <= 0 {
		o.MaxFiles = DefaultMaxFiles
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("staging %s into %s: %w", src, dst, err)
		}
	}()

	root, err := packageRoot(src)
	if err != nil {
		return err
	}
	dst, err = filepath.Abs(dst)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s already exists; remove it or stage into a new folder", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dst)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("creating the staging folder: %w", err)
	}
	if realParent, err := filepath.EvalSymlinks(parent); err == nil && within(root, realParent) {
		return fmt.Errorf("the staging folder is inside the package; stage it somewhere else")
	}

	entries, total, err := scan(ctx, root, o)
	if err != nil {
		return err
	}
	need := total + total/10 // folders, block rounding and a margin for the system
	if !o.skipSpaceCheck {
		if err := EnsureSpace(parent, need); err != nil {
			return err
		}
	}

	// A staging cut off by a crash or a kill leaves its partial copy; only one agent stages (the
	// journal's lock), so any partial copy of dst is stale.
	if err := removePartials(dst); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(dst)+".partial-")
	if err != nil {
		return diskFull(err, parent, need, "creating the staging folder")
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp) // the first error is the one to report
		}
	}()
	c := &copier{ctx: ctx, root: root, tmp: tmp, total: total, progress: o.Progress, buf: make([]byte, 1<<20)}
	if err := c.copyAll(entries); err != nil {
		return diskFull(err, parent, need, "copying")
	}
	// Someone may have created dst meanwhile; renaming onto an empty folder would silently replace it.
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s appeared while staging; remove it or stage into a new folder", dst)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("moving the finished copy into place: %w", err)
	}
	if err := atomicfile.SyncDir(parent); err != nil {
		_ = os.RemoveAll(dst) // not durable: take it back rather than leave a copy that may vanish
		return err
	}
	return nil
}

// removePartials removes the partial copies of dst (dst.partial-*) that an earlier Dir left behind.
func removePartials(dst string) error {
	parent, prefix := filepath.Dir(dst), filepath.Base(dst)+".partial-"
	des, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), prefix) {
			if err := os.RemoveAll(filepath.Join(parent, de.Name())); err != nil {
				return fmt.Errorf("removing the partial copy left by an earlier staging: %w", err)
			}
		}
	}
	return nil
}

// packageRoot resolves src to a real folder, so that symlinks can be checked against it.
func packageRoot(src string) (string, error) {
	abs, err := filepath.Abs(src)
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("reading the package folder: %w", err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return "", fmt.Errorf("reading the package folder: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a folder; give the unpacked package folder", src)
	}
	return root, nil
}

// diskFull rewrites a copy error caused by a full disk into one that says so, where and how much.
func diskFull(err error, where string, need int64, doing string) error {
	if !isDiskFull(err) {
		return err
	}
	return fmt.Errorf("%s: the disk is full in %s (the package needs about %s); free some space or move the state folder: %w (%w)",
		doing, where, formatBytes(need), ErrDiskFull, err)
}

// within reports whether path is root or below it; both must be clean and absolute.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// scan walks the package, refuses what must not be staged and returns the entries in walk order
// (each folder before what it holds) with the bytes of all regular files.
func scan(ctx context.Context, root string, o Options) ([]entry, int64, error) {
	var entries []entry
	var files int
	var total int64
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil // the root becomes the staging folder itself
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := entry{rel: rel, info: info}
		switch mode := info.Mode(); {
		case mode.IsDir():
		case mode.IsRegular():
			files++
			total += info.Size()
		case mode&fs.ModeSymlink != 0:
			files++
			if e.link, err = checkSymlink(root, path, rel); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s is a %s; a package may hold only files, folders and relative symlinks", rel, kind(mode))
		}
		if files > o.MaxFiles {
			return fmt.Errorf("the package has more than %d files; split it or raise the limit", o.MaxFiles)
		}
		if total > o.MaxBytes {
			return fmt.Errorf("the package is larger than %s (the limit); split it or raise the limit", formatBytes(o.MaxBytes))
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return entries, total, nil
}

// checkSymlink accepts a symlink that is relative and resolves, through any other links, to
// something inside the package. It returns the link's target.
func checkSymlink(root, path, rel string) (string, error) {
	target, err := os.Readlink(path)
	if err != nil {
		return "", err
	}
	if filepath.IsAbs(target) || filepath.VolumeName(target) != "" {
		return "", fmt.Errorf("symlink %s points to the absolute path %s; make it relative to the package", rel, target)
	}
	// Resolving for real, not lexically: a/x -> ../b/../.. looks inside but is not when b is a link.
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("symlink %s -> %s does not resolve inside the package: %w", rel, target, err)
	}
	if !within(root, resolved) {
		return "", fmt.Errorf("symlink %s -> %s points outside the package", rel, target)
	}
	return target, nil
}

func kind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeCharDevice != 0:
		return "character device"
	case mode&fs.ModeDevice != 0:
		return "device file"
	case mode&fs.ModeNamedPipe != 0:
		return "named pipe (fifo)"
	case mode&fs.ModeSocket != 0:
		return "socket"
	default:
		return "special file (" + mode.Type().String() + ")"
	}
}

// copier copies scanned entries into tmp, tracking progress.
type copier struct {
	ctx      context.Context
	root     string
	tmp      string
	total    int64
	done     int64
	progress func(done, total int64)
	buf      []byte
	dirs     []createdDir // flushed, and given their modes, once their contents are written
}

type createdDir struct {
	path string
	mode fs.FileMode
}

func (c *copier) copyAll(entries []entry) error {
	c.report()
	c.dirs = append(c.dirs, createdDir{c.tmp, 0o700})
	for _, e := range entries {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		to := filepath.Join(c.tmp, e.rel)
		switch {
		case e.info.IsDir():
			if err := os.Mkdir(to, 0o700); err != nil {
				return err
			}
			c.dirs = append(c.dirs, createdDir{to, safeMode(e.info.Mode())})
		case e.link != "":
			if err := os.Symlink(e.link, to); err != nil {
				return err
			}
		default:
			if err := c.file(e, to); err != nil {
				return err
			}
		}
	}
	// Modes are set last, so that a read-only source folder does not stop us writing into the copy.
	for i := len(c.dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(c.dirs[i].path, c.dirs[i].mode); err != nil {
			return err
		}
	}
	if flushFS == nil {
		// Deepest first, so that each folder is flushed after what it holds.
		for i := len(c.dirs) - 1; i >= 0; i-- {
			if err := atomicfile.SyncDir(c.dirs[i].path); err != nil {
				return err
			}
		}
		return nil
	}
	return flushFS(c.tmp)
}

// safeMode keeps the permission bits that a staged copy may have: owner rwx, group and others r-x;
// never setuid, setgid, sticky or write for others.
func safeMode(m fs.FileMode) fs.FileMode { return m.Perm() & 0o755 }

// file copies one regular file, checking that it is still the file that scan saw.
func (c *copier) file(e entry, to string) (err error) {
	in, err := os.Open(filepath.Join(c.root, e.rel))
	if err != nil {
		return err
	}
	defer in.Close()
	// A file swapped (say, for a symlink to /etc/shadow) between scan and copy is not what was checked.
	if fi, err := in.Stat(); err != nil {
		return err
	} else if !os.SameFile(fi, e.info) || !fi.Mode().IsRegular() {
		return fmt.Errorf("%s changed while it was being staged; try again once the package folder is left alone", e.rel)
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	var n int64
	for {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		r, rerr := in.Read(c.buf)
		if r > 0 {
			if _, err := out.Write(c.buf[:r]); err != nil {
				return err
			}
			n += int64(r)
			c.done += int64(r)
			c.report()
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if n != e.info.Size() {
		return fmt.Errorf("%s changed size while it was being staged (%d bytes, then %d); try again once the package folder is left alone", e.rel, e.info.Size(), n)
	}
	if err := out.Chmod(safeMode(e.info.Mode())); err != nil {
		return err
	}
	if flushFS != nil {
		return nil // the whole copy is flushed at once at the end
	}
	return out.Sync()
}

func (c *copier) report() {
	if c.progress != nil {
		c.progress(c.done, c.total)
	}
}
