package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// hardware adds a hardware delivery of tenant in state, paid 500.00 EUR, with an order in orderState
// (no order when orderState is empty), and returns the delivery id and the order id.
func (e *fxEnv) hardware(tenant, buyer, state, orderState string) (id, orderID string) {
	e.t.Helper()
	id, at := newID("hw"), ms(e.now)
	var order any
	if orderState != "" {
		orderID = newID("ord")
		order = orderID
		e.exec(`INSERT INTO orders (id, tenant_id, user_id, kind, state, title, amount_cents, currency, created_at, updated_at)
VALUES (?, ?, ?, 'hardware', ?, 'Edge gateway', 50000, 'EUR', ?, ?)`, orderID, tenant, buyer, orderState, at, at)
	}
	e.exec(`INSERT INTO hardware_deliveries (id, tenant_id, order_id, title, quantity, paid_cents, currency, state, carrier, tracking_number,
created_at, updated_at) VALUES (?, ?, ?, 'Edge gateway', 1, 50000, 'EUR', ?, 'DHL', 'JD0146', ?, ?)`, id, tenant, order, state, at, at)
	return id, orderID
}

func (e *fxEnv) orderState(id string) string {
	e.t.Helper()
	var st string
	require.NoError(e.t, e.db.QueryRow(`SELECT state FROM orders WHERE id = ?`, id).Scan(&st))
	return st
}

func TestImageDeliveries(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	other := e.user("t2", "mallory", api.RoleEngineer)
	at := ms(e.now)
	e.exec(`INSERT INTO image_deliveries (id, tenant_id, name, image_id, billing_mode, cloud_server_id, price_cents, currency, state, created_at, updated_at)
VALUES ('img_ppu', 't1', 'Sim', 'img-sim', 'pay_per_use', 'ecs-1', 250, 'EUR', 'active', ?, ?)`, at, at)
	e.exec(`INSERT INTO image_deliveries (id, tenant_id, name, image_id, billing_mode, price_cents, currency, state, created_at, updated_at, expires_at)
VALUES ('img_year', 't1', 'Historian', 'img-hist', 'yearly', 300000, 'EUR', 'active', ?, ?, ?)`, at+1, at+1, ms(e.now.AddDate(1, 0, 0)))
	e.exec(`INSERT INTO image_deliveries (id, tenant_id, name, image_id, billing_mode, price_cents, currency, state, created_at, updated_at, expires_at)
VALUES ('img_other', 't2', 'Other', 'img-x', 'monthly', 100, 'EUR', 'expired', ?, ?, ?)`, at, at, at)

	tests := []struct {
		name    string
		path    string
		status  int
		wantIDs []string
	}{
		{"all, newest first", "/v1/deliveries/images", 200, []string{"img_year", "img_ppu"}},
		{"pay per use", "/v1/deliveries/images?billing_mode=pay_per_use", 200, []string{"img_ppu"}},
		{"yearly and active", "/v1/deliveries/images?billing_mode=yearly&state=active", 200, []string{"img_year"}},
		{"none released", "/v1/deliveries/images?state=released", 200, []string{}},
		{"bad billing mode", "/v1/deliveries/images?billing_mode=weekly", 400, nil},
		{"bad state", "/v1/deliveries/images?state=gone", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(&eng, "GET", tt.path, nil)
			require.Equal(t, tt.status, r.Status, "%s", r.Body)
			if tt.status != 200 {
				assert.NotEmpty(t, r.apiError(t).Field)
				return
			}
			var page api.Page[api.ImageDelivery]
			r.decode(t, &page)
			ids := []string{}
			for _, d := range page.Items {
				ids = append(ids, d.ID)
			}
			assert.Equal(t, tt.wantIDs, ids)
		})
	}

	var ppu api.ImageDelivery
	e.do(&eng, "GET", "/v1/deliveries/images/img_ppu", nil).decode(t, &ppu)
	assert.Equal(t, "ecs-1", ppu.CloudServerID)
	assert.Equal(t, "hour", ppu.PriceUnit)
	assert.Nil(t, ppu.ExpiresAt)
	assert.Equal(t, http.StatusNotFound, e.do(&other, "GET", "/v1/deliveries/images/img_ppu", nil).Status)
	assert.Equal(t, http.StatusNotFound, e.do(&eng, "GET", "/v1/deliveries/images/img_other", nil).Status)
}

