package secretstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
)

// File stores secrets in one JSON file readable by its owner only (0600, in a 0700 folder),
// replaced atomically on every change. Use it where there is no keyring.
type File struct {
	path string

	// mu serialises the read-modify-write of the file within this process. Two processes that
	// write at the same moment may lose one write, never corrupt the file.
	mu sync.Mutex
}

// NewFile returns a File store at path; the file and its folder are created on the first Set.
func NewFile(path string) *File { return &File{path: path} }

// Path is the file.
func (f *File) Path() string { return f.path }

// Get implements Store.
func (f *File) Get(name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return "", err
	}
	s, ok := m[name]
	if !ok {
		return "", fmt.Errorf("%q in %s: %w", name, f.path, ErrNotFound)
	}
	return s, nil
}

// Set implements Store.
func (f *File) Set(name, secret string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	m[name] = secret
	return f.write(m)
}

// Delete implements Store.
func (f *File) Delete(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	if _, ok := m[name]; !ok {
		return nil
	}
	delete(m, name)
	if len(m) == 0 {
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("deleting the session file: %w", err)
		}
		return nil
	}
	return f.write(m)
}

func (f *File) read() (map[string]string, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the session file: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("reading the session file %s: %w; delete it and sign in again", f.path, err)
	}
	return m, nil
}

func (f *File) write(m map[string]string) error {
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return fmt.Errorf("creating the folder of the session file: %w", err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the session file: %w", err)
	}
	if err := atomicfile.WriteFile(f.path, data, 0o600); err != nil {
		return fmt.Errorf("writing the session file: %w", err)
	}
	return nil
}
