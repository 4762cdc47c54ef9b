package extract

import (
	"context"
	"fmt"
	"sync"
)

// syncFiles fsyncs the tree's regular files with parallel workers: one fsync at a time would
// wait for the disk once per file.
func syncFiles(ctx context.Context, t *tree, workers int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ch := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for name := range ch {
				if ctx.Err() != nil {
					continue
				}
				if err := syncPath(t, name); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, name := range t.files {
		if n := t.nodes[name]; n.kind != kindFile {
			continue // replaced by a link after it was written
		}
		select {
		case ch <- name:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	return context.Cause(ctx)
}

func syncPath(t *tree, name string) error {
	f, err := t.root.Open(name)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync %s: %w", name, err)
	}
	return f.Close()
}

// syncFolders fsyncs every folder of the tree, the root included, so the names are durable too.
func syncFolders(t *tree) error {
	if err := syncDir(t.dir); err != nil {
		return err
	}
	for name, n := range t.nodes {
		if n.kind == kindDir {
			if err := syncDir(t.abs(name)); err != nil {
				return err
			}
		}
	}
	return nil
}
