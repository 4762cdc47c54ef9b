//go:build !linux

package stage

// flushFS is nil where there is no syncfs: every file and folder is fsynced on its own.
var flushFS func(dir string) error
