package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// recorded is what the fake marketplace saw of one request.
type recorded struct {
	method, path, query, body, idemKey, auth string
}

// TestEndpoints checks that each typed call sends its method, path, query and body, carries an
// Idempotency-Key when it is a POST, and decodes the answer.
func TestEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name      string
		call      func(c *Client) (any, error)
		answer    string // the JSON the fake answers with
		want      recorded
		wantIdem  bool
		checkJSON func(t *testing.T, got any)
		// skipDecode: the answer is not one object to compare field by field with the result.
		skipDecode bool
	}{
		{
			name:   "me",
			call:   func(c *Client) (any, error) { return c.Me(ctx) },
			answer: `{"user_id":"usr_1","username":"engineer","role":"engineer","tenant_id":"ten_1"}`,
			want:   recorded{method: "GET", path: "/v1/me"},
			checkJSON: func(t *testing.T, got any) {
				assert.Equal(t, "engineer", got.(*api.Me).Username)
			},
		},
		{
			name:   "product with a path-unsafe id",
			call:   func(c *Client) (any, error) { return c.Product(ctx, "a b/c") },
			answer: `{"id":"a b/c","name":"X","releases":[]}`,
			want:   recorded{method: "GET", path: "/v1/products/a%20b%2Fc"},
		},
		{
			name:     "ticket",
			call:     func(c *Client) (any, error) { return c.Ticket(ctx, "cadpro", "2024.2", "windows/amd64") },
			answer:   `{"ticket":{"payload":"e30=","key_id":"k","signature":"s"},"product":"cadpro","version":"2024.2"}`,
			want:     recorded{method: "POST", path: "/v1/tickets", body: `{"product":"cadpro","version":"2024.2","platform":"windows/amd64"}`},
			wantIdem: true,
			checkJSON: func(t *testing.T, got any) {
				assert.JSONEq(t, `{"payload":"e30=","key_id":"k","signature":"s"}`, string(got.(*api.TicketResponse).Ticket), "the ticket bytes are passed through")
			},
		},
		{
			name:   "keys need no sign-in",
			call:   func(c *Client) (any, error) { return c.Keys(ctx) },
			answer: `{"keys":[{"id":"k1","algorithm":"ed25519","line":"iscdesk-ed25519-public k1 AAAA"}]}`,
			want:   recorded{method: "GET", path: "/v1/keys", auth: "-"},
		},
		{
			name:   "order",
			call:   func(c *Client) (any, error) { return c.Order(ctx, "ord_1") },
			answer: `{"id":"ord_1","kind":"software","state":"paid"}`,
			want:   recorded{method: "GET", path: "/v1/orders/ord_1"},
		},
		{
			name: "order state",
			call: func(c *Client) (any, error) {
				return c.SetOrderState(ctx, "ord_1", api.OrderStateRequest{State: "delivered"})
			},
			answer:   `{"id":"ord_1","state":"delivered"}`,
			want:     recorded{method: "POST", path: "/v1/admin/orders/ord_1/state", body: `{"state":"delivered"}`},
			wantIdem: true,
		},
		{
			name:     "mark read",
			call:     func(c *Client) (any, error) { return c.MarkRead(ctx, api.MarkReadRequest{All: true}) },
			answer:   `{"marked":3}`,
			want:     recorded{method: "POST", path: "/v1/notifications/read", body: `{"all":true}`},
			wantIdem: true,
		},
		{
			name: "apply for a license",
			call: func(c *Client) (any, error) {
				return c.ApplyLicense(ctx, api.LicenseApplication{Product: "cadpro", Fingerprint: "m|d|b|c", ExpiresAt: "2027-01-01T00:00:00Z"}, "")
			},
			answer:   `{"id":"lic_1","state":"pending"}`,
			want:     recorded{method: "POST", path: "/v1/licenses", body: `{"product":"cadpro","fingerprint":"m|d|b|c","expires_at":"2027-01-01T00:00:00Z"}`},
			wantIdem: true,
		},
		{
			name:   "license",
			call:   func(c *Client) (any, error) { return c.License(ctx, "lic_1") },
			answer: `{"id":"lic_1","state":"issued","kind":"text"}`,
			want:   recorded{method: "GET", path: "/v1/licenses/lic_1"},
		},
		{
			name:   "image delivery",
			call:   func(c *Client) (any, error) { return c.ImageDelivery(ctx, "img_1") },
			answer: `{"id":"img_1","billing_mode":"pay_per_use","cloud_server_id":"ecs-1"}`,
			want:   recorded{method: "GET", path: "/v1/deliveries/images/img_1"},
		},
		{
			name:   "hardware delivery",
			call:   func(c *Client) (any, error) { return c.HardwareDelivery(ctx, "hw_1") },
			answer: `{"id":"hw_1","state":"shipped","tracking_number":"T1"}`,
			want:   recorded{method: "GET", path: "/v1/deliveries/hardware/hw_1"},
		},
		{
			name: "unsubscribe",
			call: func(c *Client) (any, error) {
				return c.Unsubscribe(ctx, "hw_1", api.UnsubscribeRequest{Type: api.UnsubscribeReceived, AmountCents: 500, Reason: "wrong model", ReturnTracking: "R1"})
			},
			answer:   `{"id":"hw_1","unsubscribe":{"type":"received","review_state":"pending"}}`,
			want:     recorded{method: "POST", path: "/v1/deliveries/hardware/hw_1/unsubscribe", body: `{"type":"received","amount_cents":500,"reason":"wrong model","return_tracking":"R1"}`},
			wantIdem: true,
			checkJSON: func(t *testing.T, got any) {
				assert.Equal(t, api.ReviewPending, got.(*api.HardwareDelivery).Unsubscribe.ReviewState)
			},
		},
		{
			name: "review an unsubscribe",
			call: func(c *Client) (any, error) {
				return c.ReviewUnsubscribe(ctx, "hw_1", api.ReviewRequest{Decision: api.ReviewApprove})
			},
			answer:   `{"id":"hw_1"}`,
			want:     recorded{method: "POST", path: "/v1/admin/deliveries/hardware/hw_1/review", body: `{"decision":"approve"}`},
			wantIdem: true,
		},
		{
			name:   "API package",
			call:   func(c *Client) (any, error) { return c.APIPackage(ctx, "apk_1") },
			answer: `{"id":"apk_1","total_calls":1000,"remaining_calls":250}`,
			want:   recorded{method: "GET", path: "/v1/api-packages/apk_1"},
		},
		{
			name: "set an alert",
			call: func(c *Client) (any, error) {
				return c.SetAlert(ctx, "apk_1", api.QuotaAlert{Mode: api.AlertPercent, Threshold: 20, Channels: []string{api.ChannelEmail, api.ChannelInSite}})
			},
			answer: `{"id":"apk_1","alert":{"mode":"percent","threshold":20,"channels":["email","in_site"]}}`,
			want:   recorded{method: "PUT", path: "/v1/api-packages/apk_1/alert", body: `{"mode":"percent","threshold":20,"channels":["email","in_site"]}`},
		},
		{
			name:   "clear an alert",
			call:   func(c *Client) (any, error) { return struct{}{}, c.ClearAlert(ctx, "apk_1") },
			answer: `{}`,
			want:   recorded{method: "DELETE", path: "/v1/api-packages/apk_1/alert"},
		},
		{
			name:     "report usage",
			call:     func(c *Client) (any, error) { return c.ReportUsage(ctx, "apk_1", 7) },
			answer:   `{"package":{"id":"apk_1","remaining_calls":193},"alert_fired":true}`,
			want:     recorded{method: "POST", path: "/v1/api-packages/apk_1/usage", body: `{"calls":7}`},
			wantIdem: true,
		},
		{
			name:   "org admins",
			call:   func(c *Client) (any, error) { return c.OrgAdmins(ctx) },
			answer: `{"items":[{"user_id":"usr_1","username":"admin","creator":true}]}`,
			want:   recorded{method: "GET", path: "/v1/org/admins"},
			checkJSON: func(t *testing.T, got any) {
				assert.Equal(t, []api.OrgAdmin{{UserID: "usr_1", Username: "admin", Creator: true}}, got)
			},
			skipDecode: true,
		},
		{
			name:     "add an org admin",
			call:     func(c *Client) (any, error) { return c.AddOrgAdmin(ctx, "engineer") },
			answer:   `{"user_id":"usr_2","username":"engineer","invited_by":"usr_1"}`,
			want:     recorded{method: "POST", path: "/v1/org/admins", body: `{"user":"engineer"}`},
			wantIdem: true,
		},
		{
			name:       "remove an org admin",
			call:       func(c *Client) (any, error) { return nil, c.RemoveOrgAdmin(ctx, "usr 2") },
			want:       recorded{method: "DELETE", path: "/v1/org/admins/usr%202"},
			skipDecode: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var got recorded
			base := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = recorded{method: r.Method, path: r.URL.EscapedPath(), query: r.URL.RawQuery, body: string(body),
					idemKey: r.Header.Get(api.IdempotencyHeader), auth: r.Header.Get("Authorization")}
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tt.answer)
			}))
			c := New(base, fastOptions(newMemStore())).WithToken("tok")
			out, err := tt.call(c)
			require.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, tt.want.method, got.method)
			assert.Equal(t, tt.want.path, got.path)
			assert.Equal(t, tt.want.query, got.query)
			if tt.want.body != "" {
				assert.JSONEq(t, tt.want.body, got.body)
			} else {
				assert.Empty(t, got.body)
			}
			assert.Equal(t, tt.wantIdem, got.idemKey != "", "Idempotency-Key %q", got.idemKey)
			if tt.want.auth == "-" {
				assert.Empty(t, got.auth, "a public endpoint gets no token")
			} else {
				assert.Equal(t, "Bearer tok", got.auth)
			}
			if !tt.skipDecode {
				// What was decoded is what was sent.
				var want, decoded any
				require.NoError(t, json.Unmarshal([]byte(tt.answer), &want))
				data, err := json.Marshal(out)
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(data, &decoded))
				assertSubset(t, want, decoded, "answer")
			}
			if tt.checkJSON != nil {
				tt.checkJSON(t, out)
			}
		})
	}
}

// assertSubset checks that every field of want is in got with the same value.
func assertSubset(t *testing.T, want, got any, path string) {
	t.Helper()
	wm, ok := want.(map[string]any)
	if !ok {
		assert.Equal(t, want, got, path)
		return
	}
	gm, ok := got.(map[string]any)
	if !assert.True(t, ok, "%s: not an object in the decoded answer", path) {
		return
	}
	for k, v := range wm {
		assertSubset(t, v, gm[k], path+"."+k)
	}
}
