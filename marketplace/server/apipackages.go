package server

// API packages: quotas of calls to an API product the tenant bought. An alert on the remaining
// quota (percent of the total, or an absolute number of calls) fires once each time a use takes
// the remaining quota from above the threshold to at or below it: in-site alerts arrive on the
// owner's notification stream, SMS and email ones are queued in alert_outbox for a sender.

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

var alertChannels = []string{api.ChannelSMS, api.ChannelEmail, api.ChannelInSite}

// maxUsageCalls bounds one usage report.
const maxUsageCalls = 1_000_000_000

func init() {
	register(func(s *Server, r *Routes) {
		r.User("GET /v1/api-packages", s.listAPIPackages)
		r.User("GET /v1/api-packages/{id}", s.getAPIPackage)
		r.User("PUT /v1/api-packages/{id}/alert", s.setQuotaAlert)
		r.User("DELETE /v1/api-packages/{id}/alert", s.clearQuotaAlert)
		r.User("POST /v1/api-packages/{id}/usage", s.useAPIPackage)
	})
}

// listAPIPackages is GET /v1/api-packages: newest first.
func (s *Server) listAPIPackages(w http.ResponseWriter, r *http.Request) {
	p, ok := parsePage(w, r)
	if !ok {
		return
	}
	cond, args := "1 = 1", []any{}
	if p.After != nil {
		// A row value lets SQLite seek the (tenant_id, created_at, id) index, as orders.go does.
		cond, args = "(created_at, id) < (?, ?)", []any{p.After.At, p.After.ID}
	}
	items, err := s.apiPackages(r.Context(), s.db, caller(r).TenantID, cond+" ORDER BY created_at DESC, id DESC LIMIT ?", append(args, p.Limit+1)...)
	writePage(s, w, r, p, items, err, func(x api.APIPackage) cursor { return cursor{At: ms(x.CreatedAt), ID: x.ID} })
}

// getAPIPackage is GET /v1/api-packages/{id}.
func (s *Server) getAPIPackage(w http.ResponseWriter, r *http.Request) {
	pkg, err := s.apiPackage(r.Context(), s.db, caller(r).TenantID, r.PathValue("id"))
	writeFound(s, w, r, packageWhat(r), pkg, err)
}

// setQuotaAlert is PUT /v1/api-packages/{id}/alert: replaces the package's alert.
func (s *Server) setQuotaAlert(w http.ResponseWriter, r *http.Request) {
	var a api.QuotaAlert
	if !decodeJSON(w, r, &a) {
		return
	}
	c, id := caller(r), r.PathValue("id")
	var pkg api.APIPackage
	err := s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if pkg, err = s.apiPackage(r.Context(), tx, c.TenantID, id); err != nil {
			return err
		}
		var email string
		if err := tx.QueryRowContext(r.Context(), `SELECT email FROM users WHERE id = ?`, pkg.OwnerID).Scan(&email); err != nil {
			return err
		}
		if err := checkAlert(&a, pkg.TotalCalls, email != ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(r.Context(), `UPDATE api_packages SET alert_mode = ?, alert_threshold = ?, alert_channels = ?, updated_at = ?
WHERE id = ?`, a.Mode, a.Threshold, strings.Join(a.Channels, ","), ms(s.now()), id); err != nil {
			return err
		}
		pkg, err = s.apiPackage(r.Context(), tx, c.TenantID, id)
		return err
	})
	if s.writeChangeError(w, r, packageWhat(r), err) {
		return
	}
	writeJSON(w, http.StatusOK, pkg)
}

// clearQuotaAlert is DELETE /v1/api-packages/{id}/alert.
func (s *Server) clearQuotaAlert(w http.ResponseWriter, r *http.Request) {
	c, id := caller(r), r.PathValue("id")
	res, err := s.db.ExecContext(r.Context(), `UPDATE api_packages SET alert_mode = '', alert_threshold = 0, alert_channels = '', updated_at = ?
WHERE tenant_id = ? AND id = ?`, ms(s.now()), c.TenantID, id)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			err = sql.ErrNoRows
		}
	}
	if s.writeChangeError(w, r, packageWhat(r), err) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkAlert validates an alert for a package of total calls. A repeated channel is an error
// rather than merged, so that what is stored is what was sent.
func checkAlert(a *api.QuotaAlert, total int64, ownerHasEmail bool) error {
	switch a.Mode {
	case api.AlertPercent:
		if a.Threshold < 1 || a.Threshold > 99 {
			return invalid("threshold", "a percent threshold must be from 1 to 99; got %d", a.Threshold)
		}
	case api.AlertAbsolute:
		if a.Threshold < 1 || a.Threshold >= total {
			return invalid("threshold", "an absolute threshold must be from 1 to %d (less than the %d calls of the package); got %d", total-1, total, a.Threshold)
		}
	default:
		return invalid("mode", "mode must be percent (of the total calls) or absolute (a number of calls left)")
	}
	if len(a.Channels) == 0 {
		return invalid("channels", "channels must list at least one of sms, email, in_site")
	}
	for i, ch := range a.Channels {
		if !slices.Contains(alertChannels, ch) {
			return invalid("channels", "channel %s is not one of sms, email, in_site", quoteClip(ch))
		}
		if slices.Contains(a.Channels[:i], ch) {
			return invalid("channels", "channel %s is listed twice", ch)
		}
		if ch == api.ChannelEmail && !ownerHasEmail {
			return invalid("channels", "the package's owner has no email address; add one to the account or choose another channel")
		}
	}
	return nil
}

