// Package lint checks a package folder before it is tested or published: the checks of the
// manifest parser, plus checks of the vendor's install and uninstall scripts and commands that
// catch what breaks a silent, unattended install (prompts, missing silent switches, writes outside
// the install folder, forced reboots, no uninstall, no log).
//
// Every finding names the file and line, how bad it is, why it matters and how to fix it.
package lint

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

// Severity says whether a finding stops the package (error) or is advice (warning).
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Checks, as named in findings.
const (
	CheckManifest  = "manifest"      // package.yaml does not parse or validate
	CheckPrompt    = "prompt"        // a script asks for input
	CheckSilent    = "silent-switch" // an installer runs without its silent switch
	CheckOutside   = "writes-outside"
	CheckUninstall = "no-uninstall"
	CheckLog       = "no-log"
	CheckReboot    = "forced-reboot"
	CheckMissing   = "missing-file" // a file the package names is not in it
)

// Finding is one problem found in a package.
type Finding struct {
	File     string   `json:"file"` // relative to the package folder
	Line     int      `json:"line,omitempty"`
	Severity Severity `json:"severity"`
	Check    string   `json:"check"`
	Message  string   `json:"message"` // what was found
	Why      string   `json:"why"`     // why it matters on an unattended machine
	Fix      string   `json:"fix"`     // what to do about it
}

// Where is file:line, or file when the line is unknown.
func (f Finding) Where() string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return f.File
}

// Report is the result of linting one package folder.
type Report struct {
	Dir      string    `json:"dir"`
	Findings []Finding `json:"findings"`
}

// Errors counts the findings of severity error.
func (r *Report) Errors() int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			n++
		}
	}
	return n
}

// ByCheck returns the findings of one check.
func (r *Report) ByCheck(check string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

// Dir lints the package folder dir. The error is for a folder that cannot be read at all; problems
// of the package itself, including a package.yaml that does not parse, are findings.
func Dir(dir string) (*Report, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("lint %s: %w; give the folder that holds package.yaml", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("lint %s: not a folder; give the folder that holds package.yaml (not the built .iscpkg)", dir)
	}
	r := &Report{Dir: dir}
	m, err := manifest.Load(filepath.Join(dir, "package.yaml"))
	if err != nil {
		r.Findings = append(r.Findings, manifestFindings(dir, err)...)
		return r, nil
	}
	for _, key := range platformKeys(m) {
		r.Findings = append(r.Findings, lintPlatform(dir, m.Platforms[key])...)
	}
	r.Findings = append([]Finding{}, dedupe(r.Findings)...) // [] rather than null in JSON
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return r, nil
}

// manifestFindings turns the parser's errors into findings.
func manifestFindings(dir string, err error) []Finding {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []Finding
	for _, e := range errs {
		f := Finding{File: "package.yaml", Severity: SeverityError, Check: CheckManifest,
			Why: "the agent refuses a package whose package.yaml it cannot read, before anything runs",
			Fix: "correct package.yaml as the message says; docs/manifest.md describes every key"}
		var me *manifest.Error
		if errors.As(e, &me) {
			f.Line, f.Message = me.Line, me.Msg
			if rel, rerr := filepath.Rel(dir, me.File); rerr == nil && !strings.HasPrefix(rel, "..") {
				f.File = filepath.ToSlash(rel)
			}
		} else {
			f.Message = e.Error()
		}
		out = append(out, f)
	}
	return out
}

func platformKeys(m *manifest.Manifest) []string {
	keys := make([]string, 0, len(m.Platforms))
	for k := range m.Platforms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dedupe drops findings repeated by several platforms that share one script.
func dedupe(in []Finding) []Finding {
	seen := map[string]bool{}
	var out []Finding
	for _, f := range in {
		k := f.Where() + "\x00" + f.Check + "\x00" + f.Message
		if !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	return out
}

// WriteText prints the report for people: one block per finding and a summary line.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s: %s [%s] %s\n    why: %s\n    fix: %s\n", f.Where(), f.Severity, f.Check, f.Message, f.Why, f.Fix)
	}
	errs := r.Errors()
	fmt.Fprintf(&b, "%s: %d errors, %d warnings\n", r.Dir, errs, len(r.Findings)-errs)
	_, err := io.WriteString(w, b.String())
	return err
}
