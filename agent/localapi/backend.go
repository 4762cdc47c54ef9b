package localapi

import (
	"context"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// Backend is what the server asks of the agent's core. The agent package implements it; tests use
// localapitest.Backend.
//
// An error may say how to answer: when errors.As finds in it a value with the methods of
// StatusError, the server answers with that status, code and field and the error's text; any other
// error is a 500.
type Backend interface {
	Status(ctx context.Context, caller apitype.Caller) (apitype.Status, error)
	Software(ctx context.Context) ([]apitype.Software, error)
	Submit(ctx context.Context, req apitype.JobRequest) (apitype.Job, error)
	Jobs(ctx context.Context) ([]apitype.Job, error)
	Job(ctx context.Context, id string) (apitype.Job, error)
	Cancel(ctx context.Context, id string) (apitype.Job, error)
	// JobLog returns the path of the job's log file; the file may not exist yet.
	JobLog(id string) (path string, err error)
	// Subscribe starts a watch of events after the ID after (0: only what comes next). live is
	// closed when the watcher is dropped or the backend stops; reset says the events after `after`
	// are gone and the watcher must reload its state.
	Subscribe(after uint64) (missed []apitype.Event, live <-chan apitype.Event, reset bool, cancel func())
}

// StatusError is the shape of a backend error that chooses its answer: an HTTP status (4xx or
// 5xx), a machine-readable code (apitype.Error.Code) and the request field it is about, if any.
type StatusError interface {
	error
	HTTPStatus() int
	ErrorCode() string
	ErrorField() string
}
