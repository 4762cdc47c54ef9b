package stage

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// flushFS flushes the whole file system that holds dir with one syncfs(2): for a package of
// thousands of files that is one flush instead of one fsync per file and folder, and since Linux 5.8
// it reports write-back errors as fsync does.
var flushFS = func(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("flushing the copy in %s to disk: %w", dir, err)
	}
	return nil
}
