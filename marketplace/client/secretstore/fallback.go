package secretstore

import (
	"errors"
	"fmt"
)

// Fallback stores in Primary (the keyring) and, when Primary fails, in Secondary (the file).
type Fallback struct {
	Primary, Secondary Store
}

// Get returns the secret from Primary, else from Secondary.
func (f *Fallback) Get(name string) (string, error) {
	s, perr := f.Primary.Get(name)
	if perr == nil {
		return s, nil
	}
	s, serr := f.Secondary.Get(name)
	if serr == nil {
		return s, nil
	}
	if errors.Is(serr, ErrNotFound) {
		if errors.Is(perr, ErrNotFound) {
			return "", serr
		}
		// The keyring could not be read, and the file has nothing: say both, so that a locked
		// keyring is not mistaken for "never signed in".
		return "", fmt.Errorf("%w (and %v)", serr, perr)
	}
	return "", errors.Join(perr, serr)
}

// Set stores the secret in Primary and removes any stale copy from Secondary; when Primary fails,
// it stores in Secondary.
func (f *Fallback) Set(name, secret string) error {
	perr := f.Primary.Set(name, secret)
	if perr == nil {
		if err := f.Secondary.Delete(name); err != nil {
			return fmt.Errorf("saved in the keyring, but an older copy is left: %w", err)
		}
		return nil
	}
	if serr := f.Secondary.Set(name, secret); serr != nil {
		return fmt.Errorf("no place to keep the secret: %w", errors.Join(perr, serr))
	}
	return nil
}

// Delete removes the secret from both stores. It fails only if the secret can still be read
// afterwards: an unavailable keyring cannot hold it.
func (f *Fallback) Delete(name string) error {
	perr := f.Primary.Delete(name)
	serr := f.Secondary.Delete(name)
	if _, err := f.Get(name); errors.Is(err, ErrNotFound) {
		return nil
	}
	if err := errors.Join(perr, serr); err != nil {
		return err
	}
	return fmt.Errorf("deleting %q: it can still be read", name)
}