func TestHardwareUnsubscribeValidation(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	other := e.user("t2", "mallory", api.RoleEngineer)
	transit, _ := e.hardware("t1", eng.ID, api.HardwareInTransit, "")
	delivered, _ := e.hardware("t1", eng.ID, api.HardwareDelivered, "")
	refunded, _ := e.hardware("t1", eng.ID, api.HardwareRefunded, "")

	refund := func(amount int64) api.UnsubscribeRequest {
		return api.UnsubscribeRequest{Type: api.UnsubscribeNotReceived, AmountCents: amount, Reason: "never arrived"}
	}
	tests := []struct {
		name      string
		who       *fxUser
		delivery  string
		body      any
		status    int
		wantField string
		wantCode  string
		wantMsg   string
	}{
		{"zero amount", &eng, transit, refund(0), 400, "amount_cents", "invalid_field", "more than 0 and at most the 50000 paid (500.00 EUR)"},
		{"negative amount", &eng, transit, refund(-100), 400, "amount_cents", "invalid_field", "more than 0 and at most the 50000 paid (500.00 EUR)"},
		{"more than paid", &eng, transit, refund(50001), 400, "amount_cents", "invalid_field", "more than 0 and at most the 50000 paid (500.00 EUR)"},
		{"bad type", &eng, transit, api.UnsubscribeRequest{Type: "lost", AmountCents: 100, Reason: "x"}, 400, "type", "invalid_field", ""},
		{"no reason", &eng, transit, api.UnsubscribeRequest{Type: api.UnsubscribeNotReceived, AmountCents: 100, Reason: "  "}, 400, "reason", "invalid_field", ""},
		{"return without tracking", &eng, delivered, api.UnsubscribeRequest{Type: api.UnsubscribeReceived, AmountCents: 100, Reason: "broken"}, 400, "return_tracking", "invalid_field", ""},
		{"refund with return tracking", &eng, transit, api.UnsubscribeRequest{Type: api.UnsubscribeNotReceived, AmountCents: 100, Reason: "x", ReturnTracking: "RET-1"}, 400, "return_tracking", "invalid_field", ""},
		{"amount as text", &eng, transit, `{"type":"not_received","amount_cents":"12","reason":"x"}`, 400, "amount_cents", "invalid_field", "JSON int64"},
		{"return before delivery", &eng, transit, api.UnsubscribeRequest{Type: api.UnsubscribeReceived, AmountCents: 100, Reason: "x", ReturnTracking: "RET-1"}, 409, "", "invalid_state", ""},
		{"already refunded", &eng, refunded, refund(100), 409, "", "invalid_state", ""},
		{"another tenant's delivery", &other, transit, refund(100), 404, "", "not_found", ""},
		{"unknown delivery", &eng, "hw_nope", refund(100), 404, "", "not_found", ""},
		{"the whole amount", &eng, transit, refund(50000), 201, "", "", ""},
		{"a second open request", &eng, transit, refund(100), 409, "", "unsubscribe_open", ""},
		{"a return of delivered goods", &eng, delivered, api.UnsubscribeRequest{Type: api.UnsubscribeReceived, AmountCents: 1, Reason: "broken", ReturnTracking: "RET-1"}, 201, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.who, "POST", "/v1/deliveries/hardware/"+tt.delivery+"/unsubscribe", tt.body)
			require.Equal(t, tt.status, r.Status, "%s", r.Body)
			if tt.status != 201 {
				apiErr := r.apiError(t)
				assert.Equal(t, tt.wantField, apiErr.Field)
				assert.Equal(t, tt.wantCode, apiErr.Code)
				assert.Contains(t, apiErr.Message, tt.wantMsg)
				return
			}
			var d api.HardwareDelivery
			r.decode(t, &d)
			require.NotNil(t, d.Unsubscribe)
			assert.Equal(t, api.ReviewPending, d.Unsubscribe.ReviewState)
			assert.Equal(t, eng.ID, d.Unsubscribe.RequestedBy)
		})
	}
}

