package client

import (
	"context"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// AgentUpdateStatus returns the state of the agent's self-update.
func (c *Client) AgentUpdateStatus(ctx context.Context) (*apitype.UpdateStatus, error) {
	var st apitype.UpdateStatus
	if err := c.call(ctx, "GET", "/v1/agent/update", nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// AgentUpdate asks the agent to look for a newer version of itself now and, unless
// req.CheckOnly, to switch to it once no job runs. A refused release is an *APIError whose Code
// names why (update_signature, update_checksum, update_downgrade, update_failed_before, ...).
func (c *Client) AgentUpdate(ctx context.Context, req apitype.UpdateRequest) (*apitype.UpdateStatus, error) {
	var st apitype.UpdateStatus
	if err := c.call(ctx, "POST", "/v1/agent/update", req, &st); err != nil {
		return nil, err
	}
	return &st, nil
}
