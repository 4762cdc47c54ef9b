package main

import (
	"context"
	"io"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// agentAPI is what the CLI asks of the agent; *client.Client implements it.
type agentAPI interface {
	Status(ctx context.Context) (*apitype.Status, error)
	Software(ctx context.Context) ([]apitype.Software, error)
	Jobs(ctx context.Context) ([]apitype.Job, error)
	Job(ctx context.Context, id string) (*apitype.Job, error)
	Submit(ctx context.Context, req apitype.JobRequest) (*apitype.Job, error)
	Cancel(ctx context.Context, id string) (*apitype.Job, error)
	Log(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error)
	Watch(ctx context.Context, lastID uint64, fn func(apitype.Event) error) error
}
