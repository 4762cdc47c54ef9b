//go:build !linux

package extract

import "context"

// syncTree makes the staged tree durable: file data with parallel fsyncs, then the folders.
func syncTree(ctx context.Context, t *tree, workers int) error {
	if err := syncFiles(ctx, t, workers); err != nil {
		return err
	}
	return syncFolders(t)
}
