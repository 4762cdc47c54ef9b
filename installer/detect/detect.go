// Package detect decides whether a package is installed, and which version, by evaluating the
// detection rules of its manifest: files, commands, dpkg/rpm queries and Windows Uninstall entries.
//
// Detection is the source of truth for the inventory: it reports what the machine says, never what a
// journal hoped. All rules must hold (AND). A rule that cannot be evaluated (dpkg-query missing, a
// command that times out) does not hold, and its RuleResult says why.
package detect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

// DefaultTimeout bounds one detection command when Detector.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Result is the outcome of one detection.
type Result struct {
	// Installed is true when every rule held (and there was at least one rule).
	Installed bool
	// Version is the version read by the first rule that read one, held or not ("" when none did):
	// a file rule whose version differs from the package's does not hold, yet says what is there.
	Version string
	// Rules has one entry per rule, in order.
	Rules []RuleResult
}

// RuleResult is the outcome of one rule.
type RuleResult struct {
	Rule    string // the rule with its templates expanded, e.g. `file "/opt/x/bin/solver"`
	Held    bool
	Version string // the version this rule read, if any
	Detail  string // why it did not hold ("missing", "exit status 1", …); "" when it held
}

// Detector evaluates detection rules. The zero value is usable on every OS but reads no registry;
// New returns the OS's defaults.
type Detector struct {
	// Registry lists the Windows Uninstall entries; nil makes registry rules fail with
	// "registry rules need Windows".
	Registry RegistryReader
	// Runner runs commands of command rules and the dpkg/rpm queries. Nil runs them for real in a
	// clean environment (PATH, HOME, LANG, ISCDESK_INSTALL_DIR, ISCDESK_MODE=detect), killing the
	// whole process tree at the timeout.
	Runner CommandRunner
	// Timeout bounds each command; DefaultTimeout when zero.
	Timeout time.Duration
}

// New returns a Detector with the OS's defaults: the registry reader on Windows, real commands.
func New() *Detector {
	return &Detector{Registry: newRegistryReader(), Timeout: DefaultTimeout}
}

// errBadRule marks errors in the rules themselves (templates, patterns), as opposed to rules that
// merely do not hold.
var errBadRule = errors.New("bad detection rule")

// Detect evaluates rules against the machine. It returns an error only for a rule that is wrong in
// itself (a bad template or regular expression) or when ctx ends, never because something is not
// installed.
func (d *Detector) Detect(ctx context.Context, rules []manifest.DetectRule, v manifest.Vars) (Result, error) {
	e := &evaluation{d: d, vars: v, runner: d.Runner}
	if e.runner == nil {
		e.runner = &execRunner{env: cleanEnv(v.InstallDir)}
	}
	if v.InstallDir != "" {
		if fi, err := os.Stat(v.InstallDir); err == nil && fi.IsDir() {
			e.dir = v.InstallDir
		}
	}

	res := Result{Installed: len(rules) > 0, Rules: make([]RuleResult, 0, len(rules))}
	for i, r := range rules {
		rr, err := e.rule(ctx, r)
		if err != nil {
			return Result{}, fmt.Errorf("detection rule %d%s: %w", i+1, lineSuffix(r.Line), err)
		}
		if ctx.Err() != nil {
			// A cancelled detection says nothing about the machine: do not report "not installed".
			return Result{}, fmt.Errorf("detection stopped at rule %d%s: %w", i+1, lineSuffix(r.Line), context.Cause(ctx))
		}
		res.Rules = append(res.Rules, rr)
		res.Installed = res.Installed && rr.Held
		if res.Version == "" {
			res.Version = rr.Version
		}
	}
	return res, nil
}

func lineSuffix(line int) string {
	if line <= 0 {
		return ""
	}
	return fmt.Sprintf(" (manifest line %d)", line)
}

// evaluation holds what one Detect call shares between its rules.
type evaluation struct {
	d      *Detector
	vars   manifest.Vars
	runner CommandRunner
	dir    string // working directory of commands: the install dir when it exists

	registryRead bool // the registry is read once per Detect call
	entries      []UninstallEntry
	registryErr  error
}

func (e *evaluation) rule(ctx context.Context, r manifest.DetectRule) (RuleResult, error) {
	kinds := 0
	for _, set := range []bool{r.File != nil, r.Command != nil, r.Dpkg != "", r.Rpm != "", r.Registry != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return RuleResult{}, fmt.Errorf("%w: sets %d kinds (file, command, dpkg, rpm, registry); set exactly one", errBadRule, kinds)
	}
	switch {
	case r.File != nil:
		return e.file(ctx, r.File)
	case r.Command != nil:
		return e.command(ctx, r.Command)
	case r.Dpkg != "":
		return e.dpkg(ctx, r.Dpkg)
	case r.Rpm != "":
		return e.rpm(ctx, r.Rpm)
	default:
		return e.registry(r.Registry)
	}
}

func (e *evaluation) timeout() time.Duration {
	if e.d.Timeout > 0 {
		return e.d.Timeout
	}
	return DefaultTimeout
}

// run runs argv with the per-command timeout. It returns the output, or a short reason why the
// command did not run to an exit status of 0.
func (e *evaluation) run(ctx context.Context, argv []string) (out []byte, failure string) {
	cctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	out, code, err := e.runner.Output(cctx, e.dir, argv)
	switch {
	case err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded):
		return out, fmt.Sprintf("timed out after %s; the process tree was killed", e.timeout())
	case err != nil:
		return out, err.Error()
	case code != 0:
		return out, fmt.Sprintf("exit status %d", code)
	}
	return out, ""
}

// compilePattern compiles a version pattern; an empty one (a rule not built by manifest.Parse)
// means manifest.DefaultVersionPattern.
func compilePattern(p string) (*regexp.Regexp, error) {
	if p == "" {
		p = manifest.DefaultVersionPattern
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("%w: version pattern `%s`: %w", errBadRule, p, err)
	}
	return re, nil
}
