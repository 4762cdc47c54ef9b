package client

import (
	"context"

	"github.com/iscdesk/iscdesk/agent/apitype"
)

// InstallLicense asks the agent to put a license where the installed product reads it. The agent
// checks req.SHA256 against the content; a product it did not install is an *APIError with Status
// 404, a package whose rule it will not follow one with Code "refused".
func (c *Client) InstallLicense(ctx context.Context, req apitype.LicenseRequest) (*apitype.License, error) {
	var l apitype.License
	if err := c.call(ctx, "POST", "/v1/licenses", req, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Licenses lists the license files of installed products.
func (c *Client) Licenses(ctx context.Context) ([]apitype.License, error) {
	var list []apitype.License
	err := c.call(ctx, "GET", "/v1/licenses", nil, &list)
	return list, err
}
