package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

// apiPackage adds a package of total calls, all remaining, owned by owner.
func (e *fxEnv) apiPackage(owner fxUser, id string, total int64) {
	e.t.Helper()
	e.exec(`INSERT INTO api_packages (id, tenant_id, user_id, name, api, total_calls, remaining_calls, created_at, updated_at)
VALUES (?, ?, ?, ?, 'weather', ?, ?, ?, ?)`, id, owner.Tenant, owner.ID, "Weather "+id, total, total, ms(e.now), ms(e.now))
}

func (e *fxEnv) outboxCount(ref string) int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.db.QueryRow(`SELECT count(*) FROM alert_outbox WHERE ref = ?`, ref).Scan(&n))
	return n
}

func TestQuotaAlertValidation(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	other := e.user("t2", "mallory", api.RoleEngineer)
	e.apiPackage(eng, "apk_1", 1000)
	e.exec(`UPDATE users SET email = '' WHERE id = ?`, other.ID)
	e.apiPackage(other, "apk_noemail", 1000)

	tests := []struct {
		name      string
		who       fxUser
		pkg       string
		body      any
		status    int
		wantField string
	}{
		{"no mode", eng, "apk_1", api.QuotaAlert{Threshold: 10, Channels: []string{"in_site"}}, 400, "mode"},
		{"bad mode", eng, "apk_1", api.QuotaAlert{Mode: "ratio", Threshold: 10, Channels: []string{"in_site"}}, 400, "mode"},
		{"percent 0", eng, "apk_1", api.QuotaAlert{Mode: api.AlertPercent, Threshold: 0, Channels: []string{"in_site"}}, 400, "threshold"},
		{"percent 100", eng, "apk_1", api.QuotaAlert{Mode: api.AlertPercent, Threshold: 100, Channels: []string{"in_site"}}, 400, "threshold"},
		{"absolute at the total", eng, "apk_1", api.QuotaAlert{Mode: api.AlertAbsolute, Threshold: 1000, Channels: []string{"in_site"}}, 400, "threshold"},
		{"absolute negative", eng, "apk_1", api.QuotaAlert{Mode: api.AlertAbsolute, Threshold: -5, Channels: []string{"in_site"}}, 400, "threshold"},
		{"no channels", eng, "apk_1", api.QuotaAlert{Mode: api.AlertPercent, Threshold: 10}, 400, "channels"},
		{"unknown channel", eng, "apk_1", api.QuotaAlert{Mode: api.AlertPercent, Threshold: 10, Channels: []string{"pager"}}, 400, "channels"},
		{"channel twice", eng, "apk_1", api.QuotaAlert{Mode: api.AlertPercent, Threshold: 10, Channels: []string{"sms", "sms"}}, 400, "channels"},
		{"email without an address", other, "apk_noemail", api.QuotaAlert{Mode: api.AlertPercent, Threshold: 10, Channels: []string{"email"}}, 400, "channels"},
		{"threshold as text", eng, "apk_1", `{"mode":"percent","threshold":"10","channels":["sms"]}`, 400, "threshold"},
		{"another tenant's package", other, "apk_1", api.QuotaAlert{Mode: api.AlertPercent, Threshold: 10, Channels: []string{"in_site"}}, 404, ""},
		{"good percent", eng, "apk_1", api.QuotaAlert{Mode: api.AlertPercent, Threshold: 10, Channels: []string{"in_site", "email", "sms"}}, 200, ""},
		{"good absolute", eng, "apk_1", api.QuotaAlert{Mode: api.AlertAbsolute, Threshold: 999, Channels: []string{"sms"}}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(&tt.who, "PUT", "/v1/api-packages/"+tt.pkg+"/alert", tt.body)
			require.Equal(t, tt.status, r.Status, "%s", r.Body)
			if tt.status != 200 {
				assert.Equal(t, tt.wantField, r.apiError(t).Field)
				return
			}
			var p api.APIPackage
			r.decode(t, &p)
			require.NotNil(t, p.Alert)
			assert.Equal(t, tt.body, *p.Alert)
		})
	}

	r := e.do(&eng, "DELETE", "/v1/api-packages/apk_1/alert", nil)
	require.Equal(t, http.StatusNoContent, r.Status)
	var p api.APIPackage
	e.do(&eng, "GET", "/v1/api-packages/apk_1", nil).decode(t, &p)
	assert.Nil(t, p.Alert)
	assert.Equal(t, http.StatusNotFound, e.do(&other, "DELETE", "/v1/api-packages/apk_1/alert", nil).Status)
}

