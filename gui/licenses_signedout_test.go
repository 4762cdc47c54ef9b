package gui

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Signed out, the marketplace screens say how to sign in and offer nothing that needs a session.
func TestMarketplaceScreensSignedOut(t *testing.T) {
	market := newFakeMarket()
	market.me = nil
	u := newTestUI(t, newFakeAgent(), market, Options{})
	eventually(t, u, flowTimeout, "the stored session was looked at", func() bool { return u.marketSt.checked })
	for _, tc := range []struct {
		title  string
		status func() string
	}{
		{licensesTitle, func() string { return screenOf[*licensesScreen](u).status.Text }},
		{ordersTitle, func() string { return screenOf[*ordersScreen](u).status.Text }},
		{deliveriesTitle, func() string { return screenOf[*deliveriesScreen](u).status.Text }},
		{apiPackagesTitle, func() string { return screenOf[*apiPackagesScreen](u).status.Text }},
	} {
		onUI(u, func() {
			u.showScreen(tc.title)
			assert.Regexp(t, `^Sign in \(Account\) to see your `, tc.status(), tc.title)
		})
	}
	onUI(u, func() {
		assert.True(t, screenOf[*licensesScreen](u).apply.Disabled(), "no Apply without a session")
		assert.True(t, screenOf[*ordersScreen](u).export.Disabled(), "nothing to export")
	})
}
