package gui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

// quotaAlertFlow sets an alert on an API package: a threshold out of range is refused in the
// dialog, a good one is saved on the marketplace and shown on the package's card.
func quotaAlertFlow(t *testing.T, u *UI, c *mclient.Client) {
	show(t, u, apiPackagesTitle)
	s := screenOf[*apiPackagesScreen](u)
	eventually(t, u, flowTimeout, "API packages are loaded", func() bool { return len(s.view.items) > 0 })

	var p api.APIPackage
	onUI(u, func() {
		p = s.view.items[0]
		assert.Contains(t, strings.Join(texts(s.cards), "\n"), "package "+p.ID)
		test.Tap(s.alertButtons[p.ID])
	})
	require.Greater(t, p.TotalCalls, int64(100), "the demo package has calls to alert on")
	eventually(t, u, flowTimeout, "the Set alert dialog opens", func() bool { return s.alerting != nil })
	onUI(u, func() {
		d := s.alerting
		d.mode.SetSelected(modeAbsolute)
		d.threshold.SetText(grouped(p.TotalCalls))
		d.channels.SetSelected([]string{"Email", "In ISCDesk"})
		test.Tap(d.save)
		assert.True(t, d.problem.Visible())
		assert.Contains(t, d.problem.Text, "from 1 to "+grouped(p.TotalCalls-1))

		d.threshold.SetText("100")
		test.Tap(d.save)
	})
	eventually(t, u, flowTimeout, "the alert is saved", func() bool { return s.alerting == nil })
	want := &api.QuotaAlert{Mode: api.AlertAbsolute, Threshold: 100, Channels: []string{api.ChannelInSite, api.ChannelEmail}}
	onUI(u, func() {
		assert.Contains(t, strings.Join(texts(s.cards), "\n"), alertText(want))
	})

	ctx, cancel := context.WithTimeout(context.Background(), flowTimeout)
	defer cancel()
	pkgs, err := mclient.Collect(c.APIPackages(ctx, mclient.ListOptions{}))
	require.NoError(t, err)
	for _, got := range pkgs {
		if got.ID == p.ID {
			require.NotNil(t, got.Alert)
			assert.Equal(t, want.Mode, got.Alert.Mode)
			assert.Equal(t, want.Threshold, got.Alert.Threshold)
			assert.ElementsMatch(t, want.Channels, got.Alert.Channels)
		}
	}
}
