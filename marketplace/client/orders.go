package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// Orders iterates over the tenant's orders (Filter: see openapi.yaml, e.g. kind, state).
func (c *Client) Orders(ctx context.Context, o ListOptions) iter.Seq2[api.Order, error] {
	return list[api.Order](ctx, c, "/v1/orders", o)
}

// Order returns one order.
func (c *Client) Order(ctx context.Context, id string) (*api.Order, error) {
	var out api.Order
	if err := c.call(ctx, request{method: http.MethodGet, path: pathf("/v1/orders/%s", id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetOrderState moves an order (tenant admins only).
func (c *Client) SetOrderState(ctx context.Context, id string, req api.OrderStateRequest) (*api.Order, error) {
	var out api.Order
	err := c.call(ctx, request{method: http.MethodPost, path: pathf("/v1/admin/orders/%s/state", id), body: req, idemKey: newIdempotencyKey()}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Notifications iterates over the user's notifications, newest first (Filter: unread=true).
func (c *Client) Notifications(ctx context.Context, o ListOptions) iter.Seq2[api.Notification, error] {
	return list[api.Notification](ctx, c, "/v1/notifications", o)
}

// MarkRead marks notifications as read.
func (c *Client) MarkRead(ctx context.Context, req api.MarkReadRequest) (*api.MarkReadResponse, error) {
	var out api.MarkReadResponse
	err := c.call(ctx, request{method: http.MethodPost, path: "/v1/notifications/read", body: req, idemKey: newIdempotencyKey()}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
