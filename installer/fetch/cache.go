package fetch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// cache is the folder of downloads, keyed by expected SHA-256:
//
//	<sha>.pkg      a verified complete file (0400); its mtime is its last use, for LRU eviction
//	<sha>.partial  bytes downloaded so far
//	<sha>.state    JSON state of the partial file (see state)
type cache struct{ dir string }

func (f *Fetcher) cache() (*cache, error) {
	if err := ensureDir(f.CacheDir); err != nil {
		return nil, err
	}
	return &cache{dir: f.CacheDir}, nil
}

func (c *cache) pkgPath(sha string) string     { return filepath.Join(c.dir, sha+".pkg") }
func (c *cache) partialPath(sha string) string { return filepath.Join(c.dir, sha+".partial") }
func (c *cache) statePath(sha string) string   { return filepath.Join(c.dir, sha+".state") }

// state is what a later Fetch needs to resume a partial file.
type state struct {
	// URLs that served the bytes so far, in order; the last one is the one Validator belongs to.
	URLs      []string `json:"urls"`
	Validator string   `json:"validator,omitempty"` // ETag, else Last-Modified
	Offset    int64    `json:"offset"`              // bytes of the partial file covered by Hash, all fsynced
	Hash      []byte   `json:"hash"`                // crypto/sha256 state after Offset bytes (MarshalBinary)
}

func (s *state) lastURL() string {
	if len(s.URLs) == 0 {
		return ""
	}
	return s.URLs[len(s.URLs)-1]
}

// loadState returns the saved state, or ok=false when there is none or it cannot be read (the
// download then starts over; a broken state file is not worth failing for).
func (c *cache) loadState(sha string) (st state, ok bool) {
	b, err := os.ReadFile(c.statePath(sha))
	if err != nil {
		return state{}, false
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Offset < 0 {
		return state{}, false
	}
	return st, true
}

// saveState writes the state atomically: temp file, fsync, rename, fsync folder.
func (c *cache) saveState(sha string, st *state) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding download state for %s: %w", sha, err)
	}
	return writeFileAtomic(c.statePath(sha), b)
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return syncDir(dir)
}

// discard deletes the partial file and its state.
func (c *cache) discard(sha string) error {
	var errs []error
	for _, p := range []string{c.partialPath(sha), c.statePath(sha)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// lookup returns the complete file for sha when its size is right, and marks it used.
func (c *cache) lookup(sha string, size int64) (string, bool) {
	p := c.pkgPath(sha)
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	if fi.Size() != size {
		// Not what the ticket says: never hand it out. It is refetched.
		removeReadOnly(p)
		return "", false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // best effort: a stale time only makes eviction less fair
	return p, true
}

// commit turns the verified partial file into the cached file, read-only.
func (c *cache) commit(sha string) (string, error) {
	part, p := c.partialPath(sha), c.pkgPath(sha)
	if err := os.Chmod(part, 0o400); err != nil {
		return "", localErr(fmt.Errorf("making %s read-only: %w", part, err))
	}
	if err := os.Rename(part, p); err != nil {
		return "", localErr(fmt.Errorf("moving the verified download %s to %s: %w", part, p, err))
	}
	if err := os.Remove(c.statePath(sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", localErr(fmt.Errorf("removing download state %s: %w", c.statePath(sha), err))
	}
	if err := syncDir(c.dir); err != nil {
		return "", localErr(err)
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now)
	return p, nil
}

// evict deletes the least recently used complete files until they fit in capBytes. keep (the file
// just fetched) is never evicted, even if it alone is over the cap.
func (c *cache) evict(capBytes int64, keep string, log *slog.Logger) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		log.Warn("fetch: listing the cache for eviction", "dir", c.dir, "err", err)
		return
	}
	type item struct {
		path string
		size int64
		used time.Time
	}
	var items []item
	var total int64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".pkg") || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		total += fi.Size()
		if strings.TrimSuffix(name, ".pkg") != keep {
			items = append(items, item{filepath.Join(c.dir, name), fi.Size(), fi.ModTime()})
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].used.Before(items[j].used) })
	for _, it := range items {
		if total <= capBytes {
			return
		}
		if err := removeReadOnly(it.path); err != nil {
			log.Warn("fetch: evicting from the cache", "path", it.path, "err", err)
			continue
		}
		total -= it.size
		log.Info("fetch: evicted from the cache", "path", it.path, "bytes", it.size)
	}
}

// removeReadOnly deletes a cached file, which is 0400: Windows refuses to delete read-only files.
func removeReadOnly(path string) error {
	_ = os.Chmod(path, 0o600) // if this fails, Remove says why
	return os.Remove(path)
}
