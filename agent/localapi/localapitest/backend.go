// Package localapitest is a Backend of the local API held in memory, for tests of the server, the
// client and the programs built on the client (the CLI, the GUI).
package localapitest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/events"
)

// Error is an error that chooses its HTTP answer, as the server expects of a backend.
type Error struct {
	Status int
	Code   string
	Field  string
	Msg    string
}

func (e *Error) Error() string      { return e.Msg }
func (e *Error) HTTPStatus() int    { return e.Status }
func (e *Error) ErrorCode() string  { return e.Code }
func (e *Error) ErrorField() string { return e.Field }

// Backend keeps jobs, software and events in memory and job logs as files in a folder. Its
// methods are safe for concurrent use.
type Backend struct {
	// Events is the event bus; Publish, PutJob and Cancel publish on it.
	Events *events.Bus
	logDir string

	mu        sync.Mutex // guards the fields that follow
	status    apitype.Status
	software  []apitype.Software
	jobs      map[string]apitype.Job
	order     []string // job ids, oldest first
	submitted []apitype.JobRequest
	submitErr error
}

// New returns an empty backend whose job logs live in logDir, with an event bus of epoch 1.
func New(logDir string) *Backend {
	return &Backend{
		Events: events.New(0, 1),
		logDir: logDir,
		status: apitype.Status{Version: "test", Mode: "user"},
		jobs:   map[string]apitype.Job{},
	}
}

// SetStatus sets what Status answers (its Caller is always the caller's).
func (b *Backend) SetStatus(st apitype.Status) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status = st
}

// SetSoftware sets what Software answers.
func (b *Backend) SetSoftware(sw []apitype.Software) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.software = slices.Clone(sw)
}

// SetSubmitError makes Submit fail with err (nil: succeed again).
func (b *Backend) SetSubmitError(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.submitErr = err
}

// Submitted returns the requests Submit accepted, oldest first.
func (b *Backend) Submitted() []apitype.JobRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.submitted)
}

// PutJob adds or replaces j and publishes a job event for it.
func (b *Backend) PutJob(j apitype.Job) apitype.Event {
	b.mu.Lock()
	if _, ok := b.jobs[j.ID]; !ok {
		b.order = append(b.order, j.ID)
	}
	b.jobs[j.ID] = j
	b.mu.Unlock()
	return b.Events.Publish(apitype.Event{Type: apitype.EventJob, Job: &j})
}

// AppendLog appends text to the log of job id.
func (b *Backend) AppendLog(id, text string) error {
	f, err := os.OpenFile(b.logPath(id), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (b *Backend) logPath(id string) string { return filepath.Join(b.logDir, id+".log") }

// Status answers with the status set by SetStatus and the caller.
func (b *Backend) Status(_ context.Context, caller apitype.Caller) (apitype.Status, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.status
	st.Caller = caller
	return st, nil
}

// Software answers with what SetSoftware set.
func (b *Backend) Software(context.Context) ([]apitype.Software, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.software), nil
}

// Submit queues a job for req (job-1, job-2, ...), or fails with the error of SetSubmitError.
func (b *Backend) Submit(_ context.Context, req apitype.JobRequest) (apitype.Job, error) {
	b.mu.Lock()
	if b.submitErr != nil {
		err := b.submitErr
		b.mu.Unlock()
		return apitype.Job{}, err
	}
	b.submitted = append(b.submitted, req)
	now := time.Now().UTC()
	j := apitype.Job{
		ID:       fmt.Sprintf("job-%d", len(b.order)+1),
		Action:   req.Action,
		Product:  req.Product,
		State:    apitype.StateQueued,
		Priority: req.Priority,
		Created:  now,
		Updated:  now,
	}
	b.order = append(b.order, j.ID) // under the same lock as the id, so that ids stay unique
	b.jobs[j.ID] = j
	b.mu.Unlock()
	b.Events.Publish(apitype.Event{Type: apitype.EventJob, Job: &j})
	return j, nil
}

// Jobs answers every job, oldest first.
func (b *Backend) Jobs(context.Context) ([]apitype.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	jobs := make([]apitype.Job, 0, len(b.order))
	for _, id := range b.order {
		jobs = append(jobs, b.jobs[id])
	}
	return jobs, nil
}

// Job answers job id, or a 404.
func (b *Backend) Job(_ context.Context, id string) (apitype.Job, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	j, ok := b.jobs[id]
	if !ok {
		return apitype.Job{}, notFound(id)
	}
	return j, nil
}

// Cancel cancels job id unless it has ended (409) or does not exist (404).
func (b *Backend) Cancel(_ context.Context, id string) (apitype.Job, error) {
	b.mu.Lock()
	j, ok := b.jobs[id]
	b.mu.Unlock()
	if !ok {
		return apitype.Job{}, notFound(id)
	}
	if j.Final() {
		return j, &Error{Status: 409, Code: "conflict", Msg: fmt.Sprintf("job %s has already ended (%s)", id, j.State)}
	}
	j.State, j.Outcome, j.Updated = apitype.StateCancelled, "cancelled", time.Now().UTC()
	b.PutJob(j)
	return j, nil
}

// JobLog is the path of job id's log, which exists once AppendLog wrote to it.
func (b *Backend) JobLog(id string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.jobs[id]; !ok {
		return "", notFound(id)
	}
	return b.logPath(id), nil
}

// Subscribe watches the event bus.
func (b *Backend) Subscribe(after uint64) ([]apitype.Event, <-chan apitype.Event, bool, func()) {
	return b.Events.Subscribe(after)
}

func notFound(id string) error {
	return &Error{Status: 404, Code: "not_found", Msg: fmt.Sprintf("no job %q; see GET /v1/jobs", id)}
}
