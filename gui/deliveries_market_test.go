package gui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
	mclient "github.com/iscdesk/iscdesk/marketplace/client"
)

// hardwareRefundFlow asks for a refund of a hardware delivery: a refund above what was paid is
// refused in the dialog, a good one is sent and the review state shows.
func hardwareRefundFlow(t *testing.T, u *UI, c *mclient.Client) {
	show(t, u, deliveriesTitle)
	s := screenOf[*deliveriesScreen](u)
	onUI(u, func() { s.tabs.SelectIndex(1) })
	eventually(t, u, flowTimeout, "hardware deliveries are loaded", func() bool { return len(s.hardware.items) > 0 })

	var d api.HardwareDelivery
	onUI(u, func() {
		i := slices.IndexFunc(s.hardware.items, func(d api.HardwareDelivery) bool {
			return slices.Contains(unsubscribeTypes(d), api.UnsubscribeNotReceived) && d.PaidCents > 100
		})
		require.GreaterOrEqual(t, i, 0, "the demo tenant has hardware that may be refunded")
		d = s.hardware.items[i]
		s.hwList.Select(i)
		assert.Contains(t, texts(s.hwDetail), shippingText(d))
		test.Tap(s.unsubscribe)
	})
	eventually(t, u, flowTimeout, "the Unsubscribe dialog opens", func() bool { return s.unsub != nil })
	onUI(u, func() {
		f := s.unsub
		f.choice.SetSelected(choiceNotReceived)
		test.Tap(f.next)
		require.True(t, f.steps[1].Visible(), "the second step asks for the amount")
		assert.False(t, f.tracking.Visible(), "a refund needs no return tracking")

		f.amount.SetText(csvAmount(d.PaidCents + 1))
		f.reason.SetText("The parcel never arrived.")
		test.Tap(f.send)
		assert.True(t, f.problem.Visible())
		assert.Contains(t, f.problem.Text, "is more than the "+money(d.PaidCents, d.Currency)+" you paid")
		assert.Contains(t, topDialogText(u), f.problem.Text, "the error is in the open dialog")

		f.amount.SetText("1.00")
		test.Tap(f.send)
	})
	eventually(t, u, flowTimeout, "the request is sent", func() bool { return s.unsub != nil && s.unsub.steps[2].Visible() })
	onUI(u, func() {
		assert.Contains(t, s.unsub.outcome.Text, "waiting for the merchant's review")
		assert.Contains(t, strings.Join(texts(s.hwDetail), "\n"), "Refund of 1.00 "+d.Currency+" requested")
		assert.True(t, s.unsubscribe.Disabled(), "one open request at a time")
		test.Tap(s.unsub.closeBtn)
	})

	ctx, cancel := context.WithTimeout(context.Background(), flowTimeout)
	defer cancel()
	got, err := c.HardwareDelivery(ctx, d.ID)
	require.NoError(t, err)
	require.NotNil(t, got.Unsubscribe)
	assert.Equal(t, api.ReviewPending, got.Unsubscribe.ReviewState)
	assert.Equal(t, int64(100), got.Unsubscribe.AmountCents)
}

// TestCopyImageID copies an image's id from its row to the clipboard.
func TestCopyImageID(t *testing.T) {
	u := newTestUI(t, newFakeAgent(), newFakeMarket(), Options{})
	s := screenOf[*deliveriesScreen](u)
	img := api.ImageDelivery{ID: "img_1", Name: "Historian VM", ImageID: "ami-0abc123", BillingMode: api.BillingPayPerUse,
		PriceCents: 42, PriceUnit: "hour", Currency: "EUR", CloudServerID: "cs-7", State: api.ImageActive}
	onUI(u, func() {
		row := newImageRow()
		s.images.items = []api.ImageDelivery{img}
		s.bindImageRow(0, row)
		assert.Contains(t, texts(row), "Pay per use · 0.42 EUR per hour · cloud server cs-7")
		var copyButton *widget.Button
		for _, o := range test.LaidOutObjects(row) {
			if b, ok := o.(*widget.Button); ok && b.Text == "Copy ID" {
				copyButton = b
			}
		}
		require.NotNil(t, copyButton)
		test.Tap(copyButton)
		assert.Equal(t, "ami-0abc123", u.app.Clipboard().Content())
		assert.Contains(t, s.copied.Text, "ami-0abc123")
	})
}
