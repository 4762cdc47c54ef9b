//go:build unix

package extract

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// maxDirFDs bounds the folders kept open; files in the folders beyond it take the os.Root path.
const maxDirFDs = 1024

// fdCreator keeps an open descriptor per folder it created and makes each file with one
// openat(folder, base, O_CREAT|O_EXCL|O_NOFOLLOW): os.Root would re-open every folder of the
// path (three openat per file in a typical tree) and wrap the result in an os.File (fcntl calls).
// It stays inside the staging folder for the same reasons os.Root does: every descriptor was
// opened from the staging folder's one component at a time with O_NOFOLLOW, and every name
// handed to the kernel is a single component that is not "." or "..".
type fdCreator struct {
	root    *os.Root // for folders whose descriptor is not kept
	maxDirs int      // maxDirFDs; tests lower it

	mu   sync.RWMutex   // guards dirs; descriptors are closed only by close, so lookups may share them
	dirs map[string]int // cleaned folder name ("" is the staging folder) -> O_DIRECTORY descriptor
}

func newCreator(dir string, root *os.Root) (creator, error) {
	fd, err := ignoringEINTR(func() (int, error) {
		return unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, fmt.Errorf("opening the staging folder %s: %w", dir, err)
	}
	return &fdCreator{root: root, maxDirs: maxDirFDs, dirs: map[string]int{"": fd}}, nil
}

// leaf splits name into its folder's descriptor, if kept, and its last component.
func (c *fdCreator) leaf(name string) (fd int, base string, ok bool, err error) {
	base = name[strings.LastIndexByte(name, '/')+1:]
	if base == "" || base == "." || base == ".." {
		return -1, "", false, fmt.Errorf("%q is not a plain file or folder name", name)
	}
	c.mu.RLock()
	fd, ok = c.dirs[parentOf(name)]
	c.mu.RUnlock()
	return fd, base, ok, nil
}

func (c *fdCreator) mkdir(name string) error {
	pfd, base, ok, err := c.leaf(name)
	if err != nil {
		return err
	}
	if !ok {
		return rootCreator{c.root}.mkdir(name)
	}
	if err := unix.Mkdirat(pfd, base, 0o755); err != nil {
		return &fs.PathError{Op: "mkdirat", Path: name, Err: err}
	}
	fd, err := ignoringEINTR(func() (int, error) {
		return unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return &fs.PathError{Op: "openat", Path: name, Err: err}
	}
	// Mkdirat's mode passes through the umask; the tree must look the same whatever it is.
	if err := unix.Fchmod(fd, 0o755); err != nil {
		unix.Close(fd)
		return &fs.PathError{Op: "fchmod", Path: name, Err: err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dirs) >= c.maxDirs {
		return unix.Close(fd)
	}
	c.dirs[name] = fd
	return nil
}

func (c *fdCreator) create(name string, mode fs.FileMode) (io.WriteCloser, error) {
	pfd, base, ok, err := c.leaf(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return rootCreator{c.root}.create(name, mode)
	}
	perm := uint32(mode.Perm())
	fd, err := ignoringEINTR(func() (int, error) {
		return unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
	})
	if err != nil {
		return nil, &fs.PathError{Op: "create", Path: name, Err: err}
	}
	if mode&0o111 != 0 {
		// Only the execute bits matter to the installer, and the umask may have taken them.
		if err := unix.Fchmod(fd, perm); err != nil {
			unix.Close(fd)
			return nil, &fs.PathError{Op: "fchmod", Path: name, Err: err}
		}
	}
	return &rawFile{fd: fd, name: name}, nil
}

func (c *fdCreator) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, fd := range c.dirs {
		unix.Close(fd) // a read-only folder descriptor has nothing to flush
		delete(c.dirs, name)
	}
	return nil
}

// rawFile writes straight to a blocking descriptor: an os.File would add fcntl calls per file
// to set up the poller, which regular files never use.
type rawFile struct {
	fd   int
	name string
}

func (f *rawFile) Write(p []byte) (int, error) {
	if f.fd < 0 {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrClosed}
	}
	done := 0
	for done < len(p) {
		n, err := unix.Write(f.fd, p[done:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return done, &fs.PathError{Op: "write", Path: f.name, Err: err}
		}
		if n == 0 {
			return done, &fs.PathError{Op: "write", Path: f.name, Err: io.ErrShortWrite}
		}
		done += n
	}
	return done, nil
}

func (f *rawFile) Close() error {
	if f.fd < 0 {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	err := unix.Close(f.fd)
	f.fd = -1
	if err != nil {
		return &fs.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// ignoringEINTR retries a call that a signal interrupted, as package os does.
func ignoringEINTR(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}
