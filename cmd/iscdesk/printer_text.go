package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// textPrinter prints for people: aligned tables, a line per state change of a job and, on a
// terminal, a progress bar while a job downloads or extracts.
type textPrinter struct {
	w   io.Writer
	tty bool
	// seen is the last state line printed per job, so that repeated job events print once.
	seen map[string]string
	// steps is the last progress step and quarter printed per job, for plain (non-TTY) output.
	steps map[string]string
	bar   *progressBar // the bar being drawn on a terminal, or nil
}

func newTextPrinter(w io.Writer, tty bool) *textPrinter {
	return &textPrinter{w: w, tty: tty, seen: map[string]string{}, steps: map[string]string{}}
}

// table runs fill on an aligned writer and flushes it.
func (p *textPrinter) table(fill func(w io.Writer)) error {
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	fill(tw)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("printing: %w", err)
	}
	return nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (p *textPrinter) Status(s *apitype.Status) error {
	return p.table(func(w io.Writer) {
		fmt.Fprintf(w, "agent\t%s (%s), %s mode, running since %s\n", orDash(s.Version), s.OS, s.Mode, stamp(s.StartedAt))
		fmt.Fprintf(w, "jobs\t%d running, %d queued\n", s.JobsRunning, s.JobsQueued)
		if s.Recovering {
			fmt.Fprintf(w, "recovering\tfinishing jobs that the last stop cut off\n")
		}
		if s.RebootRequired {
			fmt.Fprintf(w, "reboot\trequired: %s\n", orDash(strings.Join(s.RebootReasons, "; ")))
		}
		fmt.Fprintf(w, "state dir\t%s\n", s.StateDir)
		fmt.Fprintf(w, "install root\t%s\n", s.InstallRoot)
		fmt.Fprintf(w, "trusted keys\t%s\n", orDash(strings.Join(s.TrustedKeys, ", ")))
		who := s.Caller.User
		if who == "" {
			who = "uid " + s.Caller.UID
		}
		if s.Caller.CanInstall {
			fmt.Fprintf(w, "you\t%s, may install\n", who)
		} else {
			how := ""
			if s.Caller.Grant != "" {
				how = " (" + s.Caller.Grant + " may)"
			}
			fmt.Fprintf(w, "you\t%s, may look but not install%s\n", who, how)
		}
	})
}

func (p *textPrinter) Software(items []apitype.Software) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(p.w, "No software is installed through ISCDesk.")
		return err
	}
	return p.table(func(w io.Writer) {
		fmt.Fprintln(w, "PRODUCT\tNAME\tVERSION\tDETECTED\tJOB")
		for _, s := range items {
			detected := "no"
			if s.Detected {
				detected = orDash(s.DetectedVersion)
			} else if s.Detail != "" {
				detected = "no: " + s.Detail
			}
			job := "-"
			if s.Job != nil {
				job = string(s.Job.Action) + " " + jobState(*s.Job)
			}
			if s.RebootRequired {
				job += " (restart required)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.ID, orDash(s.Name), orDash(s.Version), detected, job)
		}
	})
}

func (p *textPrinter) Jobs(jobs []apitype.Job) error {
	if len(jobs) == 0 {
		_, err := fmt.Fprintln(p.w, "No jobs.")
		return err
	}
	return p.table(func(w io.Writer) {
		fmt.Fprintln(w, "ID\tACTION\tPRODUCT\tVERSION\tSTATE\tUPDATED")
		for _, j := range jobs {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Action, j.Product, orDash(j.Version), jobState(j), stamp(j.Updated))
		}
	})
}

