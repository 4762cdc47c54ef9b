package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// APIPackages iterates over the tenant's bought API call quotas.
func (c *Client) APIPackages(ctx context.Context, o ListOptions) iter.Seq2[api.APIPackage, error] {
	return list[api.APIPackage](ctx, c, "/v1/api-packages", o)
}

// APIPackage returns one API package with its remaining calls.
func (c *Client) APIPackage(ctx context.Context, id string) (*api.APIPackage, error) {
	var out api.APIPackage
	if err := c.call(ctx, request{method: http.MethodGet, path: pathf("/v1/api-packages/%s", id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetAlert sets (replaces) the remaining-quota alert of an API package.
func (c *Client) SetAlert(ctx context.Context, id string, alert api.QuotaAlert) (*api.APIPackage, error) {
	var out api.APIPackage
	if err := c.call(ctx, request{method: http.MethodPut, path: pathf("/v1/api-packages/%s/alert", id), body: alert}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ClearAlert removes the alert of an API package.
func (c *Client) ClearAlert(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: pathf("/v1/api-packages/%s/alert", id)}, nil)
}

// ReportUsage counts calls against an API package's quota (what the API gateway does as calls
// are made; the demo and tests use it to cross an alert threshold).
func (c *Client) ReportUsage(ctx context.Context, id string, calls int64) (*api.UsageResult, error) {
	var out api.UsageResult
	err := c.call(ctx, request{method: http.MethodPost, path: pathf("/v1/api-packages/%s/usage", id),
		body: api.UsageRequest{Calls: calls}, idemKey: newIdempotencyKey()}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
