package conform

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// WatchDir is a folder whose new files after an install and uninstall count as leftovers outside
// the install folder. Depth bounds how far below Path the scan goes, to keep it cheap.
type WatchDir struct {
	Path  string
	Depth int
}

// maxWatched bounds one snapshot: a huge /usr/local must not make the harness slow.
const maxWatched = 200_000

// snapshot is the set of paths found under the watched folders.
type snapshot map[string]bool

// takeSnapshot lists the watched folders, leaving out the excluded ones (the sandbox's own state).
func takeSnapshot(dirs []WatchDir, exclude []string) snapshot {
	s := snapshot{}
	for _, w := range dirs {
		root := filepath.Clean(w.Path)
		base := strings.Count(root, string(filepath.Separator))
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if d != nil && d.IsDir() && p != root {
					return filepath.SkipDir // unreadable: not ours to judge
				}
				return nil
			}
			if p != root && excluded(p, exclude) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if len(s) >= maxWatched {
				return filepath.SkipAll
			}
			if p != root {
				s[p] = true
			}
			if d.IsDir() && strings.Count(p, string(filepath.Separator))-base >= w.Depth {
				return filepath.SkipDir
			}
			return nil
		})
	}
	return s
}

func excluded(p string, exclude []string) bool {
	for _, e := range exclude {
		if p == e || strings.HasPrefix(p, e+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// added lists what after has and before has not, deepest first in each branch: a new folder is
// listed only when nothing new is inside it, so that the list names the files themselves.
func added(before, after snapshot) []string {
	var out []string
	for p := range after {
		if !before[p] {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	var leaves []string
	for i, p := range out {
		if i+1 < len(out) && strings.HasPrefix(out[i+1], p+string(filepath.Separator)) {
			continue // a folder with something new inside
		}
		leaves = append(leaves, p)
	}
	return leaves
}

// filesIn lists the files and folders left in dir, relative to it; none when dir is gone.
func filesIn(dir string) ([]string, error) {
	var left []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if empty, _ := isEmptyDir(p); !empty {
				return nil // its files are listed
			}
			rel += "/"
		}
		left = append(left, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(left)
	return left, err
}

func isEmptyDir(p string) (bool, error) {
	ents, err := os.ReadDir(p)
	return len(ents) == 0, err
}
