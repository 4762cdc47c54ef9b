package server

// Enterprise admins: the users of a tenant with the admin role. users.role is what grants it (the
// auth middleware reads it on every request); org_admins records who created the organisation and
// who invited whom. The rules of removal, in the order they are checked:
//   - the creator of the organisation cannot be removed;
//   - the last admin cannot be removed (the organisation would be left without one);
//   - an invited admin may remove only itself; the creator may remove any other admin.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func init() {
	register(func(s *Server, r *Routes) {
		r.User("GET /v1/org/admins", s.listOrgAdmins)
		r.Admin("POST /v1/org/admins", s.addOrgAdmin)
		r.Admin("DELETE /v1/org/admins/{user}", s.removeOrgAdmin)
	})
}

// listOrgAdmins is GET /v1/org/admins: the creator first, then by the time they were added.
func (s *Server) listOrgAdmins(w http.ResponseWriter, r *http.Request) {
	admins, err := s.orgAdmins(r.Context(), s.db, caller(r).TenantID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Page[api.OrgAdmin]{Items: admins})
}

// addOrgAdmin is POST /v1/org/admins: makes a user of the organisation an admin.
func (s *Server) addOrgAdmin(w http.ResponseWriter, r *http.Request) {
	var req api.AddAdminRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	req.User = strings.TrimSpace(req.User)
	if req.User == "" {
		badRequest(w, "user", "user is required: the user id or username of a member of your organisation")
		return
	}
	c := caller(r)
	var added api.OrgAdmin
	err := s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		id, role, err := s.member(r.Context(), tx, c.TenantID, req.User)
		if err != nil {
			return err
		}
		if role == api.RoleAdmin {
			return &stateRefusal{"already_admin", quoteClip(req.User) + " is already an admin"}
		}
		now := ms(s.now())
		if _, err := tx.ExecContext(r.Context(), `UPDATE users SET role = 'admin' WHERE id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(r.Context(), `INSERT INTO org_admins (tenant_id, user_id, creator, invited_by, added_at) VALUES (?, ?, 0, ?, ?)
ON CONFLICT (tenant_id, user_id) DO UPDATE SET creator = 0, invited_by = excluded.invited_by, added_at = excluded.added_at`, c.TenantID, id, c.UserID, now); err != nil {
			return err
		}
		admins, err := s.orgAdmins(r.Context(), tx, c.TenantID)
		for _, a := range admins {
			if a.UserID == id {
				added = a
			}
		}
		return err
	})
	if s.writeAdminError(w, r, req.User, err) {
		return
	}
	if err := s.Notify(r.Context(), c.TenantID, added.UserID, "org", "You are now an admin",
		c.Username+" made you an admin of your organisation.", added.UserID); err != nil {
		s.log.Error("notifying a new admin", "user", added.UserID, "err", err)
	}
	writeJSON(w, http.StatusCreated, added)
}

// removeOrgAdmin is DELETE /v1/org/admins/{user}: the admin becomes an engineer again.
func (s *Server) removeOrgAdmin(w http.ResponseWriter, r *http.Request) {
	c, target := caller(r), r.PathValue("user")
	var removed api.OrgAdmin
	err := s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		admins, err := s.orgAdmins(r.Context(), tx, c.TenantID)
		if err != nil {
			return err
		}
		var self api.OrgAdmin
		found := false
		for _, a := range admins {
			if a.UserID == target || a.Username == target {
				removed, found = a, true
			}
			if a.UserID == c.UserID {
				self = a
			}
		}
		switch {
		case !found:
			return sql.ErrNoRows
		case removed.Creator:
			return &adminRule{"creator_protected", removed.Username + " created the organisation; the creator cannot be removed as an admin"}
		case len(admins) == 1:
			return &adminRule{"last_admin", removed.Username + " is the last admin; add another admin before removing this one"}
		case !self.Creator && removed.UserID != c.UserID:
			return &adminRule{"invited_admin", "an invited admin may remove only itself; ask the creator of the organisation to remove " + removed.Username}
		}
		if _, err := tx.ExecContext(r.Context(), `UPDATE users SET role = 'engineer' WHERE id = ?`, removed.UserID); err != nil {
			return err
		}
		_, err = tx.ExecContext(r.Context(), `DELETE FROM org_admins WHERE tenant_id = ? AND user_id = ?`, c.TenantID, removed.UserID)
		return err
	})
	if s.writeAdminError(w, r, target, err) {
		return
	}
	if removed.UserID != c.UserID {
		if err := s.Notify(r.Context(), c.TenantID, removed.UserID, "org", "You are no longer an admin",
			c.Username+" removed you from the admins of your organisation.", removed.UserID); err != nil {
			s.log.Error("notifying a removed admin", "user", removed.UserID, "err", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// adminRule is a 403: a rule of removal forbids the request.
type adminRule struct{ code, msg string }

func (e *adminRule) Error() string { return e.msg }

// writeAdminError answers err, if any, and reports whether it did.
func (s *Server) writeAdminError(w http.ResponseWriter, r *http.Request, user string, err error) bool {
	var rule *adminRule
	var refusal *stateRefusal
	switch {
	case err == nil:
		return false
	case errors.Is(err, sql.ErrNoRows):
		notFound(w, "admin or user "+quoteClip(user)+" of your organisation")
	case errors.As(err, &rule):
		writeError(w, http.StatusForbidden, rule.code, "", rule.msg)
	case errors.As(err, &refusal):
		writeError(w, http.StatusConflict, refusal.code, "", refusal.msg)
	default:
		s.internalError(w, r, err)
	}
	return true
}

// member finds a user of tenant by id or username; sql.ErrNoRows when there is none.
func (s *Server) member(ctx context.Context, tx *sql.Tx, tenant, user string) (id, role string, err error) {
	err = tx.QueryRowContext(ctx, `SELECT id, role FROM users WHERE tenant_id = ? AND (id = ? OR username = ?)`, tenant, user, user).Scan(&id, &role)
	return id, role, err
}

// orgAdmins lists the admins of tenant, the creator first.
func (s *Server) orgAdmins(ctx context.Context, q rowsQuerier, tenant string) ([]api.OrgAdmin, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.username, u.display_name, u.email, COALESCE(o.creator, 0), COALESCE(o.invited_by, ''), o.added_at
FROM users u LEFT JOIN org_admins o ON o.tenant_id = u.tenant_id AND o.user_id = u.id
WHERE u.tenant_id = ? AND u.role = 'admin'
ORDER BY COALESCE(o.creator, 0) DESC, COALESCE(o.added_at, u.created_at), u.id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("listing the admins of %s: %w", tenant, err)
	}
	defer rows.Close()
	out := []api.OrgAdmin{}
	for rows.Next() {
		var a api.OrgAdmin
		var added sql.NullInt64
		if err := rows.Scan(&a.UserID, &a.Username, &a.DisplayName, &a.Email, &a.Creator, &a.InvitedBy, &added); err != nil {
			return nil, fmt.Errorf("listing the admins of %s: %w", tenant, err)
		}
		a.AddedAt = nullMS(added)
		out = append(out, a)
	}
	return out, rows.Err()
}
