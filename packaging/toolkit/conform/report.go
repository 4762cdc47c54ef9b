package conform

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is how one check ended.
type Status string

const (
	StatusPass Status = "pass"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// Names of the checks, in the order the harness runs them. Interrupted installs are named
// CheckInterruptInstall + "-1", "-2", ...
const (
	CheckInstall            = "install"
	CheckDetectInstalled    = "detect-installed"
	CheckOverwrite          = "overwrite"
	CheckInterruptInstall   = "interrupt-install"
	CheckUninstall          = "uninstall"
	CheckDetectAbsent       = "detect-absent"
	CheckLeftoverFiles      = "leftover-files"
	CheckLeftoverOutside    = "leftover-outside"
	CheckLeftoverProcesses  = "leftover-processes"
	CheckUninstallAgain     = "uninstall-again"
	CheckInterruptUninstall = "interrupt-uninstall"
	CheckDetectAbsentFinal  = "detect-absent-after-recovery"
)

// Check is the result of one step of the harness.
type Check struct {
	Name     string        `json:"name"`
	Title    string        `json:"title"`
	Status   Status        `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	// Detail says what happened, for every status.
	Detail string `json:"detail,omitempty"`
	// Reason and Fix are set on a failure: why it is one in the vendor's words, and what to change.
	Reason string `json:"reason,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// Report is the result of one run of the harness on one package.
type Report struct {
	Package  string        `json:"package"`
	Version  string        `json:"version"`
	Platform string        `json:"platform"`
	Dir      string        `json:"dir"`
	Sandbox  string        `json:"sandbox,omitempty"` // set when it was kept
	Seed     uint64        `json:"seed"`
	Points   int           `json:"points"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Checks   []Check       `json:"checks"`
}

// Passed reports whether no check failed.
func (r *Report) Passed() bool { return r.Failed() == 0 }

// Failed counts the failed checks.
func (r *Report) Failed() int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			n++
		}
	}
	return n
}

// Check returns the check called name, or nil.
func (r *Report) Check(name string) *Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

// WriteText prints the report as a table, followed by the reason and fix of every failure.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s) from %s, seed %d, %d interrupt points\n\n", r.Package, r.Version, r.Platform, r.Dir, r.Seed, r.Points)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tCHECK\tTIME\tWHAT HAPPENED")
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", strings.ToUpper(string(c.Status)), c.Name, seconds(c.Duration), oneLine(c.Detail, 110))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range r.Checks {
		if c.Status != StatusFail {
			continue
		}
		fmt.Fprintf(&b, "\nFAIL %s — %s\n  why: %s\n  fix: %s\n", c.Name, c.Title, c.Reason, c.Fix)
	}
	verdict := "PASS"
	if !r.Passed() {
		verdict = fmt.Sprintf("FAIL (%d of %d checks failed)", r.Failed(), len(r.Checks))
	}
	fmt.Fprintf(&b, "\n%s in %s\n", verdict, seconds(r.Duration))
	if r.Sandbox != "" {
		fmt.Fprintf(&b, "sandbox kept in %s (state, job logs, install root)\n", r.Sandbox)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// JUnit XML, as CI systems (Jenkins, GitLab, GitHub actions) read it: one testsuite, one testcase per check.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit prints the report as JUnit XML.
func WriteJUnit(w io.Writer, r *Report) error {
	s := junitSuite{
		Name: "iscdesk-pack test " + r.Package + " " + r.Version, Tests: len(r.Checks), Failures: r.Failed(),
		Time: fmt.Sprintf("%.3f", r.Duration.Seconds()), Timestamp: r.Started.UTC().Format(time.RFC3339),
	}
	for _, c := range r.Checks {
		jc := junitCase{Name: c.Name, ClassName: r.Package, Time: fmt.Sprintf("%.3f", c.Duration.Seconds()), SystemOut: c.Detail}
		switch c.Status {
		case StatusFail:
			jc.Failure = &junitFailure{Message: c.Reason, Type: c.Name, Text: c.Detail + "\n\nfix: " + c.Fix}
		case StatusSkip:
			s.Skipped++
			jc.Skipped = &junitSkipped{Message: c.Detail}
		}
		s.Cases = append(s.Cases, jc)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{s}}); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// oneLine keeps a table cell on one line and within n characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
