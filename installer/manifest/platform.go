package manifest

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// ErrUnsupportedPlatform is wrapped by For when a package has nothing for the machine's os/arch.
var ErrUnsupportedPlatform = errors.New("platform not supported by the package")

// ErrNoLicensePath is wrapped by LicensePath when the package puts its license nowhere on disk.
var ErrNoLicensePath = errors.New("package sets no license path")

// outcomeNames are the Outcome values, for messages.
var outcomeNames = []string{"success", "reboot", "retry_later", "cancelled", "failed"}

// Valid reports whether o is one of the outcomes of the model.
func (o Outcome) Valid() bool { return slices.Contains(outcomeNames, string(o)) }

// For returns what to run on goos/goarch (runtime.GOOS, runtime.GOARCH): the "os/arch" entry if
// there is one, else the "os" entry.
func (m *Manifest) For(goos, goarch string) (*Platform, error) {
	if p := m.Platforms[goos+"/"+goarch]; p != nil {
		return p, nil
	}
	if p := m.Platforms[goos]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("%s %s is packaged for %s, not for %s/%s: %w",
		m.ID, m.Version, strings.Join(sortedKeys(m.Platforms), ", "), goos, goarch, ErrUnsupportedPlatform)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// OS is the operating system part of the platform's key: "windows" for "windows/amd64".
func (p *Platform) OS() string { return platformOS(p.Key) }

// InstallCommand is the install argv with the templates filled in from v.
func (p *Platform) InstallCommand(v Vars) ([]string, error) {
	return expandArgv(p.Key, "install", p.Installer.Install, v)
}

// UninstallCommand is the uninstall argv with the templates filled in from v.
func (p *Platform) UninstallCommand(v Vars) ([]string, error) {
	return expandArgv(p.Key, "uninstall", p.Installer.Uninstall, v)
}

// ExpandArgv fills in the templates of a command such as a detect rule's Run.
func ExpandArgv(argv []string, v Vars) ([]string, error) {
	out := make([]string, len(argv))
	for i, a := range argv {
		s, err := Expand(a, v)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		out[i] = s
	}
	return out, nil
}

func expandArgv(key, step string, argv []string, v Vars) ([]string, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("platform %s has no %s command", key, step)
	}
	out, err := ExpandArgv(argv, v)
	if err != nil {
		return nil, fmt.Errorf("%s command of platform %s: %w", step, key, err)
	}
	if out[0] == "" {
		return nil, fmt.Errorf("%s command of platform %s: the program %q expands to nothing", step, key, argv[0])
	}
	return out, nil
}

// Outcome maps an exit code of the package's installer: the package's own table first, then
// DefaultExitCodes, and failed for every other code.
func (p *Platform) Outcome(code int) Outcome {
	if p != nil {
		if o, ok := p.ExitCodes[code]; ok {
			return o
		}
	}
	if o, ok := DefaultExitCodes[code]; ok {
		return o
	}
	return OutcomeFailed
}

// LicensePath is the file the license goes to, filled in from v. A relative path is taken inside
// v.InstallDir. It is an error when the path leaves v.InstallDir, so that a package cannot make the
// agent write a license over another file.
func (p *Platform) LicensePath(v Vars) (string, error) {
	if p.License == nil || p.License.Path == "" {
		return "", fmt.Errorf("platform %s: %w", p.Key, ErrNoLicensePath)
	}
	if v.InstallDir == "" || !filepath.IsAbs(v.InstallDir) {
		return "", fmt.Errorf("license path of platform %s: install folder %q is not an absolute path", p.Key, v.InstallDir)
	}
	s, err := Expand(p.License.Path, v)
	if err != nil {
		return "", fmt.Errorf("license path of platform %s: %w", p.Key, err)
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(v.InstallDir, s)
	}
	s = filepath.Clean(s)
	if !Within(v.InstallDir, s) || filepath.Clean(v.InstallDir) == s {
		return "", fmt.Errorf("license path %q of platform %s is not inside the install folder %s; the package must write it under {{.InstallDir}}",
			s, p.Key, v.InstallDir)
	}
	return s, nil
}

// Within reports whether path is root or lies under it, after filepath.Clean; ".." cannot climb
// out. Both must be absolute. It compares names only: symbolic links are not followed.
func Within(root, path string) bool {
	if root == "" || path == "" || !filepath.IsAbs(root) || !filepath.IsAbs(path) {
		return false
	}
	rel, err := filepath.Rel(filepath.Clean(root), filepath.Clean(path))
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}
