package pkgfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// scan lists the package folder, package.yaml excepted, in sorted path order, refusing what an
// .iscpkg cannot carry.
func scan(ctx context.Context, root *os.Root) ([]entry, error) {
	var entries []entry
	folded := map[string]string{} // lower-cased name -> name, to catch case-only clashes
	err := fs.WalkDir(root.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading the package folder: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if rel == "." || rel == ManifestName {
			return nil
		}
		if problem := nameProblem(rel); problem != "" {
			return fmt.Errorf("%s: %s", rel, problem)
		}
		if other, ok := folded[strings.ToLower(rel)]; ok {
			return fmt.Errorf("%s and %s differ only in case; they would be one file on Windows and macOS; rename one", other, rel)
		}
		folded[strings.ToLower(rel)] = rel
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		e := entry{rel: rel, mode: fi.Mode()}
		switch {
		case fi.IsDir():
		case fi.Mode().IsRegular():
			e.size = fi.Size()
		case fi.Mode()&fs.ModeSymlink != 0:
			if e.target, err = checkSymlink(root, rel); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s is a %v, not a file, folder or symlink; packages cannot carry devices, fifos or sockets; remove it", rel, fi.Mode().Type())
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// WalkDir sorts per folder; the format wants plain byte order of whole paths (a folder's
	// own path, without its slash, so it always comes before its contents).
	sort.Slice(entries, func(i, j int) bool { return entries[i].rel < entries[j].rel })
	return entries, nil
}

// nameProblem refuses names that would be refused or mangled when the package is extracted.
func nameProblem(rel string) string {
	switch {
	case !utf8.ValidString(rel):
		return "the name is not valid UTF-8; rename it"
	case strings.ContainsAny(rel, "\\:"):
		return `names may not contain "\" or ":" (Windows reads them as separators or streams); rename it`
	}
	for _, part := range strings.Split(rel, "/") {
		if strings.HasSuffix(part, ".") || strings.HasSuffix(part, " ") {
			return "a name ending in a dot or a space is changed by Windows; rename it"
		}
	}
	return ""
}

// checkSymlink returns the target of the symlink rel if it is relative and resolves, through any
// other links, to something inside the package folder.
func checkSymlink(root *os.Root, rel string) (string, error) {
	target, err := root.Readlink(rel)
	if err != nil {
		return "", fmt.Errorf("%s: %w", rel, err)
	}
	if filepath.IsAbs(target) || strings.HasPrefix(target, "/") || strings.HasPrefix(target, `\`) || filepath.VolumeName(target) != "" {
		return "", fmt.Errorf("%s is a symlink to the absolute path %s; only relative links inside the package are kept; make it relative or copy the file in", rel, target)
	}
	if strings.ContainsRune(target, '\\') {
		return "", fmt.Errorf("%s is a symlink to %s; write link targets with \"/\"", rel, target)
	}
	// os.Root follows links as the kernel would and refuses any walk that leaves the folder.
	if _, err := root.Stat(rel); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s is a symlink to %s, which does not exist in the package; fix or remove it", rel, target)
		}
		return "", fmt.Errorf("%s is a symlink to %s, which leads outside the package folder; only links inside the package are kept", rel, target)
	}
	return target, nil
}
