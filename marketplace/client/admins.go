package client

import (
	"context"
	"net/http"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// OrgAdmins lists the admins of the caller's organisation.
func (c *Client) OrgAdmins(ctx context.Context) ([]api.OrgAdmin, error) {
	return Collect(list[api.OrgAdmin](ctx, c, "/v1/org/admins", ListOptions{}))
}

// AddOrgAdmin makes a user of the organisation (by id or username) an admin (admins only).
func (c *Client) AddOrgAdmin(ctx context.Context, user string) (*api.OrgAdmin, error) {
	var out api.OrgAdmin
	err := c.call(ctx, request{method: http.MethodPost, path: "/v1/org/admins", body: api.AddAdminRequest{User: user}, idemKey: newIdempotencyKey()}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveOrgAdmin takes admin rights from a user (by id or username). The marketplace refuses to
// remove the creator or the last admin, and lets an invited admin remove only itself.
func (c *Client) RemoveOrgAdmin(ctx context.Context, user string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: pathf("/v1/org/admins/%s", user)}, nil)
}
