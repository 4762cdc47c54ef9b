package fetch

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrHashMismatch: a mirror served bytes whose size or SHA-256 is not the ticket's. The bytes were deleted.
	ErrHashMismatch = errors.New("downloaded file does not match the ticket")
	// ErrNotFound: a mirror answered 404.
	ErrNotFound = errors.New("not found")
	// ErrDiskFull: writing the download failed because the disk is full. The partial file is kept.
	ErrDiskFull = errors.New("disk full")
	// ErrNoSpace: the cache folder has less free space than the rest of the download needs.
	ErrNoSpace = errors.New("not enough free disk space")
)

// errLocal marks failures of this machine (cache folder, state file) that another mirror cannot fix.
var errLocal = errors.New("local cache error")

// MirrorFailure is the last failure of one mirror.
type MirrorFailure struct {
	URL string
	Err error
}

// Error is returned when no mirror served the file. It lists each mirror's last failure.
type Error struct {
	SHA256  string
	Mirrors []MirrorFailure
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "could not download the package with SHA-256 %s from any of its %d mirror(s):", e.SHA256, len(e.Mirrors))
	for _, m := range e.Mirrors {
		fmt.Fprintf(&b, "\n  %s: %v", m.URL, m.Err)
	}
	b.WriteString("\ncheck the network and the mirrors, then retry; a partial download is kept and resumed")
	return b.String()
}

// Unwrap lets errors.Is see each mirror's failure (ErrNotFound, ErrHashMismatch, ...).
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Mirrors))
	for i, m := range e.Mirrors {
		errs[i] = m.Err
	}
	return errs
}

// localErr wraps err so that it reads as err and is also recognised as a local failure.
func localErr(err error) error {
	return &localError{err}
}

type localError struct{ err error }

func (e *localError) Error() string   { return e.err.Error() }
func (e *localError) Unwrap() []error { return []error{e.err, errLocal} }

// shortHex shortens a hex digest for messages: ab12cd34….
func shortHex(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