func TestHardwareReview(t *testing.T) {
	tests := []struct {
		name        string
		request     api.UnsubscribeRequest
		review      api.ReviewRequest
		wantState   string
		wantReview  string
		wantOrder   string
		wantMessage string
	}{
		{"refund approved", api.UnsubscribeRequest{Type: api.UnsubscribeNotReceived, AmountCents: 50000, Reason: "never arrived"},
			api.ReviewRequest{Decision: api.ReviewApprove}, api.HardwareRefunded, api.ReviewApproved, api.StateRefunded, "was approved"},
		{"return approved", api.UnsubscribeRequest{Type: api.UnsubscribeReceived, AmountCents: 20000, Reason: "broken", ReturnTracking: "RET-9"},
			api.ReviewRequest{Decision: api.ReviewApprove, Note: "refund on receipt"}, api.HardwareReturned, api.ReviewApproved, api.StateRefunded, "refund on receipt"},
		{"refund rejected", api.UnsubscribeRequest{Type: api.UnsubscribeNotReceived, AmountCents: 100, Reason: "where is it"},
			api.ReviewRequest{Decision: api.ReviewReject, Note: "signed for on 3 May"}, api.HardwareDelivered, api.ReviewRejected, api.StateDelivered, "signed for on 3 May"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFxEnv(t)
			eng := e.user("t1", "eng", api.RoleEngineer)
			admin := e.user("t1", "boss", api.RoleAdmin)
			id, orderID := e.hardware("t1", eng.ID, api.HardwareDelivered, api.StateDelivered)
			engEvents, adminEvents := e.stream(eng), e.stream(admin)

			r := e.do(&eng, "POST", "/v1/deliveries/hardware/"+id+"/unsubscribe", tt.request)
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			assert.Equal(t, api.StateRefunding, e.orderState(orderID))
			assert.Equal(t, id, nextNotification(t, adminEvents, "delivery").Ref, "the admins hear of the request")

			path := "/v1/admin/deliveries/hardware/" + id + "/review"
			assert.Equal(t, http.StatusForbidden, e.do(&eng, "POST", path, tt.review).Status, "an engineer may not review")
			bad := e.do(&admin, "POST", path, api.ReviewRequest{Decision: api.ReviewReject})
			require.Equal(t, http.StatusBadRequest, bad.Status)
			assert.Equal(t, "note", bad.apiError(t).Field)

			r = e.do(&admin, "POST", path, tt.review)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			var d api.HardwareDelivery
			r.decode(t, &d)
			assert.Equal(t, tt.wantState, d.State)
			require.NotNil(t, d.Unsubscribe)
			assert.Equal(t, tt.wantReview, d.Unsubscribe.ReviewState)
			require.NotNil(t, d.Unsubscribe.ReviewedAt)
			assert.Equal(t, tt.wantOrder, e.orderState(orderID))

			n := nextNotification(t, engEvents, "delivery")
			assert.Equal(t, id, n.Ref)
			assert.Contains(t, n.Body, tt.wantMessage)

			again := e.do(&admin, "POST", path, tt.review)
			assert.Equal(t, http.StatusConflict, again.Status, "nothing is left to review")
			assert.Equal(t, "no_open_request", again.apiError(t).Code)

			var page api.Page[api.HardwareDelivery]
			e.do(&eng, "GET", "/v1/deliveries/hardware?review_state="+tt.wantReview, nil).decode(t, &page)
			require.Len(t, page.Items, 1)
			assert.Equal(t, id, page.Items[0].ID)
		})
	}
}

func TestHardwareDeliveriesScopedAndListed(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	otherAdmin := e.user("t2", "mallory", api.RoleAdmin)
	for _, st := range hardwareStates {
		e.hardware("t1", eng.ID, st, "")
		e.now = e.now.Add(time.Millisecond)
	}
	id, _ := e.hardware("t1", eng.ID, api.HardwareShipped, "")
	require.Equal(t, http.StatusCreated, e.do(&eng, "POST", "/v1/deliveries/hardware/"+id+"/unsubscribe",
		api.UnsubscribeRequest{Type: api.UnsubscribeNotReceived, AmountCents: 10, Reason: "late"}).Status)

	var all api.Page[api.HardwareDelivery]
	e.do(&eng, "GET", "/v1/deliveries/hardware?limit=500", nil).decode(t, &all)
	assert.Len(t, all.Items, len(hardwareStates)+1)
	var shipped api.Page[api.HardwareDelivery]
	e.do(&eng, "GET", "/v1/deliveries/hardware?state=shipped", nil).decode(t, &shipped)
	assert.Len(t, shipped.Items, 2)
	assert.Equal(t, http.StatusBadRequest, e.do(&eng, "GET", "/v1/deliveries/hardware?review_state=maybe", nil).Status)

	assert.Equal(t, http.StatusNotFound, e.do(&otherAdmin, "GET", "/v1/deliveries/hardware/"+id, nil).Status)
	assert.Equal(t, http.StatusNotFound, e.do(&otherAdmin, "POST", "/v1/admin/deliveries/hardware/"+id+"/review", api.ReviewRequest{Decision: api.ReviewApprove}).Status)
	var theirs api.Page[api.HardwareDelivery]
	e.do(&otherAdmin, "GET", "/v1/deliveries/hardware", nil).decode(t, &theirs)
	assert.Empty(t, theirs.Items)
}
