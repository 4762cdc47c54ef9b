package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iscdesk/iscdesk/marketplace/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func listOrders(t *testing.T, e *env, tok, query string) []api.Order {
	t.Helper()
	var out []api.Order
	next := ""
	for range 1000 {
		var p api.Page[api.Order]
		q := query
		if next != "" {
			q += "&cursor=" + next
		}
		decode(t, e.do("GET", "/v1/orders?limit=3&"+q, tok, nil), http.StatusOK, &p)
		out = append(out, p.Items...)
		if next = p.NextCursor; next == "" {
			return out
		}
	}
	t.Fatal("paging did not end")
	return nil
}

func TestOrdersList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(DemoEngineer, DemoPassword).AccessToken
	all := listOrders(t, e, tok, "")
	kinds := map[string]bool{}
	for i, o := range all {
		kinds[o.Kind] = true
		if i > 0 {
			assert.False(t, o.CreatedAt.After(all[i-1].CreatedAt), "newest first")
		}
	}
	assert.Len(t, kinds, 5, "the demo has orders of every kind")

	count := func(f func(api.Order) bool) int {
		n := 0
		for _, o := range all {
			if f(o) {
				n++
			}
		}
		return n
	}
	mid := all[len(all)/2].CreatedAt
	cases := []struct {
		query string
		want  func(api.Order) bool
	}{
		{"kind=hardware", func(o api.Order) bool { return o.Kind == api.OrderHardware }},
		{"state=paid", func(o api.Order) bool { return o.State == api.StatePaid }},
		{"kind=software&state=paid", func(o api.Order) bool { return o.Kind == api.OrderSoftware && o.State == api.StatePaid }},
		{"from=" + url.QueryEscape(mid.Format(time.RFC3339Nano)), func(o api.Order) bool { return !o.CreatedAt.Before(mid) }},
		{"to=" + url.QueryEscape(mid.Format(time.RFC3339Nano)), func(o api.Order) bool { return o.CreatedAt.Before(mid) }},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			got := listOrders(t, e, tok, tc.query)
			assert.Len(t, got, count(tc.want))
			for _, o := range got {
				assert.True(t, tc.want(o), "%+v", o)
			}
		})
	}
	for _, tc := range []struct{ query, field string }{
		{"kind=boat", "kind"}, {"state=lost", "state"}, {"from=yesterday", "from"}, {"to=1", "to"}, {"limit=-1", "limit"},
	} {
		assert.Equal(t, tc.field, apiError(t, e.do("GET", "/v1/orders?"+tc.query, tok, nil), http.StatusBadRequest).Field, tc.query)
	}

	var one api.Order
	decode(t, e.do("GET", "/v1/orders/"+all[0].ID, tok, nil), http.StatusOK, &one)
	assert.Equal(t, all[0], one)
	apiError(t, e.do("GET", "/v1/orders/ord_missing", tok, nil), http.StatusNotFound)
	apiError(t, e.do("GET", "/v1/orders", "", nil), http.StatusUnauthorized)
}

// TestTenantIsolation: a user of another tenant sees nothing of the demo tenant, and its ids are 404.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	demo := e.login(DemoEngineer, DemoPassword).AccessToken
	demoOrders := listOrders(t, e, demo, "")
	require.NotEmpty(t, demoOrders)
	var n api.Page[api.Notification]
	require.NoError(t, e.srv.Notify(context.Background(), demoTenant(t, e), demoUser(t, e, DemoEngineer), "order", "t", "b", ""))

	e.addTenant("Other Plant", "other-admin", api.RoleAdmin)
	other := e.login("other-admin", "pw").AccessToken

	var ents api.Page[api.Entitlement]
	decode(t, e.do("GET", "/v1/entitlements", other, nil), http.StatusOK, &ents)
	assert.Empty(t, ents.Items)
	assert.Empty(t, listOrders(t, e, other, ""))
	decode(t, e.do("GET", "/v1/notifications", other, nil), http.StatusOK, &n)
	assert.Empty(t, n.Items)
	var marked api.MarkReadResponse
	decode(t, e.do("POST", "/v1/notifications/read", other, api.MarkReadRequest{All: true}), http.StatusOK, &marked)
	assert.Zero(t, marked.Marked)

	id := demoOrders[0].ID
	assert.Equal(t, "not_found", apiError(t, e.do("GET", "/v1/orders/"+id, other, nil), http.StatusNotFound).Code)
	assert.Equal(t, "not_found", apiError(t, e.do("POST", "/v1/admin/orders/"+id+"/state", other, api.OrderStateRequest{State: api.StateCancelled}), http.StatusNotFound).Code)
	apiError(t, e.do("POST", "/v1/tickets", other, api.TicketRequest{Product: "cad-viewer", Platform: "linux"}), http.StatusForbidden)

	// And the demo order did not move.
	var o api.Order
	decode(t, e.do("GET", "/v1/orders/"+id, demo, nil), http.StatusOK, &o)
	assert.Equal(t, demoOrders[0].State, o.State)
}

