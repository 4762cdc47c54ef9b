package detect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

// file evaluates a file rule: the path exists and, when the rule reads a version, the version is
// the package's (when the package version is known).
func (e *evaluation) file(ctx context.Context, r *manifest.FileRule) (RuleResult, error) {
	path, err := expand(r.Path, e.vars)
	if err != nil {
		return RuleResult{}, err
	}
	if path == "" {
		return RuleResult{}, fmt.Errorf("%w: file rule has an empty path", errBadRule)
	}
	vs, err := prepareVersion(r.Version, path, e.vars)
	if err != nil {
		return RuleResult{}, err
	}
	rr := RuleResult{Rule: fmt.Sprintf("file %q", path)}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			rr.Detail = "missing"
		} else {
			rr.Detail = err.Error()
		}
		return rr, nil
	}
	if vs == nil {
		rr.Held = true
		return rr, nil
	}
	version, failure := vs.read(ctx, e, nil, nil)
	rr.Version = version
	switch {
	case failure != "":
		rr.Detail = failure
	case e.vars.Version != "" && manifest.CompareVersions(version, e.vars.Version) != 0:
		rr.Detail = fmt.Sprintf("version %s is installed, the package is %s", version, e.vars.Version)
	default:
		rr.Held = true
	}
	return rr, nil
}

// command evaluates a command rule: the command exits 0; its version, when asked for, is read
// from its output, a file or another command.
func (e *evaluation) command(ctx context.Context, r *manifest.CommandRule) (RuleResult, error) {
	if len(r.Run) == 0 {
		return RuleResult{}, fmt.Errorf("%w: command rule has nothing to run", errBadRule)
	}
	argv, err := expandAll(r.Run, e.vars)
	if err != nil {
		return RuleResult{}, err
	}
	vs, err := prepareVersion(r.Version, "", e.vars)
	if err != nil {
		return RuleResult{}, err
	}
	rr := RuleResult{Rule: "command " + quoteArgv(argv)}
	out, failure := e.run(ctx, argv)
	if failure != "" {
		rr.Detail = withOutput(failure, out)
		return rr, nil
	}
	if vs != nil {
		rr.Version, rr.Detail = vs.read(ctx, e, out, argv)
	}
	rr.Held = rr.Detail == ""
	return rr, nil
}

// dpkg evaluates a dpkg rule with dpkg-query.
func (e *evaluation) dpkg(ctx context.Context, name string) (RuleResult, error) {
	name, err := expand(name, e.vars)
	if err != nil {
		return RuleResult{}, err
	}
	rr := RuleResult{Rule: fmt.Sprintf("dpkg %q", name)}
	// One line per match: a multi-arch package can be listed once per architecture.
	out, failure := e.run(ctx, []string{"dpkg-query", "-W", "-f=${Status}\t${Version}\n", "--", name})
	installed, version := ParseDpkgStatus(out)
	switch {
	case failure == "" && installed:
		rr.Held, rr.Version = true, version
	case failure == "exit status 1" || (failure == "" && len(out) > 0):
		// dpkg-query exits 1 for a name it never heard of; a known name may be removed or half-installed.
		rr.Detail = fmt.Sprintf("dpkg: package %s is not installed%s", name, dpkgState(out))
	case failure != "":
		rr.Detail = "dpkg: " + withOutput(failure, out)
	default:
		rr.Detail = fmt.Sprintf("dpkg: package %s is not installed", name)
	}
	return rr, nil
}

// dpkgState describes a non-installed dpkg status line, e.g. ` (status "deinstall ok config-files")`.
func dpkgState(out []byte) string {
	for line := range strings.Lines(string(out)) {
		status, _, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if ok && len(strings.Fields(status)) == 3 {
			return fmt.Sprintf(" (status %q)", status)
		}
	}
	return ""
}

// rpm evaluates an rpm rule with rpm -q.
func (e *evaluation) rpm(ctx context.Context, name string) (RuleResult, error) {
	name, err := expand(name, e.vars)
	if err != nil {
		return RuleResult{}, err
	}
	rr := RuleResult{Rule: fmt.Sprintf("rpm %q", name)}
	// One line per match: multilib systems list a package once per architecture.
	out, failure := e.run(ctx, []string{"rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}\n", "--", name})
	installed, version := ParseRpmQuery(out)
	switch {
	case failure == "" && installed:
		rr.Held, rr.Version = true, version
	case failure == "" || (failure == "exit status 1" && strings.Contains(string(out), " is not installed")):
		// rpm also exits 1 when it cannot read its database; only its own words mean "not installed".
		rr.Detail = fmt.Sprintf("rpm: package %s is not installed", name)
	default:
		rr.Detail = "rpm: " + withOutput(failure, out)
	}
	return rr, nil
}

// registry evaluates a registry rule against the Uninstall entries, read once per Detect call.
// Its fields are literal, not templates: DisplayName is a regular expression, where "{{" would be
// ambiguous, and a ProductCode never changes with the install.
func (e *evaluation) registry(r *manifest.RegistryRule) (RuleResult, error) {
	if r.ProductCode == "" && r.DisplayName == "" {
		return RuleResult{}, fmt.Errorf("%w: registry rule names neither a ProductCode nor a DisplayName", errBadRule)
	}
	if err := validateRegistryRule(*r); err != nil {
		return RuleResult{}, err
	}
	rr := RuleResult{Rule: "registry " + describeRegistryRule(*r)}
	if e.d.Registry == nil {
		rr.Detail = "registry rules need Windows"
		return rr, nil
	}
	if !e.registryRead {
		e.entries, e.registryErr = e.d.Registry.UninstallEntries()
		e.registryRead = true
	}
	if e.registryErr != nil {
		rr.Detail = "registry: " + e.registryErr.Error()
		return rr, nil
	}
	entry, ok := Match(e.entries, *r)
	if !ok {
		rr.Detail = "registry: no Uninstall entry matches"
		return rr, nil
	}
	rr.Held, rr.Version = true, entry.DisplayVersion
	return rr, nil
}

// quoteArgv renders argv for messages: "a" "b c".
func quoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}

// withOutput appends the last non-empty line of a failed command's output to its failure: that is
// usually where a script says what it missed.
func withOutput(failure string, out []byte) string {
	const maxLine = 200
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return failure
	}
	if len(last) > maxLine {
		last = last[:maxLine] + "…"
	}
	return failure + ": " + last
}