// alertLow says whether remaining is at or below the alert's threshold.
func alertLow(a *api.QuotaAlert, remaining, total int64) bool {
	if a.Mode == api.AlertPercent {
		return remaining*100 <= a.Threshold*total
	}
	return remaining <= a.Threshold
}

// useAPIPackage is POST /v1/api-packages/{id}/usage: takes calls off the remaining quota (all or
// nothing) and fires the alert if this use crossed its threshold.
func (s *Server) useAPIPackage(w http.ResponseWriter, r *http.Request) {
	var req api.UsageRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Calls < 1 || req.Calls > maxUsageCalls {
		badRequest(w, "calls", fmt.Sprintf("calls must be from 1 to %d; got %d", maxUsageCalls, req.Calls))
		return
	}
	c, id := caller(r), r.PathValue("id")
	var pkg api.APIPackage
	var fired bool
	var message string
	err := s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if pkg, err = s.apiPackage(r.Context(), tx, c.TenantID, id); err != nil {
			return err
		}
		if req.Calls > pkg.RemainingCalls {
			return &stateRefusal{"quota_exceeded", fmt.Sprintf("%s has %d calls left, fewer than the %d asked for; buy another package", pkg.Name, pkg.RemainingCalls, req.Calls)}
		}
		before, after := pkg.RemainingCalls, pkg.RemainingCalls-req.Calls
		now := ms(s.now())
		if _, err := tx.ExecContext(r.Context(), `UPDATE api_packages SET remaining_calls = ?, updated_at = ? WHERE id = ?`, after, now, id); err != nil {
			return err
		}
		pkg.RemainingCalls, pkg.UpdatedAt = after, fromMS(now)
		if a := pkg.Alert; a != nil && !alertLow(a, before, pkg.TotalCalls) && alertLow(a, after, pkg.TotalCalls) {
			fired, message = true, alertMessage(pkg)
			return s.queueAlert(r.Context(), tx, c.TenantID, pkg, message, now)
		}
		return nil
	})
	if s.writeChangeError(w, r, packageWhat(r), err) {
		return
	}
	if fired && slices.Contains(pkg.Alert.Channels, api.ChannelInSite) {
		if err := s.Notify(r.Context(), c.TenantID, pkg.OwnerID, "quota", "Quota alert: "+pkg.Name, message, pkg.ID); err != nil {
			s.log.Error("notifying a quota alert", "package", pkg.ID, "err", err)
		}
	}
	writeJSON(w, http.StatusOK, api.UsageResult{Package: pkg, AlertFired: fired})
}

func alertMessage(p api.APIPackage) string {
	limit := fmt.Sprintf("%d calls", p.Alert.Threshold)
	if p.Alert.Mode == api.AlertPercent {
		limit = fmt.Sprintf("%d%%", p.Alert.Threshold)
	}
	return fmt.Sprintf("%s has %d of %d calls left (%d%%), at or below your alert at %s.",
		p.Name, p.RemainingCalls, p.TotalCalls, p.RemainingCalls*100/p.TotalCalls, limit)
}

// queueAlert records the SMS and email messages of a fired alert in the outbox, in the same
// transaction as the use that fired it, so a message is queued exactly when the crossing is stored.
func (s *Server) queueAlert(ctx context.Context, tx *sql.Tx, tenant string, p api.APIPackage, message string, now int64) error {
	for _, ch := range p.Alert.Channels {
		if ch == api.ChannelInSite {
			continue
		}
		var recipient string
		col := map[string]string{api.ChannelEmail: "email", api.ChannelSMS: "username"}[ch] // SMS: the sender resolves the user's number
		if err := tx.QueryRowContext(ctx, `SELECT `+col+` FROM users WHERE id = ?`, p.OwnerID).Scan(&recipient); err != nil {
			return fmt.Errorf("finding the %s recipient of a quota alert: %w", ch, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_outbox (tenant_id, user_id, channel, recipient, subject, body, ref, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, tenant, p.OwnerID, ch, recipient, "Quota alert: "+p.Name, message, p.ID, now); err != nil {
			return fmt.Errorf("queueing a %s quota alert: %w", ch, err)
		}
	}
	return nil
}

// packageWhat names the API package of the request, for a 404.
func packageWhat(r *http.Request) string { return "API package " + quoteClip(r.PathValue("id")) }

func (s *Server) apiPackage(ctx context.Context, q rowsQuerier, tenant, id string) (api.APIPackage, error) {
	return first(s.apiPackages(ctx, q, tenant, "id = ?", id))
}

func (s *Server) apiPackages(ctx context.Context, q rowsQuerier, tenant, cond string, args ...any) ([]api.APIPackage, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, api, COALESCE(order_id, ''), user_id, total_calls, remaining_calls,
alert_mode, alert_threshold, alert_channels, expires_at, created_at, updated_at FROM api_packages WHERE tenant_id = ? AND `+cond,
		append([]any{tenant}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []api.APIPackage{}
	for rows.Next() {
		var p api.APIPackage
		var mode, channels string
		var threshold, created, updated int64
		var expires sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Name, &p.API, &p.OrderID, &p.OwnerID, &p.TotalCalls, &p.RemainingCalls,
			&mode, &threshold, &channels, &expires, &created, &updated); err != nil {
			return nil, err
		}
		if mode != "" {
			p.Alert = &api.QuotaAlert{Mode: mode, Threshold: threshold, Channels: strings.Split(channels, ",")}
		}
		p.ExpiresAt, p.CreatedAt, p.UpdatedAt = nullMS(expires), fromMS(created), fromMS(updated)
		out = append(out, p)
	}
	return out, rows.Err()
}