func demoTenant(t *testing.T, e *env) string {
	var id string
	require.NoError(t, e.db.QueryRow(`SELECT id FROM tenants WHERE name = ?`, DemoTenant).Scan(&id))
	return id
}

func demoUser(t *testing.T, e *env, username string) string {
	var id string
	require.NoError(t, e.db.QueryRow(`SELECT id FROM users WHERE username = ?`, username).Scan(&id))
	return id
}

// sse reads events of a notification stream.
type sse struct {
	resp *http.Response
	sc   *bufio.Scanner
}

func openStream(t *testing.T, e *env, tok, lastID string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/v1/notifications/stream", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	return &sse{resp: resp, sc: bufio.NewScanner(resp.Body)}
}

// next returns the next notification event, skipping comments; the test's deadline bounds it.
func (s *sse) next(t *testing.T) api.Notification {
	t.Helper()
	var id string
	for s.sc.Scan() {
		line := s.sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			var n api.Notification
			require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &n))
			assert.Equal(t, strconv.FormatInt(n.ID, 10), id)
			return n
		}
	}
	t.Fatalf("the stream ended: %v", s.sc.Err())
	return api.Notification{}
}

func TestOrderStateAndNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.login(DemoAdmin, DemoPassword).AccessToken
	eng := e.login(DemoEngineer, DemoPassword).AccessToken
	pending := listOrders(t, e, eng, "state=pending_payment")
	require.NotEmpty(t, pending)
	id := pending[0].ID

	stream := openStream(t, e, eng, "")
	var o api.Order
	decode(t, e.do("POST", "/v1/admin/orders/"+id+"/state", admin, api.OrderStateRequest{State: api.StatePaid, Note: "Payment received."}), http.StatusOK, &o)
	assert.Equal(t, api.StatePaid, o.State)
	n := stream.next(t)
	assert.Equal(t, "order", n.Kind)
	assert.Equal(t, id, n.Ref)
	assert.Contains(t, n.Body, "Payment received.")

	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"not allowed", api.OrderStateRequest{State: api.StatePendingPayment}, http.StatusConflict, "state"},
		{"unknown state", api.OrderStateRequest{State: "shipped"}, http.StatusBadRequest, "state"},
		{"long note", api.OrderStateRequest{State: api.StateDelivering, Note: strings.Repeat("x", 501)}, http.StatusBadRequest, "note"},
		{"unknown field", `{"state":"delivering","why":"x"}`, http.StatusBadRequest, "why"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.field, apiError(t, e.do("POST", "/v1/admin/orders/"+id+"/state", admin, tc.body), tc.status).Field)
		})
	}
	decode(t, e.do("POST", "/v1/admin/orders/"+id+"/state", admin, api.OrderStateRequest{State: api.StateDelivering}), http.StatusOK, &o)
	second := stream.next(t)
	assert.Greater(t, second.ID, n.ID)

	// A reconnect with Last-Event-ID gets what came after it, then live events.
	again := openStream(t, e, eng, strconv.FormatInt(n.ID, 10))
	assert.Equal(t, second.ID, again.next(t).ID)

	var list api.Page[api.Notification]
	decode(t, e.do("GET", "/v1/notifications?unread=true", eng, nil), http.StatusOK, &list)
	require.Len(t, list.Items, 2)
	assert.Equal(t, second.ID, list.Items[0].ID, "newest first")
	var marked api.MarkReadResponse
	decode(t, e.do("POST", "/v1/notifications/read", eng, api.MarkReadRequest{IDs: []int64{n.ID}}), http.StatusOK, &marked)
	assert.Equal(t, int64(1), marked.Marked)
	decode(t, e.do("GET", "/v1/notifications?unread=true", eng, nil), http.StatusOK, &list)
	assert.Len(t, list.Items, 1)
	decode(t, e.do("POST", "/v1/notifications/read", eng, api.MarkReadRequest{All: true}), http.StatusOK, &marked)
	assert.Equal(t, int64(1), marked.Marked)
	assert.Equal(t, "ids", apiError(t, e.do("POST", "/v1/notifications/read", eng, api.MarkReadRequest{}), http.StatusBadRequest).Field)
	assert.Equal(t, "unread", apiError(t, e.do("GET", "/v1/notifications?unread=maybe", eng, nil), http.StatusBadRequest).Field)
	assert.Equal(t, "Last-Event-ID", apiError(t, e.do("GET", "/v1/notifications/stream", eng, nil, "Last-Event-ID", "x"), http.StatusBadRequest).Field)
}