func TestQuotaAlertFiresOncePerCrossing(t *testing.T) {
	tests := []struct {
		name      string
		alert     api.QuotaAlert
		uses      []int64
		wantFired []bool
		// then the alert is lowered to lower and lowerUse crosses it again
		lower    api.QuotaAlert
		lowerUse int64
	}{
		{
			name:  "percent",
			alert: api.QuotaAlert{Mode: api.AlertPercent, Threshold: 10, Channels: []string{"in_site", "email", "sms"}},
			// 1000 → 150 (15%) → 100 (10%: crossed) → 90 → 0
			uses: []int64{850, 50, 10, 90}, wantFired: []bool{false, true, false, false},
		},
		{
			name:  "absolute",
			alert: api.QuotaAlert{Mode: api.AlertAbsolute, Threshold: 200, Channels: []string{"in_site", "email", "sms"}},
			// 1000 → 201 → 199 (crossed) → 150
			uses: []int64{799, 2, 49}, wantFired: []bool{false, true, false},
			lower: api.QuotaAlert{Mode: api.AlertAbsolute, Threshold: 100, Channels: []string{"in_site", "email", "sms"}}, lowerUse: 50,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFxEnv(t)
			eng := e.user("t1", "eng", api.RoleEngineer)
			e.apiPackage(eng, "apk_1", 1000)
			events := e.stream(eng)
			require.Equal(t, http.StatusOK, e.do(&eng, "PUT", "/v1/api-packages/apk_1/alert", tt.alert).Status)

			remaining := int64(1000)
			for i, calls := range tt.uses {
				var res api.UsageResult
				r := e.do(&eng, "POST", "/v1/api-packages/apk_1/usage", api.UsageRequest{Calls: calls})
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				r.decode(t, &res)
				remaining -= calls
				assert.Equal(t, remaining, res.Package.RemainingCalls)
				assert.Equal(t, tt.wantFired[i], res.AlertFired, "use %d of %d calls", i, calls)
			}
			n := nextNotification(t, events, "quota")
			assert.Equal(t, "apk_1", n.Ref)
			assert.Contains(t, n.Body, "left")
			assert.Equal(t, 2, e.outboxCount("apk_1"), "one email and one SMS")

			var list api.Page[api.Notification]
			e.do(&eng, "GET", "/v1/notifications", nil).decode(t, &list)
			quota := 0
			for _, n := range list.Items {
				if n.Kind == "quota" {
					quota++
				}
			}
			assert.Equal(t, 1, quota, "one crossing, one in-site alert")

			if tt.lowerUse == 0 {
				return
			}
			require.Equal(t, http.StatusOK, e.do(&eng, "PUT", "/v1/api-packages/apk_1/alert", tt.lower).Status)
			var res api.UsageResult
			e.do(&eng, "POST", "/v1/api-packages/apk_1/usage", api.UsageRequest{Calls: tt.lowerUse}).decode(t, &res)
			assert.True(t, res.AlertFired, "a lower threshold is a new crossing")
			assert.Equal(t, "apk_1", nextNotification(t, events, "quota").Ref)
			assert.Equal(t, 4, e.outboxCount("apk_1"))
		})
	}
}

func TestAPIPackageUsageRefusals(t *testing.T) {
	e := newFxEnv(t)
	eng := e.user("t1", "eng", api.RoleEngineer)
	other := e.user("t2", "mallory", api.RoleEngineer)
	e.apiPackage(eng, "apk_1", 100)

	tests := []struct {
		name      string
		who       fxUser
		calls     int64
		status    int
		wantField string
		wantCode  string
	}{
		{"zero", eng, 0, 400, "calls", "invalid_field"},
		{"negative", eng, -1, 400, "calls", "invalid_field"},
		{"more than left", eng, 101, 409, "", "quota_exceeded"},
		{"another tenant", other, 1, 404, "", "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(&tt.who, "POST", "/v1/api-packages/apk_1/usage", api.UsageRequest{Calls: tt.calls})
			require.Equal(t, tt.status, r.Status, "%s", r.Body)
			apiErr := r.apiError(t)
			assert.Equal(t, tt.wantField, apiErr.Field)
			assert.Equal(t, tt.wantCode, apiErr.Code)
		})
	}
	var p api.APIPackage
	e.do(&eng, "GET", "/v1/api-packages/apk_1", nil).decode(t, &p)
	assert.Equal(t, int64(100), p.RemainingCalls, "refused uses consume nothing")
	var theirs api.Page[api.APIPackage]
	e.do(&other, "GET", "/v1/api-packages", nil).decode(t, &theirs)
	assert.Empty(t, theirs.Items)
}
