package extract

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

type nodeKind uint8

const (
	kindDir nodeKind = iota + 1
	kindFile
	kindSymlink
)

type node struct {
	kind   nodeKind
	target string // of a symlink
}

// tree is the staging folder being filled. Because the folder is new, private and written only
// by this tree, nodes is an exact picture of it, and link safety is decided from nodes alone:
// no entry is created below a symlink, and a link's target is resolved through nodes.
//
// The methods are called from one goroutine, except writeFile, which zip workers call in
// parallel on files that prepareFile set up.
type tree struct {
	dir   string   // the .partial folder
	root  *os.Root // links, removals and the sync pass go through it: it cannot leave dir, whatever we get wrong
	mk    creator  // folders and files, the per-entry work, on the fastest safe path of the OS
	nodes map[string]node
	files []string // regular files, in creation order, for the sync pass
}

func newTree(dir string) (*tree, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening the staging folder: %w", err)
	}
	mk, err := newCreator(dir, root)
	if err != nil {
		root.Close()
		return nil, err
	}
	return &tree{dir: dir, root: root, mk: mk, nodes: make(map[string]node)}, nil
}

func (t *tree) close() error {
	if t.root == nil {
		return nil
	}
	err := errors.Join(t.mk.close(), t.root.Close())
	t.root, t.mk = nil, nil
	if err != nil {
		return fmt.Errorf("closing the staging folder %s: %w", t.dir, err)
	}
	return nil
}

// mkdir creates folder name (a cleaned entry name) and its missing parents.
func (t *tree) mkdir(name, raw string) error {
	if name == "" {
		return nil
	}
	if n, ok := t.nodes[name]; ok {
		if n.kind == kindDir {
			return nil
		}
		return unsafeEntry(raw, "a folder would replace a file or link of the same name")
	}
	if err := t.parents(name, raw); err != nil {
		return err
	}
	if err := t.mk.mkdir(name); err != nil {
		return fmt.Errorf("entry %q: creating folder: %w", raw, err)
	}
	t.nodes[name] = node{kind: kindDir}
	return nil
}

// parents makes sure every folder above name exists and none of them is a file or a symlink.
func (t *tree) parents(name, raw string) error {
	for i := 0; i < len(name); i++ {
		if name[i] != '/' {
			continue
		}
		p := name[:i]
		n, ok := t.nodes[p]
		switch {
		case !ok:
			if err := t.mkdir(p, raw); err != nil {
				return err
			}
		case n.kind == kindSymlink:
			return unsafeEntry(raw, "its folder %q is a symbolic link; files are never written through links", p)
		case n.kind != kindDir:
			return unsafeEntry(raw, "its folder %q is a file", p)
		}
	}
	return nil
}

// prepareLeaf readies name for a new file or link: parents exist, and an earlier file or link of
// the same name is removed (a later tar entry wins, as with tar -x), but a folder is never replaced.
func (t *tree) prepareLeaf(name, raw string) error {
	if name == "" {
		return unsafeEntry(raw, "a file cannot be the destination folder itself")
	}
	if n, ok := t.nodes[name]; ok {
		if n.kind == kindDir {
			return unsafeEntry(raw, "a file or link would replace a folder of the same name")
		}
		// Remove rather than truncate: the old name may be a hard link shared with another entry.
		if err := t.root.Remove(name); err != nil {
			return fmt.Errorf("entry %q: replacing the earlier entry: %w", raw, err)
		}
		delete(t.nodes, name)
		return nil
	}
	return t.parents(name, raw)
}

// prepareFile readies and records regular file name; writeFile fills it.
func (t *tree) prepareFile(name, raw string) error {
	if err := t.prepareLeaf(name, raw); err != nil {
		return err
	}
	t.nodes[name] = node{kind: kindFile}
	t.files = append(t.files, name)
	return nil
}

// fileMode normalises an archive's mode: 0755 when any execute bit is set, else 0644.
// setuid, setgid and sticky bits, and group or world write, are dropped.
func fileMode(m fs.FileMode) fs.FileMode {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// symlink creates a symbolic link after checking that its target stays inside the tree.
func (t *tree) symlink(name, target, raw string) error {
	if err := checkLinkTarget(raw, target); err != nil {
		return err
	}
	if err := t.resolve(parentOf(name), target, raw); err != nil {
		return err
	}
	if err := t.prepareLeaf(name, raw); err != nil {
		return err
	}
	if err := t.root.Symlink(target, name); err != nil {
		return fmt.Errorf("entry %q: creating symbolic link: %w", raw, err)
	}
	t.nodes[name] = node{kind: kindSymlink, target: target}
	return nil
}

// hardlink links name to an earlier regular file of the archive.
func (t *tree) hardlink(name, target, raw string, maxLen int) error {
	clean, err := cleanName(target, maxLen)
	if err != nil {
		var ee *EntryError
		if errors.As(err, &ee) {
			return unsafeEntry(raw, "hard link target %q: %s", target, ee.Problem)
		}
		return err
	}
	if n, ok := t.nodes[clean]; !ok || n.kind != kindFile {
		return unsafeEntry(raw, "hard link target %q is not a file extracted earlier from this archive", target)
	}
	if clean == name {
		return unsafeEntry(raw, "hard link to itself")
	}
	if err := t.prepareLeaf(name, raw); err != nil {
		return err
	}
	if err := t.root.Link(clean, name); err != nil {
		return fmt.Errorf("entry %q: creating hard link: %w", raw, err)
	}
	t.nodes[name] = node{kind: kindFile}
	return nil
}

func checkLinkTarget(raw, target string) error {
	switch {
	case target == "":
		return unsafeEntry(raw, "symbolic link with an empty target")
	case strings.IndexByte(target, 0) >= 0:
		return unsafeEntry(raw, "NUL byte in the link target")
	case strings.IndexByte(target, '\\') >= 0:
		return unsafeEntry(raw, "backslash in the link target %q", target)
	case strings.HasPrefix(target, "/") || hasVolume(target):
		return unsafeEntry(raw, "symbolic link to the absolute path %q; only relative links inside the package are kept", target)
	}
	return nil
}

// maxLinkHops matches Linux's limit on symlinks followed in one lookup.
const maxLinkHops = 40

// resolve follows target from folder dir the way the kernel would, through the symlinks of the
// tree, and fails when the walk climbs above the tree's root.
func (t *tree) resolve(dir, target, raw string) error {
	var stack []string
	if dir != "" {
		stack = strings.Split(dir, "/")
	}
	pending := strings.Split(target, "/")
	hops := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return unsafeEntry(raw, "symbolic link target %q leads outside the destination", target)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		n, ok := t.nodes[strings.Join(stack, "/")]
		if !ok || n.kind != kindSymlink {
			continue
		}
		if hops++; hops > maxLinkHops {
			return unsafeEntry(raw, "symbolic link target %q: too many levels of links", target)
		}
		stack = stack[:len(stack)-1]
		pending = append(strings.Split(n.target, "/"), pending...)
	}
	return nil
}

// checkLinks re-resolves every symlink once the tree is complete: a link created later can change
// where an earlier one leads ("a -> b/.." is harmless until "b -> ..").
func (t *tree) checkLinks() error {
	for name, n := range t.nodes {
		if n.kind == kindSymlink {
			if err := t.resolve(parentOf(name), n.target, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// abs is the on-disk path of entry name, for the sync pass.
func (t *tree) abs(name string) string {
	return filepath.Join(t.dir, filepath.FromSlash(name))
}
