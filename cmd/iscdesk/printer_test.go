package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

var t0 = time.Date(2026, 11, 27, 9, 20, 5, 0, time.UTC)

func sampleJobs() []apitype.Job {
	return []apitype.Job{
		{ID: "j-1", Action: apitype.ActionInstall, Product: "demo-solver", Name: "Demo Solver", Version: "2.1.0",
			State: apitype.StateDone, Outcome: "success", Created: t0, Updated: t0.Add(6 * time.Second)},
		{ID: "j-22", Action: apitype.ActionInstall, Product: "driver-kit", Version: "1.4.0",
			State: apitype.StateDone, RebootRequired: true, Created: t0, Updated: t0},
		{ID: "j-333", Action: apitype.ActionUninstall, Product: "cad-viewer",
			State: apitype.StateFailed, Reason: "uninstall.sh exited 1", Leftovers: []string{"/opt/cad-viewer/x"}},
	}
}

func sampleSoftware() []apitype.Software {
	jobs := sampleJobs()
	return []apitype.Software{
		{ID: "demo-solver", Name: "Demo Solver", Version: "2.1.0", Detected: true, DetectedVersion: "2.1.0", Job: &jobs[0]},
		{ID: "cad-viewer", Name: "CAD Viewer", Version: "5.0.0", Detail: "bin/cadview is missing"},
	}
}

// columnStarts returns where each header word of a table starts.
func columnStarts(header string) []int {
	var starts []int
	for i := range header {
		if header[i] != ' ' && (i == 0 || header[i-1] == ' ') {
			starts = append(starts, i)
		}
	}
	return starts
}