func (p *textPrinter) Job(j *apitype.Job) error {
	return p.table(func(w io.Writer) {
		fmt.Fprintf(w, "job\t%s\n", j.ID)
		fmt.Fprintf(w, "action\t%s\n", j.Action)
		if j.Product != "" {
			fmt.Fprintf(w, "product\t%s (%s)\n", jobProduct(*j), j.Product)
		}
		fmt.Fprintf(w, "state\t%s\n", jobState(*j))
		if j.Outcome != "" {
			fmt.Fprintf(w, "outcome\t%s (exit code %d)\n", j.Outcome, j.ExitCode)
		}
		if j.Progress != nil {
			fmt.Fprintf(w, "progress\t%s %s of %s\n", j.Progress.Step, bytesText(j.Progress.Done), bytesText(j.Progress.Total))
		}
		if j.Priority != 0 {
			fmt.Fprintf(w, "priority\t%d\n", j.Priority)
		}
		fmt.Fprintf(w, "created\t%s\n", stamp(j.Created))
		fmt.Fprintf(w, "updated\t%s\n", stamp(j.Updated))
		for _, s := range j.Warnings {
			fmt.Fprintf(w, "warning\t%s\n", s)
		}
		for _, s := range j.Leftovers {
			fmt.Fprintf(w, "left behind\t%s\n", s)
		}
	})
}

// Event prints a line when a job changes state, and progress as a bar (terminal) or as a line per
// step and quarter (plain output).
func (p *textPrinter) Event(e apitype.Event) error {
	switch e.Type {
	case apitype.EventJob:
		if e.Job == nil {
			return nil
		}
		line := jobTitle(*e.Job) + ": " + jobState(*e.Job)
		if m := messageFor(e); m != "" {
			line += " (" + m + ")"
		}
		if p.seen[e.Job.ID] == line {
			return nil
		}
		p.seen[e.Job.ID] = line
		return p.println(e.Time, e.Job.ID, line)
	case apitype.EventProgress:
		if e.Job == nil || e.Job.Progress == nil {
			return nil
		}
		return p.progress(e)
	case apitype.EventReset:
		return p.println(e.Time, "", "missed events while away; showing the state from here on")
	default: // status, log and types this build does not know
		if e.Message == "" {
			return nil
		}
		id := ""
		if e.Job != nil {
			id = e.Job.ID
		}
		return p.println(e.Time, id, e.Message)
	}
}

// messageFor is the event's message when it tells people more than the job's state: the engine
// also reports its journal points ("installing/install:started") there, which repeat the state.
func messageFor(e apitype.Event) string {
	m := e.Message
	if e.Job != nil && (m == e.Job.State || strings.HasPrefix(m, e.Job.State+"/")) {
		return ""
	}
	return m
}

// println prints one stream line, taking down the progress bar first.
func (p *textPrinter) println(t time.Time, jobID, text string) error {
	if err := p.clearBar(); err != nil {
		return err
	}
	if t.IsZero() {
		t = time.Now()
	}
	prefix := t.Local().Format("15:04:05")
	if jobID != "" {
		prefix += "  " + jobID
	}
	if _, err := fmt.Fprintf(p.w, "%s  %s\n", prefix, text); err != nil {
		return fmt.Errorf("printing: %w", err)
	}
	return nil
}

func (p *textPrinter) progress(e apitype.Event) error {
	pr := e.Job.Progress
	if !p.tty || pr.Total <= 0 {
		// One line per step and quarter, so that a log of the output stays short.
		key := pr.Step
		if pr.Total > 0 {
			key += fmt.Sprint(min(pr.Done*4/pr.Total, 4))
		}
		if p.steps[e.Job.ID] == key {
			return nil
		}
		p.steps[e.Job.ID] = key
		return p.println(e.Time, e.Job.ID, progressText(pr))
	}
	if p.bar == nil || !p.bar.is(e.Job.ID, pr.Step, pr.Total) {
		if err := p.clearBar(); err != nil {
			return err
		}
		p.bar = newProgressBar(p.w, e.Job.ID, jobTitle(*e.Job), pr.Step, pr.Total)
	}
	return p.bar.set(pr)
}

func (p *textPrinter) clearBar() error {
	if p.bar == nil {
		return nil
	}
	b := p.bar
	p.bar = nil
	return b.clear()
}

func (p *textPrinter) Log(_ string, r io.Reader) error {
	if _, err := io.Copy(p.w, r); err != nil {
		return fmt.Errorf("copying the log: %w", err)
	}
	return nil
}

func (p *textPrinter) Close() error { return p.clearBar() }