func TestSoftwareOrderPaidGrantsEntitlement(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.login(DemoAdmin, DemoPassword).AccessToken
	_, err := e.db.Exec(`INSERT INTO products (id, name, publisher, created_at) VALUES ('historian', 'Historian', 'X', 0)`)
	require.NoError(t, err)
	_, err = e.db.Exec(`INSERT INTO orders (id, tenant_id, user_id, kind, state, product_id, title, amount_cents, currency, created_at, updated_at)
VALUES ('ord_h', ?, ?, 'software', 'pending_payment', 'historian', 'Historian', 100, 'EUR', 0, 0)`, demoTenant(t, e), demoUser(t, e, DemoEngineer))
	require.NoError(t, err)
	decode(t, e.do("POST", "/v1/admin/orders/ord_h/state", admin, api.OrderStateRequest{State: api.StatePaid}), http.StatusOK, nil)
	var n int
	require.NoError(t, e.db.QueryRow(`SELECT count(*) FROM entitlements WHERE product_id = 'historian' AND order_id = 'ord_h'`).Scan(&n))
	assert.Equal(t, 1, n)
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(DemoEngineer, DemoPassword).AccessToken
	admin := e.login(DemoAdmin, DemoPassword).AccessToken
	req := api.TicketRequest{Product: "cad-viewer", Platform: "linux"}

	first := e.do("POST", "/v1/tickets", tok, req, api.IdempotencyHeader, "k-1")
	var a, b api.TicketResponse
	decode(t, first, http.StatusCreated, &a)
	e.clock.Advance(2 * time.Second) // a fresh ticket would differ in issued_at
	second := e.do("POST", "/v1/tickets", tok, req, api.IdempotencyHeader, "k-1")
	assert.Equal(t, "true", second.Header.Get("Idempotent-Replayed"))
	decode(t, second, http.StatusCreated, &b)
	assert.Equal(t, a, b)

	// Same key, different body.
	er := apiError(t, e.do("POST", "/v1/tickets", tok, api.TicketRequest{Product: "demo-solver", Platform: "linux"}, api.IdempotencyHeader, "k-1"), http.StatusUnprocessableEntity)
	assert.Equal(t, "idempotency_key_reused", er.Code)
	// Keys are per user: the admin may use the same one.
	decode(t, e.do("POST", "/v1/tickets", admin, req, api.IdempotencyHeader, "k-1"), http.StatusCreated, nil)
	// A state change replayed does not move the order twice (the second move would be a 409).
	orders := listOrders(t, e, tok, "state=pending_payment")
	require.NotEmpty(t, orders)
	path := "/v1/admin/orders/" + orders[0].ID + "/state"
	for range 2 {
		decode(t, e.do("POST", path, admin, api.OrderStateRequest{State: api.StatePaid}, api.IdempotencyHeader, "move-1"), http.StatusOK, nil)
	}
	// An error is replayed too (it is not a 5xx).
	for range 2 {
		apiError(t, e.do("POST", "/v1/tickets", tok, api.TicketRequest{Platform: "linux"}, api.IdempotencyHeader, "bad-1"), http.StatusBadRequest)
	}
	assert.Equal(t, api.IdempotencyHeader, apiError(t, e.do("POST", "/v1/tickets", tok, req, api.IdempotencyHeader, strings.Repeat("k", 201)), http.StatusBadRequest).Field)
	// After a day a key may be used again.
	e.clock.Advance(idempotencyTTL + time.Minute)
	tok = e.login(DemoEngineer, DemoPassword).AccessToken
	decode(t, e.do("POST", "/v1/tickets", tok, api.TicketRequest{Product: "demo-solver", Platform: "linux"}, api.IdempotencyHeader, "k-1"), http.StatusCreated, nil)
}

// TestIdempotencyKeyConcurrent: retries that race the first request wait for it and replay its answer.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(DemoEngineer, DemoPassword).AccessToken
	const n = 8
	bodies := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := e.do("POST", "/v1/tickets", tok, api.TicketRequest{Product: "cad-viewer", Platform: "linux"}, api.IdempotencyHeader, "race-1")
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusCreated {
				bodies <- "status " + resp.Status
				return
			}
			bodies <- string(data)
		}()
	}
	wg.Wait()
	close(bodies)
	first := ""
	for b := range bodies {
		if first == "" {
			first = b
		}
		assert.Equal(t, first, b)
	}
	assert.Contains(t, first, `"ticket"`)
}