func TestTextTables(t *testing.T) {
	tests := []struct {
		name   string
		print  func(p printer) error
		header string
		rows   [][]string // cells that must start at the header's columns
	}{
		{
			name:   "software",
			print:  func(p printer) error { return p.Software(sampleSoftware()) },
			header: "PRODUCT NAME VERSION DETECTED JOB",
			rows: [][]string{
				{"demo-solver", "Demo Solver", "2.1.0", "2.1.0", "install done"},
				{"cad-viewer", "CAD Viewer", "5.0.0", "no: bin/cadview is missing", "-"},
			},
		},
		{
			name:   "jobs",
			print:  func(p printer) error { return p.Jobs(sampleJobs()) },
			header: "ID ACTION PRODUCT VERSION STATE UPDATED",
			rows: [][]string{
				{"j-1", "install", "demo-solver", "2.1.0", "done"},
				{"j-22", "install", "driver-kit", "1.4.0", "done, restart required"},
				{"j-333", "uninstall", "cad-viewer", "-", "failed: uninstall.sh exited 1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, tt.print(newTextPrinter(&out, false)))
			lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
			require.Len(t, lines, len(tt.rows)+1, out.String())
			assert.Equal(t, strings.Fields(tt.header), strings.Fields(lines[0]))
			starts := columnStarts(lines[0])
			for i, row := range tt.rows {
				for c, cell := range row {
					require.Greater(t, len(lines[i+1]), starts[c], "row %d is too short: %q", i, lines[i+1])
					assert.True(t, strings.HasPrefix(lines[i+1][starts[c]:], cell),
						"row %d column %d: want %q at offset %d in %q", i, c, cell, starts[c], lines[i+1])
				}
			}
		})
	}
}

func TestTextEmptyLists(t *testing.T) {
	var out bytes.Buffer
	p := newTextPrinter(&out, false)
	require.NoError(t, p.Software(nil))
	require.NoError(t, p.Jobs(nil))
	assert.Equal(t, "No software is installed through ISCDesk.\nNo jobs.\n", out.String())
}

func TestTextJobDetail(t *testing.T) {
	j := sampleJobs()[2]
	var out bytes.Buffer
	require.NoError(t, newTextPrinter(&out, false).Job(&j))
	assert.Contains(t, out.String(), "state        failed: uninstall.sh exited 1\n")
	assert.Contains(t, out.String(), "left behind  /opt/cad-viewer/x\n")
}

// The JSON printer prints the wire types unchanged: what it prints decodes into the same values.
func TestJSONPrinterRoundTrip(t *testing.T) {
	jobs := sampleJobs()
	st := &apitype.Status{Version: "1.0.0", OS: "linux/amd64", Mode: "user", StartedAt: t0, JobsRunning: 1,
		Caller: apitype.Caller{UID: "0", User: "root", CanInstall: true}, TrustedKeys: []string{"k1"}}
	tests := []struct {
		name  string
		print func(p printer) error
		want  any
		into  func() any
	}{
		{"status", func(p printer) error { return p.Status(st) }, st, func() any { return &apitype.Status{} }},
		{"software", func(p printer) error { return p.Software(sampleSoftware()) }, ptr(sampleSoftware()), func() any { return &[]apitype.Software{} }},
		{"no software", func(p printer) error { return p.Software(nil) }, &[]apitype.Software{}, func() any { return &[]apitype.Software{} }},
		{"jobs", func(p printer) error { return p.Jobs(jobs) }, &jobs, func() any { return &[]apitype.Job{} }},
		{"job", func(p printer) error { return p.Job(&jobs[1]) }, &jobs[1], func() any { return &apitype.Job{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, tt.print(newJSONPrinter(&out)))
			got := tt.into()
			dec := json.NewDecoder(&out)
			require.NoError(t, dec.Decode(got), out.String())
			assert.False(t, dec.More(), "more than one JSON document")
			assert.Equal(t, tt.want, got)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestJSONStreams(t *testing.T) {
	var out bytes.Buffer
	p := newJSONPrinter(&out)
	jobs := sampleJobs()
	evs := []apitype.Event{
		{ID: 1, Type: apitype.EventJob, Time: t0, Job: &jobs[0]},
		{ID: 2, Type: apitype.EventJob, Time: t0, Job: &jobs[0]}, // repeated: JSON keeps every event
		{ID: 3, Type: apitype.EventStatus, Time: t0, Message: "reboot required"},
	}
	for _, e := range evs {
		require.NoError(t, p.Event(e))
	}
	require.NoError(t, p.Log("j-1", strings.NewReader("first line\nsecond line\n")))

	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	require.Len(t, lines, len(evs)+2)
	for i, e := range evs {
		var got apitype.Event
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &got))
		assert.Equal(t, e, got)
	}
	assert.JSONEq(t, `{"job":"j-1","line":"first line"}`, lines[3])
	assert.JSONEq(t, `{"job":"j-1","line":"second line"}`, lines[4])
}

func jobEvent(j apitype.Job, msg string) apitype.Event {
	return apitype.Event{Type: apitype.EventJob, Time: t0, Job: &j, Message: msg}
}

func progressEvent(j apitype.Job, step string, done, total int64) apitype.Event {
	j.Progress = &apitype.Progress{Step: step, Done: done, Total: total}
	return apitype.Event{Type: apitype.EventProgress, Time: t0, Job: &j}
}

// Plain output prints a line per state change and per step and quarter of progress.
func TestTextEventsPlain(t *testing.T) {
	j := apitype.Job{ID: "j-1", Action: apitype.ActionInstall, Product: "demo-solver", Name: "Demo Solver", Version: "2.1.0"}
	at := func(state string) apitype.Job { k := j; k.State = state; return k }
	var out bytes.Buffer
	p := newTextPrinter(&out, false)
	for _, e := range []apitype.Event{
		jobEvent(at(apitype.StateQueued), ""),
		jobEvent(at(apitype.StateQueued), ""),                            // the same again: no line
		jobEvent(at(apitype.StateFetching), "fetching"),                  // a journal point: not for people
		jobEvent(at(apitype.StateFetching), "fetching/download:started"), // the same line again
		progressEvent(at(apitype.StateFetching), "downloading", 0, 4096),
		progressEvent(at(apitype.StateFetching), "downloading", 400, 4096), // same quarter
		progressEvent(at(apitype.StateFetching), "downloading", 1100, 4096),
		progressEvent(at(apitype.StateFetching), "downloading", 4096, 4096),
		jobEvent(at(apitype.StateInstalling), "waiting: another install step is running"),
		{Type: apitype.EventStatus, Time: t0}, // nothing for people
		jobEvent(at(apitype.StateDone), ""),
	} {
		require.NoError(t, p.Event(e))
	}
	require.NoError(t, p.Close())
	stamp := t0.Local().Format("15:04:05")
	want := []string{
		"queued",
		"fetching",
		"downloading 0 B of 4.0 KiB (0%)",
		"downloading 1.1 KiB of 4.0 KiB (26%)",
		"downloading 4.0 KiB of 4.0 KiB (100%)",
		"installing (waiting: another install step is running)",
		"done",
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	require.Len(t, lines, len(want), out.String())
	for i, w := range want {
		if strings.HasPrefix(w, "downloading") {
			assert.Equal(t, stamp+"  j-1  "+w, lines[i])
		} else {
			assert.Equal(t, stamp+"  j-1  install Demo Solver 2.1.0: "+w, lines[i])
		}
	}
}

// On a terminal progress is a bar, taken down before the next line.
func TestTextEventsTTY(t *testing.T) {
	j := apitype.Job{ID: "j-1", Action: apitype.ActionInstall, Product: "demo-solver", Version: "2.1.0", State: apitype.StateFetching}
	var out bytes.Buffer
	p := newTextPrinter(&out, true)
	require.NoError(t, p.Event(progressEvent(j, "downloading", 1<<20, 4<<20)))
	require.NoError(t, p.Event(progressEvent(j, "downloading", 4<<20, 4<<20)))
	drawn := out.String()
	assert.Contains(t, drawn, "demo-solver 2.1.0: downloading 4.0 MiB of 4.0 MiB")
	assert.Contains(t, drawn, "100%")
	assert.Contains(t, drawn, "25%")
	j.State = apitype.StateInstalling
	require.NoError(t, p.Event(jobEvent(j, "")))
	require.NoError(t, p.Close())
	after := out.String()[len(drawn):]
	assert.True(t, strings.HasPrefix(after, "\r"), "the bar is cleared before the next line: %q", after)
	assert.True(t, strings.HasSuffix(after, "j-1  install demo-solver 2.1.0: installing\n"), after)
}

func TestBytesText(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{5 << 20, "5.0 MiB"}, {3 << 30, "3.0 GiB"}, {1 << 62, "4.0 EiB"},
	} {
		assert.Equal(t, tt.want, bytesText(tt.n), "bytesText(%d)", tt.n)
	}
}

func TestProgressText(t *testing.T) {
	for _, tt := range []struct {
		p    apitype.Progress
		want string
	}{
		{apitype.Progress{Step: "extracting", Done: 2048}, "extracting 2.0 KiB"},
		{apitype.Progress{Step: "downloading", Done: 1 << 20, Total: 4 << 20, Rate: 512 << 10, ETA: 6 * time.Second},
			"downloading 1.0 MiB of 4.0 MiB (25%, 512.0 KiB/s, 6s left)"},
	} {
		assert.Equal(t, tt.want, progressText(&tt.p))
	}
}

func TestJobState(t *testing.T) {
	retry := time.Date(2026, 11, 27, 10, 0, 0, 0, time.Local)
	for _, tt := range []struct {
		job  apitype.Job
		want string
	}{
		{apitype.Job{State: apitype.StateQueued}, "queued"},
		{apitype.Job{State: apitype.StateInstalling, Mode: "install", Phase: "install", Attempt: 1}, "installing"},
		{apitype.Job{State: apitype.StateInstalling, Mode: "overwrite", Phase: "cleanup"}, "installing (overwrite, cleanup)"},
		{apitype.Job{State: apitype.StateInstalling, Mode: "continue", Phase: "install", Attempt: 2}, "installing (continue, attempt 2)"},
		{apitype.Job{State: apitype.StateInstalling, Mode: "uninstall", Phase: "uninstall"}, "installing (uninstall)"},
		{apitype.Job{State: apitype.StateDone, RebootRequired: true, Mode: "install", Attempt: 2}, "done, restart required"},
		{apitype.Job{State: apitype.StateFailed, Reason: "install.sh exited 1"}, "failed: install.sh exited 1"},
		{apitype.Job{State: apitype.StateWaitingRetry, NextRetry: retry}, "waiting to retry at 10:00:00"},
		{apitype.Job{State: apitype.StateCancelled}, "cancelled"},
	} {
		assert.Equal(t, tt.want, jobState(tt.job), "%+v", tt.job)
	}
}
