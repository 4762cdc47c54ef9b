//go:build unix

package localapi

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Listen opens the agent's unix socket at path. It creates the socket's folder (0755) when
// missing, refuses a folder that others could write to (or, as root, that root does not own), and replaces a stale socket left by an
// agent that died, but never one that still answers.
func Listen(path string, o ListenOptions) (net.Listener, error) {
	if path == "" {
		return nil, errors.New("listening: no socket path given")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the socket folder %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("checking the socket folder: %w", err)
	}
	// Whoever can write the folder can replace the socket with their own and answer in our place.
	if m := fi.Mode(); m.Perm()&0o022 != 0 && m&fs.ModeSticky == 0 {
		return nil, fmt.Errorf("socket folder %s is writable by other users (mode %v); fix it with: chmod 755 %s", dir, m.Perm(), dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && st.Uid != 0 {
		return nil, fmt.Errorf("socket folder %s belongs to uid %d, not root; remove it or fix it with: chown root: %s", dir, st.Uid, dir)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	if err := setSocketAccess(path, o); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// removeStale removes a socket at path that nothing answers on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket; move it away or choose another socket path", path)
	}
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("another agent is already listening on %s; stop it first", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("checking whether an agent listens on %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the stale socket %s: %w", path, err)
	}
	return nil
}

// setSocketAccess sets the socket's mode and group: open to all where each request is judged by
// the caller's identity, else closed to all but root and the group.
func setSocketAccess(path string, o ListenOptions) error {
	mode := o.Mode
	switch {
	case mode != 0:
	case hasPeerCreds:
		mode = 0o666
	case o.Group != "":
		mode = 0o660
	default:
		mode = 0o600
	}
	if o.Group != "" && !hasPeerCreds {
		g, err := user.LookupGroup(o.Group)
		if err != nil {
			return fmt.Errorf("socket group %q: %w; create it (groupadd %s) or change install_group", o.Group, err, o.Group)
		}
		gid, err := strconv.Atoi(g.Gid)
		if err != nil {
			return fmt.Errorf("socket group %q has gid %q: %w", o.Group, g.Gid, err)
		}
		if err := os.Chown(path, -1, gid); err != nil {
			return fmt.Errorf("giving socket %s to group %q: %w", path, o.Group, err)
		}
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("setting the mode of socket %s: %w", path, err)
	}
	return nil
}
