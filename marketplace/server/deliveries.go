package server

// Deliveries of what is not software: cloud images (pay per use or by subscription) and hardware
// (shipped, then possibly unsubscribed: a refund when it never arrived, a return when it did, each
// reviewed by an admin of the tenant, the merchant's side in this embedded marketplace).

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

var (
	billingModes   = []string{api.BillingPayPerUse, api.BillingMonthly, api.BillingYearly}
	imageStates    = []string{api.ImageProvisioning, api.ImageActive, api.ImageExpired, api.ImageReleased}
	hardwareStates = []string{api.HardwarePending, api.HardwareShipped, api.HardwareInTransit, api.HardwareDelivered, api.HardwareReturned, api.HardwareRefunded}
	reviewStates   = []string{api.ReviewPending, api.ReviewApproved, api.ReviewRejected}

	// unsubscribableFrom: a refund is possible until the goods are confirmed received (a parcel
	// marked delivered may still not have reached the buyer); a return only once delivered.
	unsubscribableFrom = map[string][]string{
		api.UnsubscribeNotReceived: {api.HardwarePending, api.HardwareShipped, api.HardwareInTransit, api.HardwareDelivered},
		api.UnsubscribeReceived:    {api.HardwareDelivered},
	}
)

const maxReasonLen = 1000

func init() {
	register(func(s *Server, r *Routes) {
		r.User("GET /v1/deliveries/images", s.listImageDeliveries)
		r.User("GET /v1/deliveries/images/{id}", s.getImageDelivery)
		r.User("GET /v1/deliveries/hardware", s.listHardwareDeliveries)
		r.User("GET /v1/deliveries/hardware/{id}", s.getHardwareDelivery)
		r.User("POST /v1/deliveries/hardware/{id}/unsubscribe", s.unsubscribeHardware)
		r.Admin("POST /v1/admin/deliveries/hardware/{id}/review", s.reviewHardware)
	})
}

// enumFilters reads optional enum query parameters into SQL conditions; on a bad value it writes the 400.
func enumFilters(w http.ResponseWriter, r *http.Request, allowed map[string][]string, column map[string]string) ([]string, []any, bool) {
	var where []string
	var args []any
	for param, values := range allowed {
		v := r.URL.Query().Get(param)
		if v == "" {
			continue
		}
		if !slices.Contains(values, v) {
			badRequest(w, param, param+" must be one of "+strings.Join(values, ", "))
			return nil, nil, false
		}
		where, args = append(where, column[param]+" = ?"), append(args, v)
	}
	return where, args, true
}

// listImageDeliveries is GET /v1/deliveries/images: newest first; ?billing_mode= and ?state= filter.
func (s *Server) listImageDeliveries(w http.ResponseWriter, r *http.Request) {
	p, ok := parsePage(w, r)
	if !ok {
		return
	}
	where, args, ok := enumFilters(w, r, map[string][]string{"billing_mode": billingModes, "state": imageStates},
		map[string]string{"billing_mode": "billing_mode", "state": "state"})
	if !ok {
		return
	}
	if p.After != nil {
		where = append(where, "(created_at, id) < (?, ?)") // seeks the index, as orders.go does
		args = append(args, p.After.At, p.After.ID)
	}
	items, err := s.imageDeliveries(r.Context(), caller(r).TenantID, where, " ORDER BY created_at DESC, id DESC LIMIT ?", append(args, p.Limit+1)...)
	writePage(s, w, r, p, items, err, func(x api.ImageDelivery) cursor { return cursor{At: ms(x.CreatedAt), ID: x.ID} })
}

// getImageDelivery is GET /v1/deliveries/images/{id}.
func (s *Server) getImageDelivery(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, err := first(s.imageDeliveries(r.Context(), caller(r).TenantID, []string{"id = ?"}, "", id))
	writeFound(s, w, r, "image delivery "+quoteClip(id), d, err)
}

