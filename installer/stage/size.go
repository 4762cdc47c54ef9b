package stage

import (
	"fmt"
	"io/fs"
	"path/filepath"
)

// Size counts what Dir would copy from src: every entry that is not a folder, and the bytes of the
// regular files. Symlinks inside are not followed.
func Size(src string) (files int, bytes int64, err error) {
	root, err := packageRoot(src)
	if err != nil {
		return 0, 0, fmt.Errorf("measuring package folder %s: %w", src, err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		files++
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			bytes += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("measuring package folder %s: %w", src, err)
	}
	return files, bytes, nil
}
