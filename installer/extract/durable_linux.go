package extract

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncTree makes the staged tree durable with one syncfs(2): it flushes every file and folder of
// the file system in one go, which beats 20,000 fsyncs by far.
func syncTree(ctx context.Context, t *tree, _ int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d, err := os.Open(t.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", t.dir, err)
	}
	return nil
}
