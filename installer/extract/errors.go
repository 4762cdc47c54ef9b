package extract

import (
	"errors"
	"fmt"
)

// The kinds of refusal; test with errors.Is. The error's text names the entry and the reason.
var (
	// ErrUnsafe: an entry would land outside the destination, write through a link, or is a
	// device, fifo or socket. The archive is malformed or hostile; ask its publisher for a fixed one.
	ErrUnsafe = errors.New("unsafe archive entry")
	// ErrLimit: the archive unpacks to more files, bytes or a higher compression ratio than allowed.
	ErrLimit = errors.New("archive exceeds an extraction limit")
	// ErrFormat: the data is not an archive of a supported format, or is corrupt.
	ErrFormat = errors.New("unsupported or corrupt archive")
)

// EntryError is a refusal of one archive entry.
type EntryError struct {
	Name    string // the entry's name as the archive spells it
	Problem string // what is wrong with it
	Kind    error  // ErrUnsafe, ErrLimit or ErrFormat
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("entry %q refused: %s", e.Name, e.Problem)
}

func (e *EntryError) Unwrap() error { return e.Kind }

func unsafeEntry(name, format string, args ...any) error {
	return &EntryError{Name: name, Problem: fmt.Sprintf(format, args...), Kind: ErrUnsafe}
}
