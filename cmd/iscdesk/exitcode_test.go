package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/client"
)

func TestExitCode(t *testing.T) {
	job := func(state, outcome string, reboot bool) error {
		return jobEnd{job: apitype.Job{ID: "j-1", Action: apitype.ActionInstall, Product: "p", State: state, Outcome: outcome, RebootRequired: reboot}}
	}
	apiErr := func(status int, code string) error {
		return fmt.Errorf("install: %w", &client.APIError{Status: status, Code: code, Message: "no"})
	}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"done", job(apitype.StateDone, "success", false), 0},
		{"done, reboot", job(apitype.StateDone, "reboot", true), 3},
		{"failed", job(apitype.StateFailed, "failed", false), 1},
		{"cancelled", job(apitype.StateCancelled, "cancelled", false), 1},
		{"waiting for a retry", job(apitype.StateWaitingRetry, "retry_later", false), 4},
		{"retry later outcome", job(apitype.StateQueued, "retry_later", false), 4},
		{"usage", errUsage("bad flag"), 2},
		{"wrapped usage", fmt.Errorf("x: %w", usageError{errors.New("bad")}), 2},
		{"agent not running", fmt.Errorf("status: %w", client.ErrAgentNotRunning), 5},
		{"forbidden", apiErr(403, "forbidden"), 6},
		{"ticket refused", apiErr(400, "ticket_refused"), 6},
		{"ticket refused, 422", apiErr(422, "ticket_refused"), 6},
		{"bad request", apiErr(400, "bad_request"), 2},
		{"not found", apiErr(404, "not_found"), 1},
		{"conflict", apiErr(409, "conflict"), 1},
		{"agent failed", apiErr(500, "internal"), 1},
		{"interrupted", errInterrupted, 130},
		{"cancelled call", fmt.Errorf("status: %w", context.Canceled), 130},
		{"any other error", errors.New("disk full"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, exitCode(tt.err))
		})
	}
}
