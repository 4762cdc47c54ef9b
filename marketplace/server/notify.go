package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// Notify stores a notification for a user of a tenant and pushes it to that user's open SSE
// streams. Call it after the change it reports is committed.
func (s *Server) Notify(ctx context.Context, tenantID, userID, kind, title, body, ref string) error {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO notifications (tenant_id, user_id, kind, title, body, ref, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`, tenantID, userID, kind, title, body, ref, ms(now))
	if err != nil {
		return fmt.Errorf("storing the %s notification for user %s: %w", kind, userID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("storing the %s notification for user %s: %w", kind, userID, err)
	}
	s.hub.publish(tenantID, userID, api.Notification{ID: id, Kind: kind, Title: title, Body: body, Ref: ref, CreatedAt: fromMS(ms(now))})
	return nil
}

// hub fans notifications out to the SSE streams of each user.
type hub struct {
	mu     sync.Mutex // guards subs and closed
	subs   map[string]map[*subscription]struct{}
	closed bool
}

// subscription is one open stream. ch is closed when the hub drops it (the stream was too slow,
// or the server is closing); the client then reconnects with Last-Event-ID and loses nothing.
type subscription struct {
	ch chan api.Notification
}

const subscriptionBuffer = 64

func newHub() *hub { return &hub{subs: make(map[string]map[*subscription]struct{})} }

func hubKey(tenantID, userID string) string { return tenantID + "\x00" + userID }

func (h *hub) subscribe(tenantID, userID string) *subscription {
	sub := &subscription{ch: make(chan api.Notification, subscriptionBuffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(sub.ch)
		return sub
	}
	k := hubKey(tenantID, userID)
	if h.subs[k] == nil {
		h.subs[k] = make(map[*subscription]struct{})
	}
	h.subs[k][sub] = struct{}{}
	return sub
}

func (h *hub) unsubscribe(tenantID, userID string, sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := hubKey(tenantID, userID)
	if _, ok := h.subs[k][sub]; ok {
		delete(h.subs[k], sub)
		close(sub.ch)
		if len(h.subs[k]) == 0 {
			delete(h.subs, k)
		}
	}
}

func (h *hub) publish(tenantID, userID string, n api.Notification) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := hubKey(tenantID, userID)
	for sub := range h.subs[k] {
		select {
		case sub.ch <- n:
		default: // never block the publisher on a slow reader: drop it, it will catch up on reconnect
			delete(h.subs[k], sub)
			close(sub.ch)
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for k, set := range h.subs {
		for sub := range set {
			close(sub.ch)
		}
		delete(h.subs, k)
	}
}

// maxBacklog bounds the notifications replayed to a stream that reconnects.
const maxBacklog = 1000

// streamNotifications is GET /v1/notifications/stream: server-sent events of the caller's
// notifications. With Last-Event-ID it first replays what the client missed.
func (s *Server) streamNotifications(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	var last int64
	if v := firstNonEmpty(r.Header.Get("Last-Event-ID"), r.URL.Query().Get("last_event_id")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			badRequest(w, "Last-Event-ID", "Last-Event-ID must be the id of a notification event (a whole number)")
			return
		}
		last = n
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout

	// Subscribe before reading the backlog so that nothing published in between is lost;
	// duplicates are skipped by id.
	sub := s.hub.subscribe(c.TenantID, c.UserID)
	defer s.hub.unsubscribe(c.TenantID, c.UserID, sub)

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	if r.Header.Get("Last-Event-ID") != "" || r.URL.Query().Has("last_event_id") {
		backlog, err := s.notificationsAfter(r.Context(), c, last, maxBacklog)
		if err != nil {
			s.log.Error("reading the notification backlog", "user", c.UserID, "err", err)
			return
		}
		for _, n := range backlog {
			if writeEvent(w, n) != nil {
				return
			}
			last = n.ID
		}
	}
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(s.opts.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case n, ok := <-sub.ch:
			if !ok {
				return
			}
			if n.ID <= last {
				continue
			}
			if writeEvent(w, n) != nil || rc.Flush() != nil {
				return
			}
			last = n.ID
		}
	}
}

func writeEvent(w http.ResponseWriter, n api.Notification) error {
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: notification\ndata: %s\n\n", n.ID, data)
	return err
}

func (s *Server) notificationsAfter(ctx context.Context, c Caller, after int64, limit int) ([]api.Notification, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, title, body, ref, created_at, read_at FROM notifications
WHERE tenant_id = ? AND user_id = ? AND id > ? ORDER BY id LIMIT ?`, c.TenantID, c.UserID, after, limit)
	if err != nil {
		return nil, err
	}
	return scanNotifications(rows)
}

func scanNotifications(rows *sql.Rows) ([]api.Notification, error) {
	defer rows.Close()
	out := []api.Notification{}
	for rows.Next() {
		var n api.Notification
		var created int64
		var read sql.NullInt64
		if err := rows.Scan(&n.ID, &n.Kind, &n.Title, &n.Body, &n.Ref, &created, &read); err != nil {
			return nil, err
		}
		n.CreatedAt, n.ReadAt = fromMS(created), nullMS(read)
		out = append(out, n)
	}
	return out, rows.Err()
}

// listNotifications is GET /v1/notifications: newest first, ?unread=true for unread only.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	p, ok := parsePage(w, r)
	if !ok {
		return
	}
	c := caller(r)
	q := `SELECT id, kind, title, body, ref, created_at, read_at FROM notifications WHERE tenant_id = ? AND user_id = ?`
	args := []any{c.TenantID, c.UserID}
	switch v := r.URL.Query().Get("unread"); v {
	case "", "false":
	case "true":
		q += ` AND read_at IS NULL`
	default:
		badRequest(w, "unread", "unread must be true or false")
		return
	}
	if p.After != nil {
		id, err := strconv.ParseInt(p.After.ID, 10, 64)
		if err != nil {
			badRequest(w, "cursor", "cursor is not one this server gave out; pass next_cursor of the previous page unchanged")
			return
		}
		q += ` AND id < ?`
		args = append(args, id)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, p.Limit+1)
	rows, err := s.db.QueryContext(r.Context(), q, args...)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	items, err := scanNotifications(rows)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	page := api.Page[api.Notification]{Items: items}
	if len(items) > p.Limit {
		page.Items = items[:p.Limit]
		page.NextCursor = cursor{ID: strconv.FormatInt(page.Items[p.Limit-1].ID, 10)}.String()
	}
	writeJSON(w, http.StatusOK, page)
}

// markRead is POST /v1/notifications/read.
func (s *Server) markRead(w http.ResponseWriter, r *http.Request) {
	var req api.MarkReadRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.All == (len(req.IDs) > 0) {
		badRequest(w, "ids", "send either ids (a non-empty list) or all: true")
		return
	}
	if len(req.IDs) > 1000 {
		badRequest(w, "ids", "at most 1000 ids at a time; use all: true to mark everything")
		return
	}
	c := caller(r)
	q := `UPDATE notifications SET read_at = ? WHERE tenant_id = ? AND user_id = ? AND read_at IS NULL`
	args := []any{ms(s.now()), c.TenantID, c.UserID}
	if !req.All {
		q += ` AND id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(req.IDs)), ",") + `)`
		for _, id := range req.IDs {
			args = append(args, id)
		}
	}
	res, err := s.db.ExecContext(r.Context(), q, args...)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	n, _ := res.RowsAffected()
	writeJSON(w, http.StatusOK, api.MarkReadResponse{Marked: n})
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
