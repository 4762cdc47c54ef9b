package extract

import (
	"io"
	"io/fs"
	"os"
)

// creator makes the staging tree's folders and files, the two operations done once per entry;
// the rare ones (links, removals) go through the tree's os.Root. Names are cleaned entry names
// whose parent folder exists. create must be safe for concurrent use (zip workers call it);
// mkdir is called from the goroutine that walks the entries.
type creator interface {
	// mkdir creates folder name with mode 0755, whatever the umask.
	mkdir(name string) error
	// create makes the new file name with exactly mode; an existing name, a link included, is an error.
	create(name string, mode fs.FileMode) (io.WriteCloser, error)
	close() error
}

// rootCreator creates through an os.Root, which resolves every name from the staging folder
// down, component by component; it is the portable path and the fallback of the fast one.
type rootCreator struct{ root *os.Root }

func (c rootCreator) mkdir(name string) error {
	if err := c.root.Mkdir(name, 0o755); err != nil {
		return err
	}
	// Mkdir's mode passes through the umask; the tree must look the same whatever it is.
	return c.root.Chmod(name, 0o755)
}

func (c rootCreator) create(name string, mode fs.FileMode) (io.WriteCloser, error) {
	f, err := c.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return nil, err
	}
	if mode&0o111 != 0 {
		// Only the execute bits matter to the installer, and the umask may have taken them.
		if err := f.Chmod(mode); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

func (rootCreator) close() error { return nil }
