package gui

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func TestMarketViewPutAndByID(t *testing.T) {
	tests := []struct {
		name string
		put  api.License
		want []api.License
	}{
		{"an item of the list is replaced in place",
			api.License{ID: "lic-2", State: api.LicenseIssued},
			[]api.License{{ID: "lic-1", State: api.LicensePending}, {ID: "lic-2", State: api.LicenseIssued}}},
		{"a new item comes first",
			api.License{ID: "lic-3", State: api.LicensePending},
			[]api.License{{ID: "lic-3", State: api.LicensePending}, {ID: "lic-1", State: api.LicensePending}, {ID: "lic-2", State: api.LicensePending}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := marketView[api.License]{id: licenseID,
				items: []api.License{{ID: "lic-1", State: api.LicensePending}, {ID: "lic-2", State: api.LicensePending}}}
			v.put(tc.put)
			assert.Equal(t, tc.want, v.items)
			got := v.byID(tc.put.ID)
			require.NotNil(t, got)
			got.Reason = "changed through the pointer"
			assert.Equal(t, "changed through the pointer", v.items[indexOf(v.items, tc.put.ID, licenseID)].Reason, "byID points into the items")
			assert.Nil(t, v.byID("lic-none"))
			assert.Equal(t, -1, indexOf(v.items, "lic-none", licenseID))
		})
	}
}

// recordingView is a refresher that records how it was asked to load.
type recordingView struct{ loads []bool }

func (v *recordingView) refresh(force bool) { v.loads = append(v.loads, force) }

func TestMarketScreenLoadsItsLists(t *testing.T) {
	tests := []struct {
		name  string
		do    func(m *marketScreen)
		loads []bool // of each list
		draws int
	}{
		{"Refresh loads what is stale, then redraws", func(m *marketScreen) { m.Refresh() }, []bool{false}, 1},
		{"a notification of a kind it follows reloads", func(m *marketScreen) { m.Notified(api.Notification{Kind: "order"}) }, []bool{true}, 0},
		{"the reload button loads afresh, then redraws", func(m *marketScreen) { test.Tap(m.reloadButton()) }, []bool{true}, 1},
		{"a notification of another kind does nothing", func(m *marketScreen) { m.Notified(api.Notification{Kind: "license"}) }, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := &recordingView{}, &recordingView{}
			draws := 0
			m := &marketScreen{views: []refresher{a, b}, kinds: []string{"delivery", "order"}, draw: func() { draws++ }}
			tc.do(m)
			assert.Equal(t, tc.loads, a.loads)
			assert.Equal(t, tc.loads, b.loads)
			assert.Equal(t, tc.draws, draws)
		})
	}
}
