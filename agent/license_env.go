package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/iscdesk/iscdesk/installer/atomicfile"
)

// EnvSetter sets, machine-wide (for the user, in user mode), the environment variable through which a
// product finds its license file. Sessions started afterwards see it.
type EnvSetter interface {
	// Set makes name=value visible to new sessions and returns where it is set, for people.
	Set(product, name, value string) (where string, err error)
	// Unset undoes Set for product. Unsetting what is not set is not an error.
	Unset(product, name string) error
}

// envSyntax is the syntax of a file of variables.
type envSyntax int

const (
	shellSyntax   envSyntax = iota // /etc/profile.d/*.sh, read by login shells: export NAME='value'
	systemdSyntax                  // ~/.config/environment.d/*.conf, read by systemd --user: NAME="value"
)

// fileEnv sets variables with one file per product in a folder that the system reads at login.
type fileEnv struct {
	dir    string
	syntax envSyntax
}

func (f fileEnv) path(product string) string {
	ext := ".sh"
	if f.syntax == systemdSyntax {
		ext = ".conf"
	}
	return filepath.Join(f.dir, "iscdesk-"+product+ext)
}

func (f fileEnv) Set(product, name, value string) (string, error) {
	if strings.ContainsAny(value, "\x00\n\r") {
		return "", fmt.Errorf("the value of %s holds a line break or NUL; it cannot be set in %s", name, f.dir)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by the ISCDesk agent: the license of %s. Removed when %s is uninstalled.\n", product, product)
	switch f.syntax {
	case shellSyntax:
		fmt.Fprintf(&b, "export %s='%s'\n", name, strings.ReplaceAll(value, `'`, `'\''`))
	case systemdSyntax:
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`)
		fmt.Fprintf(&b, "%s=\"%s\"\n", name, r.Replace(value))
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", f.dir, err)
	}
	p := f.path(product)
	if err := atomicfile.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	return p, nil
}

func (f fileEnv) Unset(product, _ string) error {
	if err := os.Remove(f.path(product)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", f.path(product), err)
	}
	return nil
}

// noEnv is the EnvSetter of a system where the agent does not set variables.
type noEnv struct{ why string }

func (n noEnv) Set(string, string, string) (string, error) {
	return "", errors.New(n.why)
}

func (noEnv) Unset(string, string) error { return nil }
