package client

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"runtime"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// Me returns the signed-in user (iscdesk whoami).
func (c *Client) Me(ctx context.Context) (*api.Me, error) {
	var me api.Me
	if err := c.call(ctx, request{method: http.MethodGet, path: "/v1/me"}, &me); err != nil {
		return nil, err
	}
	return &me, nil
}

// Entitlements iterates over the products the tenant may install.
func (c *Client) Entitlements(ctx context.Context, o ListOptions) iter.Seq2[api.Entitlement, error] {
	return list[api.Entitlement](ctx, c, "/v1/entitlements", o)
}

// Product returns a catalog entry with its releases.
func (c *Client) Product(ctx context.Context, id string) (*api.Product, error) {
	var p api.Product
	if err := c.call(ctx, request{method: http.MethodGet, path: pathf("/v1/products/%s", id)}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Ticket asks for the signed release ticket of product at version ("" for the newest) for
// platform ("" for this machine's os/arch). Hand resp.Ticket, unchanged, to the agent.
func (c *Client) Ticket(ctx context.Context, product, version, platform string) (*api.TicketResponse, error) {
	if product == "" {
		return nil, fmt.Errorf("asking for a release ticket: no product given")
	}
	if platform == "" {
		platform = runtime.GOOS + "/" + runtime.GOARCH
	}
	body := api.TicketRequest{Product: product, Version: version, Platform: platform}
	var t api.TicketResponse
	err := c.call(ctx, request{method: http.MethodPost, path: "/v1/tickets", body: body, idemKey: newIdempotencyKey()}, &t)
	if err != nil {
		return nil, err
	}
	if len(t.Ticket) == 0 {
		return nil, fmt.Errorf("marketplace: POST /v1/tickets: the answer for %q has no ticket", product)
	}
	return &t, nil
}

// Keys returns the public keys that sign release tickets, for the agent's config.
func (c *Client) Keys(ctx context.Context) (*api.Keys, error) {
	var k api.Keys
	if err := c.call(ctx, request{method: http.MethodGet, path: "/v1/keys", noAuth: true}, &k); err != nil {
		return nil, err
	}
	return &k, nil
}
