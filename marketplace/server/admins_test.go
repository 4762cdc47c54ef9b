package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func TestOrgAdminRules(t *testing.T) {
	e := newFxEnv(t)
	carol := e.user("t1", "carol", api.RoleAdmin) // the creator
	ines := e.user("t1", "ines", api.RoleAdmin)   // invited by carol
	ivan := e.user("t1", "ivan", api.RoleAdmin)   // invited by carol
	eng := e.user("t1", "eng", api.RoleEngineer)
	solo := e.user("t2", "solo", api.RoleAdmin) // the only admin of t2, which has no creator on record
	e.exec(`INSERT INTO org_admins (tenant_id, user_id, creator, added_at) VALUES ('t1', ?, 1, 1)`, carol.ID)
	e.exec(`INSERT INTO org_admins (tenant_id, user_id, creator, invited_by, added_at) VALUES ('t1', ?, 0, ?, 2), ('t1', ?, 0, ?, 3)`,
		ines.ID, carol.ID, ivan.ID, carol.ID)
	events := e.stream(eng)

	// The steps run in order: each sees the admins the earlier ones left.
	steps := []struct {
		name     string
		who      fxUser
		method   string
		path     string
		body     any
		status   int
		wantCode string
		wantMsg  string
	}{
		{"an engineer may not add", eng, "POST", "/v1/org/admins", api.AddAdminRequest{User: "eng"}, 403, "forbidden", "only an admin"},
		{"an engineer may not remove", eng, "DELETE", "/v1/org/admins/ivan", nil, 403, "forbidden", "only an admin"},
		{"the creator cannot be removed by another", ines, "DELETE", "/v1/org/admins/carol", nil, 403, "creator_protected", "the creator cannot be removed"},
		{"the creator cannot remove itself", carol, "DELETE", "/v1/org/admins/" + carol.ID, nil, 403, "creator_protected", "the creator cannot be removed"},
		{"an invited admin may not remove another", ines, "DELETE", "/v1/org/admins/ivan", nil, 403, "invited_admin", "may remove only itself"},
		{"an invited admin removes itself", ines, "DELETE", "/v1/org/admins/ines", nil, 204, "", ""},
		{"and is an admin no more", ines, "POST", "/v1/org/admins", api.AddAdminRequest{User: "ines"}, 403, "forbidden", ""},
		{"no user", carol, "POST", "/v1/org/admins", api.AddAdminRequest{User: " "}, 400, "invalid_field", "user is required"},
		{"the creator adds an engineer", carol, "POST", "/v1/org/admins", api.AddAdminRequest{User: "eng"}, 201, "", ""},
		{"who is then an admin already", ivan, "POST", "/v1/org/admins", api.AddAdminRequest{User: eng.ID}, 409, "already_admin", ""},
		{"the creator removes another admin", carol, "DELETE", "/v1/org/admins/eng", nil, 204, "", ""},
		{"a user of another tenant cannot be added", carol, "POST", "/v1/org/admins", api.AddAdminRequest{User: "solo"}, 404, "not_found", ""},
		{"an admin of another tenant cannot be removed", carol, "DELETE", "/v1/org/admins/solo", nil, 404, "not_found", ""},
		{"an engineer is not an admin to remove", carol, "DELETE", "/v1/org/admins/ines", nil, 404, "not_found", ""},
		{"the last admin cannot be removed", solo, "DELETE", "/v1/org/admins/solo", nil, 403, "last_admin", "the last admin"},
	}
	for _, st := range steps {
		r := e.do(&st.who, st.method, st.path, st.body)
		require.Equal(t, st.status, r.Status, "%s: %s", st.name, r.Body)
		if st.status >= 400 {
			apiErr := r.apiError(t)
			assert.Equal(t, st.wantCode, apiErr.Code, st.name)
			assert.Contains(t, apiErr.Message, st.wantMsg, st.name)
		}
		if st.name == "the creator adds an engineer" {
			var a api.OrgAdmin
			r.decode(t, &a)
			assert.Equal(t, eng.ID, a.UserID)
			assert.Equal(t, carol.ID, a.InvitedBy)
			assert.False(t, a.Creator)
		}
	}

	var page api.Page[api.OrgAdmin]
	e.do(&eng, "GET", "/v1/org/admins", nil).decode(t, &page)
	require.Len(t, page.Items, 2)
	assert.Equal(t, carol.ID, page.Items[0].UserID, "the creator comes first")
	assert.True(t, page.Items[0].Creator)
	assert.Equal(t, ivan.ID, page.Items[1].UserID)

	var role string
	require.NoError(t, e.db.QueryRow(`SELECT role FROM users WHERE id = ?`, ines.ID).Scan(&role))
	assert.Equal(t, api.RoleEngineer, role, "removal takes the admin role away")

	assert.Equal(t, "You are now an admin", nextNotification(t, events, "org").Title)
	assert.Equal(t, "You are no longer an admin", nextNotification(t, events, "org").Title)

	var theirs api.Page[api.OrgAdmin]
	e.do(&solo, "GET", "/v1/org/admins", nil).decode(t, &theirs)
	require.Len(t, theirs.Items, 1)
	assert.Equal(t, solo.ID, theirs.Items[0].UserID)
}
