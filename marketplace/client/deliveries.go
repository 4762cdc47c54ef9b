package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// ImageDeliveries iterates over the tenant's cloud images, newest first (Filter: billing_mode, state).
func (c *Client) ImageDeliveries(ctx context.Context, o ListOptions) iter.Seq2[api.ImageDelivery, error] {
	return list[api.ImageDelivery](ctx, c, "/v1/deliveries/images", o)
}

// ImageDelivery returns one cloud image delivery.
func (c *Client) ImageDelivery(ctx context.Context, id string) (*api.ImageDelivery, error) {
	var out api.ImageDelivery
	if err := c.call(ctx, request{method: http.MethodGet, path: pathf("/v1/deliveries/images/%s", id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// HardwareDeliveries iterates over the tenant's hardware, newest first (Filter: state, review_state).
func (c *Client) HardwareDeliveries(ctx context.Context, o ListOptions) iter.Seq2[api.HardwareDelivery, error] {
	return list[api.HardwareDelivery](ctx, c, "/v1/deliveries/hardware", o)
}

// HardwareDelivery returns one hardware delivery with its latest unsubscribe request.
func (c *Client) HardwareDelivery(ctx context.Context, id string) (*api.HardwareDelivery, error) {
	var out api.HardwareDelivery
	if err := c.call(ctx, request{method: http.MethodGet, path: pathf("/v1/deliveries/hardware/%s", id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Unsubscribe asks for a refund (not received) or a return (received) of a hardware delivery;
// the merchant reviews it.
func (c *Client) Unsubscribe(ctx context.Context, id string, req api.UnsubscribeRequest) (*api.HardwareDelivery, error) {
	var out api.HardwareDelivery
	err := c.call(ctx, request{method: http.MethodPost, path: pathf("/v1/deliveries/hardware/%s/unsubscribe", id), body: req, idemKey: newIdempotencyKey()}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ReviewUnsubscribe approves or rejects the pending unsubscribe request of a hardware delivery
// (tenant admins, the merchant's side in the embedded marketplace).
func (c *Client) ReviewUnsubscribe(ctx context.Context, id string, req api.ReviewRequest) (*api.HardwareDelivery, error) {
	var out api.HardwareDelivery
	err := c.call(ctx, request{method: http.MethodPost, path: pathf("/v1/admin/deliveries/hardware/%s/review", id), body: req, idemKey: newIdempotencyKey()}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