func (s *Server) imageDeliveries(ctx context.Context, tenant string, where []string, tail string, args ...any) ([]api.ImageDelivery, error) {
	q := `SELECT id, COALESCE(order_id, ''), COALESCE(product_id, ''), name, image_id, region, billing_mode, cloud_server_id,
price_cents, currency, state, created_at, expires_at FROM image_deliveries WHERE ` + strings.Join(append([]string{"tenant_id = ?"}, where...), " AND ") + tail
	rows, err := s.db.QueryContext(ctx, q, append([]any{tenant}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []api.ImageDelivery{}
	for rows.Next() {
		var d api.ImageDelivery
		var created int64
		var expires sql.NullInt64
		if err := rows.Scan(&d.ID, &d.OrderID, &d.Product, &d.Name, &d.ImageID, &d.Region, &d.BillingMode, &d.CloudServerID,
			&d.PriceCents, &d.Currency, &d.State, &created, &expires); err != nil {
			return nil, err
		}
		d.CreatedAt, d.ExpiresAt = fromMS(created), nullMS(expires)
		d.PriceUnit = map[string]string{api.BillingPayPerUse: "hour", api.BillingMonthly: "month", api.BillingYearly: "year"}[d.BillingMode]
		out = append(out, d)
	}
	return out, rows.Err()
}

// listHardwareDeliveries is GET /v1/deliveries/hardware: newest first, each with its latest
// unsubscribe request; ?state= and ?review_state= (of that request) filter.
func (s *Server) listHardwareDeliveries(w http.ResponseWriter, r *http.Request) {
	p, ok := parsePage(w, r)
	if !ok {
		return
	}
	where, args, ok := enumFilters(w, r, map[string][]string{"state": hardwareStates, "review_state": reviewStates},
		map[string]string{"state": "h.state", "review_state": "u.review_state"})
	if !ok {
		return
	}
	if p.After != nil {
		where = append(where, "(h.created_at, h.id) < (?, ?)") // seeks the index, as orders.go does
		args = append(args, p.After.At, p.After.ID)
	}
	items, err := s.hardwareDeliveries(r.Context(), s.db, caller(r).TenantID, where, " ORDER BY h.created_at DESC, h.id DESC LIMIT ?", append(args, p.Limit+1)...)
	writePage(s, w, r, p, items, err, func(x api.HardwareDelivery) cursor { return cursor{At: ms(x.CreatedAt), ID: x.ID} })
}

// getHardwareDelivery is GET /v1/deliveries/hardware/{id}.
func (s *Server) getHardwareDelivery(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, err := s.hardwareDelivery(r.Context(), s.db, caller(r).TenantID, id)
	writeFound(s, w, r, "hardware delivery "+quoteClip(id), d, err)
}

// rowsQuerier is what both *DB and *sql.Tx offer for reads.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Server) hardwareDelivery(ctx context.Context, q rowsQuerier, tenant, id string) (api.HardwareDelivery, error) {
	return first(s.hardwareDeliveries(ctx, q, tenant, []string{"h.id = ?"}, "", id))
}

// hardwareDeliveries reads deliveries joined with their latest unsubscribe request (u.*, NULL
// when there is none).
func (s *Server) hardwareDeliveries(ctx context.Context, q rowsQuerier, tenant string, where []string, tail string, args ...any) ([]api.HardwareDelivery, error) {
	query := `SELECT h.id, COALESCE(h.order_id, ''), h.title, h.quantity, h.paid_cents, h.currency, h.state, h.carrier,
h.tracking_number, h.shipped_at, h.delivered_at, h.created_at, h.updated_at,
u.id, u.type, u.amount_cents, u.reason, u.return_tracking, u.review_state, u.review_note, u.user_id, u.created_at, u.reviewed_at
FROM hardware_deliveries h
LEFT JOIN hardware_unsubscribes u ON u.id = (SELECT id FROM hardware_unsubscribes WHERE delivery_id = h.id ORDER BY created_at DESC, id DESC LIMIT 1)
WHERE ` + strings.Join(append([]string{"h.tenant_id = ?"}, where...), " AND ") + tail
	rows, err := q.QueryContext(ctx, query, append([]any{tenant}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []api.HardwareDelivery{}
	for rows.Next() {
		var d api.HardwareDelivery
		var shipped, delivered, reviewed sql.NullInt64
		var created, updated int64
		var uID, uType, uReason, uTracking, uState, uNote, uUser sql.NullString
		var uAmount, uCreated sql.NullInt64
		if err := rows.Scan(&d.ID, &d.OrderID, &d.Title, &d.Quantity, &d.PaidCents, &d.Currency, &d.State, &d.Carrier,
			&d.TrackingNumber, &shipped, &delivered, &created, &updated,
			&uID, &uType, &uAmount, &uReason, &uTracking, &uState, &uNote, &uUser, &uCreated, &reviewed); err != nil {
			return nil, err
		}
		d.ShippedAt, d.DeliveredAt, d.CreatedAt, d.UpdatedAt = nullMS(shipped), nullMS(delivered), fromMS(created), fromMS(updated)
		if uID.Valid {
			d.Unsubscribe = &api.HardwareUnsubscribe{ID: uID.String, Type: uType.String, AmountCents: uAmount.Int64, Reason: uReason.String,
				ReturnTracking: uTracking.String, ReviewState: uState.String, ReviewNote: uNote.String, RequestedBy: uUser.String,
				CreatedAt: fromMS(uCreated.Int64), ReviewedAt: nullMS(reviewed)}
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// unsubscribeHardware is POST /v1/deliveries/hardware/{id}/unsubscribe: a refund (not_received)
// or return (received) request, one open at a time, for the admins to review.
func (s *Server) unsubscribeHardware(w http.ResponseWriter, r *http.Request) {
	var req api.UnsubscribeRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	req.Reason, req.ReturnTracking = strings.TrimSpace(req.Reason), strings.TrimSpace(req.ReturnTracking)
	c, id := caller(r), r.PathValue("id")
	var d api.HardwareDelivery
	err := s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if d, err = s.hardwareDelivery(r.Context(), tx, c.TenantID, id); err != nil {
			return err
		}
		if err := checkUnsubscribe(req, d); err != nil {
			return err
		}
		now := ms(s.now())
		_, err = tx.ExecContext(r.Context(), `INSERT INTO hardware_unsubscribes (id, tenant_id, delivery_id, user_id, type, amount_cents,
reason, return_tracking, review_state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
			newID("uns"), c.TenantID, id, c.UserID, req.Type, req.AmountCents, req.Reason, req.ReturnTracking, now)
		if err != nil {
			return err
		}
		d, err = s.hardwareDelivery(r.Context(), tx, c.TenantID, id)
		return err
	})
	if s.writeChangeError(w, r, "hardware delivery "+quoteClip(id), err) {
		return
	}
	s.moveHardwareOrder(r.Context(), c.TenantID, d.OrderID, api.StateRefunding)
	kind := map[string]string{api.UnsubscribeNotReceived: "refund", api.UnsubscribeReceived: "return"}[req.Type]
	s.notifyAdmins(r.Context(), c.TenantID, "delivery", "A "+kind+" request to review",
		fmt.Sprintf("%s asks for a %s of %s for %s: %s", c.Username, kind, moneyText(req.AmountCents, d.Currency), d.Title, req.Reason), d.ID)
	writeJSON(w, http.StatusCreated, d)
}

// checkUnsubscribe validates a request against the delivery it is about.
func checkUnsubscribe(req api.UnsubscribeRequest, d api.HardwareDelivery) error {
	allowed, ok := unsubscribableFrom[req.Type]
	switch {
	case !ok:
		return invalid("type", "type must be not_received (a refund: the goods never arrived) or received (a return of goods you have)")
	case req.AmountCents <= 0 || req.AmountCents > d.PaidCents:
		return invalid("amount_cents", "amount_cents must be more than 0 and at most the %d paid (%s); got %d", d.PaidCents, moneyText(d.PaidCents, d.Currency), req.AmountCents)
	case req.Reason == "":
		return invalid("reason", "reason is required: say why, for the merchant's review")
	case len(req.Reason) > maxReasonLen:
		return invalid("reason", "reason is longer than %d characters", maxReasonLen)
	case req.Type == api.UnsubscribeReceived && req.ReturnTracking == "":
		return invalid("return_tracking", "return_tracking is required for a return: the tracking number of the parcel you sent back")
	case req.Type == api.UnsubscribeNotReceived && req.ReturnTracking != "":
		return invalid("return_tracking", "return_tracking is only for a return (type received); leave it out for a refund")
	case len(req.ReturnTracking) > 100:
		return invalid("return_tracking", "return_tracking is longer than 100 characters")
	case d.Unsubscribe != nil && d.Unsubscribe.ReviewState == api.ReviewPending:
		return &stateRefusal{"unsubscribe_open", "delivery " + d.ID + " already has an open request (" + d.Unsubscribe.ID + "); wait for its review"}
	case !slices.Contains(allowed, d.State):
		return &stateRefusal{"invalid_state", fmt.Sprintf("delivery %s is %s; a %s request is possible only when it is %s",
			d.ID, d.State, req.Type, strings.Join(allowed, ", "))}
	}
	return nil
}

// reviewHardware is POST /v1/admin/deliveries/hardware/{id}/review: an admin approves (the
// delivery becomes refunded or returned) or rejects (it stays as it was) the open request.
func (s *Server) reviewHardware(w http.ResponseWriter, r *http.Request) {
	var req api.ReviewRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	req.Note = strings.TrimSpace(req.Note)
	switch {
	case req.Decision != api.ReviewApprove && req.Decision != api.ReviewReject:
		badRequest(w, "decision", "decision must be approve or reject")
		return
	case req.Decision == api.ReviewReject && req.Note == "":
		badRequest(w, "note", "note is required when rejecting: the buyer reads it")
		return
	case len(req.Note) > maxReasonLen:
		badRequest(w, "note", fmt.Sprintf("note is longer than %d characters", maxReasonLen))
		return
	}
	c, id := caller(r), r.PathValue("id")
	var d api.HardwareDelivery
	var u api.HardwareUnsubscribe
	err := s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		var err error
		if d, err = s.hardwareDelivery(r.Context(), tx, c.TenantID, id); err != nil {
			return err
		}
		if d.Unsubscribe == nil || d.Unsubscribe.ReviewState != api.ReviewPending {
			return &stateRefusal{"no_open_request", "delivery " + id + " has no open unsubscribe request to review"}
		}
		u = *d.Unsubscribe
		now := ms(s.now())
		state := api.ReviewRejected
		if req.Decision == api.ReviewApprove {
			state = api.ReviewApproved
			to := map[string]string{api.UnsubscribeNotReceived: api.HardwareRefunded, api.UnsubscribeReceived: api.HardwareReturned}[u.Type]
			if _, err := tx.ExecContext(r.Context(), `UPDATE hardware_deliveries SET state = ?, updated_at = ? WHERE id = ?`, to, now, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(r.Context(), `UPDATE hardware_unsubscribes SET review_state = ?, review_note = ?, reviewer_id = ?, reviewed_at = ?
WHERE id = ?`, state, req.Note, c.UserID, now, u.ID); err != nil {
			return err
		}
		d, err = s.hardwareDelivery(r.Context(), tx, c.TenantID, id)
		return err
	})
	if s.writeChangeError(w, r, "hardware delivery "+quoteClip(id), err) {
		return
	}
	orderState, verdict := api.StateDelivered, "was rejected"
	if req.Decision == api.ReviewApprove {
		orderState, verdict = api.StateRefunded, "was approved"
	}
	s.moveHardwareOrder(r.Context(), c.TenantID, d.OrderID, orderState)
	body := fmt.Sprintf("Your %s request for %s (%s) %s.", strings.ReplaceAll(u.Type, "_", " "), d.Title, moneyText(u.AmountCents, d.Currency), verdict)
	if req.Note != "" {
		body += " " + req.Note
	}
	if err := s.Notify(r.Context(), c.TenantID, u.RequestedBy, "delivery", "Unsubscribe request "+verdict, body, d.ID); err != nil {
		s.log.Error("notifying a hardware review", "delivery", id, "err", err)
	}
	writeJSON(w, http.StatusOK, d)
}

// moveHardwareOrder keeps the delivery's order in step. The delivery is the record of the
// request; an order that cannot follow (already moved by an admin) is logged, not an error.
func (s *Server) moveHardwareOrder(ctx context.Context, tenant, orderID, state string) {
	if orderID == "" {
		return
	}
	if _, err := s.MoveOrder(ctx, tenant, orderID, state, ""); err != nil {
		s.log.Info("hardware delivery: the order does not follow", "order", orderID, "state", state, "err", err)
	}
}

// notifyAdmins tells every admin of tenant; failures are logged, the change is already committed.
func (s *Server) notifyAdmins(ctx context.Context, tenant, kind, title, body, ref string) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM users WHERE tenant_id = ? AND role = 'admin'`, tenant)
	if err != nil {
		s.log.Error("listing admins to notify", "tenant", tenant, "err", err)
		return
	}
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	for _, id := range ids {
		if err := s.Notify(ctx, tenant, id, kind, title, body, ref); err != nil {
			s.log.Error("notifying an admin", "user", id, "err", err)
		}
	}
}

// moneyText formats cents for people: 129900, "EUR" → "1299.00 EUR".
func moneyText(cents int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", cents/100, cents%100, currency)
}
