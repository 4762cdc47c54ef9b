package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// jsonPrinter prints one JSON document per answer and one JSON line per event or log line.
type jsonPrinter struct {
	w io.Writer
}

func newJSONPrinter(w io.Writer) *jsonPrinter { return &jsonPrinter{w: w} }

// logLine is one line of `iscdesk logs --json`.
type logLine struct {
	Job  string `json:"job"`
	Line string `json:"line"`
}

func (p *jsonPrinter) doc(v any) error {
	enc := json.NewEncoder(p.w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("printing JSON: %w", err)
	}
	return nil
}

func (p *jsonPrinter) line(v any) error {
	if err := json.NewEncoder(p.w).Encode(v); err != nil {
		return fmt.Errorf("printing JSON: %w", err)
	}
	return nil
}

func (p *jsonPrinter) Status(s *apitype.Status) error { return p.doc(s) }

func (p *jsonPrinter) Software(items []apitype.Software) error {
	if items == nil {
		items = []apitype.Software{} // [] rather than null
	}
	return p.doc(items)
}

func (p *jsonPrinter) Jobs(jobs []apitype.Job) error {
	if jobs == nil {
		jobs = []apitype.Job{}
	}
	return p.doc(jobs)
}

func (p *jsonPrinter) Job(j *apitype.Job) error { return p.doc(j) }

func (p *jsonPrinter) Event(e apitype.Event) error { return p.line(e) }

func (p *jsonPrinter) Log(jobID string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if err := p.line(logLine{Job: jobID, Line: sc.Text()}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the log of job %s: %w", jobID, err)
	}
	return nil
}

func (p *jsonPrinter) Close() error { return nil }
