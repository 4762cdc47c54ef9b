package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

var orderKinds = []string{api.OrderSoftware, api.OrderLicense, api.OrderImage, api.OrderHardware, api.OrderAPIPackage}

// orderTransitions are the moves an admin may make; anything else is a 409.
var orderTransitions = map[string][]string{
	api.StatePendingPayment: {api.StatePaid, api.StateCancelled},
	api.StatePaid:           {api.StateDelivering, api.StateDelivered, api.StateRefunding, api.StateCancelled},
	api.StateDelivering:     {api.StateDelivered, api.StateRefunding},
	api.StateDelivered:      {api.StateRefunding},
	api.StateRefunding:      {api.StateRefunded, api.StateDelivered}, // refunded, or the refund was refused
	api.StateCancelled:      {},
	api.StateRefunded:       {},
}

const orderColumns = `id, kind, state, COALESCE(product_id, ''), title, amount_cents, currency, user_id, created_at, updated_at`

func scanOrder(row interface{ Scan(...any) error }) (api.Order, error) {
	var o api.Order
	var created, updated int64
	err := row.Scan(&o.ID, &o.Kind, &o.State, &o.Product, &o.Title, &o.AmountCents, &o.Currency, &o.UserID, &created, &updated)
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
	return o, err
}

// listOrders is GET /v1/orders: newest first, filtered by ?kind, ?state, ?from, ?to (RFC 3339,
// from inclusive, to exclusive), keyset-paged on (created_at, id).
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	p, ok := parsePage(w, r)
	if !ok {
		return
	}
	c := caller(r)
	q := r.URL.Query()
	where := []string{"tenant_id = ?"}
	args := []any{c.TenantID}
	if v := q.Get("kind"); v != "" {
		if !slices.Contains(orderKinds, v) {
			badRequest(w, "kind", "kind must be one of "+strings.Join(orderKinds, ", "))
			return
		}
		where, args = append(where, "kind = ?"), append(args, v)
	}
	if v := q.Get("state"); v != "" {
		if _, ok := orderTransitions[v]; !ok {
			badRequest(w, "state", "state must be one of pending_payment, paid, delivering, delivered, cancelled, refunding, refunded")
			return
		}
		where, args = append(where, "state = ?"), append(args, v)
	}
	for _, b := range []struct{ param, op string }{{"from", ">="}, {"to", "<"}} {
		if v := q.Get(b.param); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				badRequest(w, b.param, b.param+" must be an RFC 3339 time like 2026-01-31T00:00:00Z")
				return
			}
			where, args = append(where, "created_at "+b.op+" ?"), append(args, ms(t))
		}
	}
	if p.After != nil {
		// A row value lets SQLite seek the (tenant_id, created_at, id) index instead of
		// filtering every earlier row: page 1,000 costs what page 1 does.
		where = append(where, "(created_at, id) < (?, ?)")
		args = append(args, p.After.At, p.After.ID)
	}
	args = append(args, p.Limit+1)
	rows, err := s.db.QueryContext(r.Context(), `SELECT `+orderColumns+` FROM orders WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	defer rows.Close()
	items := []api.Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		items = append(items, o)
	}
	if err := rows.Err(); err != nil {
		s.internalError(w, r, err)
		return
	}
	writePage(s, w, r, p, items, nil, func(x api.Order) cursor { return cursor{At: ms(x.CreatedAt), ID: x.ID} })
}

// getOrder is GET /v1/orders/{id}; another tenant's order is 404.
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	o, err := s.order(r.Context(), caller(r).TenantID, r.PathValue("id"))
	writeFound(s, w, r, "order "+quoteClip(r.PathValue("id")), o, err)
}

func (s *Server) order(ctx context.Context, tenantID, id string) (api.Order, error) {
	return scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// setOrderState is POST /v1/admin/orders/{id}/state. The order's buyer is notified; a software
// order that becomes paid grants the tenant its product.
func (s *Server) setOrderState(w http.ResponseWriter, r *http.Request) {
	var req api.OrderStateRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if _, ok := orderTransitions[req.State]; !ok {
		badRequest(w, "state", "state must be one of pending_payment, paid, delivering, delivered, cancelled, refunding, refunded")
		return
	}
	if len(req.Note) > 500 {
		badRequest(w, "note", "note is longer than 500 characters")
		return
	}
	c := caller(r)
	id := r.PathValue("id")
	o, err := s.MoveOrder(r.Context(), c.TenantID, id, req.State, req.Note)
	var conflict *stateConflict
	switch {
	case errors.Is(err, sql.ErrNoRows):
		notFound(w, "order "+quoteClip(id))
	case errors.As(err, &conflict):
		writeError(w, http.StatusConflict, "invalid_transition", "state", conflict.Error())
	case err != nil:
		s.internalError(w, r, err)
	default:
		writeJSON(w, http.StatusOK, o)
	}
}

type stateConflict struct{ id, from, to string }

func (e *stateConflict) Error() string {
	allowed := strings.Join(orderTransitions[e.from], ", ")
	if allowed == "" {
		allowed = "none, it is final"
	}
	return fmt.Sprintf("order %s is %s and cannot become %s (allowed: %s)", e.id, e.from, e.to, allowed)
}

// MoveOrder changes an order's state if the transition is allowed, and notifies its buyer.
// Feature code (deliveries, licenses) calls it too. It returns sql.ErrNoRows for an order the
// tenant does not have, and a *stateConflict for a move that is not allowed.
func (s *Server) MoveOrder(ctx context.Context, tenantID, id, state, note string) (api.Order, error) {
	var o api.Order
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		o, err = scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE tenant_id = ? AND id = ?`, tenantID, id))
		if err != nil {
			return err
		}
		if !slices.Contains(orderTransitions[o.State], state) {
			return &stateConflict{id: id, from: o.State, to: state}
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET state = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`, state, ms(now), tenantID, id); err != nil {
			return err
		}
		if state == api.StatePaid && o.Kind == api.OrderSoftware && o.Product != "" {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO entitlements (id, tenant_id, product_id, order_id, granted_at) VALUES (?, ?, ?, ?, ?)`,
				newID("ent"), tenantID, o.Product, o.ID, ms(now)); err != nil {
				return err
			}
		}
		o.State, o.UpdatedAt = state, fromMS(ms(now))
		return nil
	})
	if err != nil {
		return api.Order{}, err
	}
	body := fmt.Sprintf("%s is now %s.", o.Title, strings.ReplaceAll(state, "_", " "))
	if note != "" {
		body += " " + note
	}
	if err := s.Notify(ctx, tenantID, o.UserID, "order", "Order "+o.ID+" "+strings.ReplaceAll(state, "_", " "), body, o.ID); err != nil {
		// The move is committed; a lost notification must not make the admin retry it.
		s.log.Error("notifying an order change", "order", o.ID, "err", err)
	}
	return o, nil
}
