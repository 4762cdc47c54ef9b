package gui

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iscdesk/iscdesk/marketplace/api"
)

func TestUnsubscribeTypes(t *testing.T) {
	for _, tc := range []struct {
		state   string
		pending bool
		want    []string
	}{
		{api.HardwarePending, false, []string{api.UnsubscribeNotReceived}},
		{api.HardwareInTransit, false, []string{api.UnsubscribeNotReceived}},
		{api.HardwareDelivered, false, []string{api.UnsubscribeNotReceived, api.UnsubscribeReceived}},
		{api.HardwareDelivered, true, nil},
		{api.HardwareRefunded, false, nil},
		{api.HardwareReturned, false, nil},
	} {
		d := api.HardwareDelivery{State: tc.state}
		if tc.pending {
			d.Unsubscribe = &api.HardwareUnsubscribe{ReviewState: api.ReviewPending}
		}
		assert.Equal(t, tc.want, unsubscribeTypes(d), "state %s, pending %v", tc.state, tc.pending)
	}
}

func TestUnsubscribeRequest(t *testing.T) {
	delivered := api.HardwareDelivery{ID: "hw_1", State: api.HardwareDelivered, PaidCents: 129900, Currency: "EUR"}
	inTransit := delivered
	inTransit.State = api.HardwareInTransit
	underReview := delivered
	underReview.Unsubscribe = &api.HardwareUnsubscribe{ReviewState: api.ReviewPending}
	for _, tc := range []struct {
		name                          string
		d                             api.HardwareDelivery
		typ, amount, reason, tracking string
		want                          api.UnsubscribeRequest
		err                           string
	}{
		{name: "refund of part", d: inTransit, typ: api.UnsubscribeNotReceived, amount: "100", reason: " lost ",
			want: api.UnsubscribeRequest{Type: api.UnsubscribeNotReceived, AmountCents: 10000, Reason: "lost"}},
		{name: "refund of all, tracking dropped", d: delivered, typ: api.UnsubscribeNotReceived, amount: "1,299.00", reason: "never came", tracking: "X1",
			want: api.UnsubscribeRequest{Type: api.UnsubscribeNotReceived, AmountCents: 129900, Reason: "never came"}},
		{name: "return", d: delivered, typ: api.UnsubscribeReceived, amount: "1299", reason: "broken", tracking: " DHL 42 ",
			want: api.UnsubscribeRequest{Type: api.UnsubscribeReceived, AmountCents: 129900, Reason: "broken", ReturnTracking: "DHL 42"}},
		{name: "nothing chosen", d: delivered, amount: "1", reason: "r", err: "choose whether you received"},
		{name: "return before arrival", d: inTransit, typ: api.UnsubscribeReceived, amount: "1", reason: "r", tracking: "t", err: "once the delivery has arrived; it is in transit"},
		{name: "zero", d: delivered, typ: api.UnsubscribeNotReceived, amount: "0", reason: "r", err: "must be more than 0 and at most the 1,299.00 EUR you paid"},
		{name: "more than paid", d: delivered, typ: api.UnsubscribeNotReceived, amount: "1299.01", reason: "r", err: "1,299.01 EUR is more than the 1,299.00 EUR you paid"},
		{name: "not a number", d: delivered, typ: api.UnsubscribeNotReceived, amount: "lots", reason: "r", err: "refund amount: write an amount"},
		{name: "no reason", d: delivered, typ: api.UnsubscribeNotReceived, amount: "1", reason: "  ", err: "say why"},
		{name: "return without tracking", d: delivered, typ: api.UnsubscribeReceived, amount: "1", reason: "r", err: "tracking number of the parcel you sent back"},
		{name: "one open request at a time", d: underReview, typ: api.UnsubscribeNotReceived, amount: "1", reason: "r", err: "already has a request under review"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := unsubscribeRequest(tc.d, tc.typ, tc.amount, tc.reason, tc.tracking)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestReviewText(t *testing.T) {
	assert.Equal(t, "", reviewText(nil, "EUR"))
	u := &api.HardwareUnsubscribe{Type: api.UnsubscribeNotReceived, AmountCents: 2500, ReviewState: api.ReviewPending}
	assert.Contains(t, reviewText(u, "EUR"), "Refund of 25.00 EUR requested")
	assert.Contains(t, reviewText(u, "EUR"), "waiting for the merchant's review")
	u.ReviewState, u.ReviewNote = api.ReviewRejected, "the parcel was signed for"
	assert.Contains(t, reviewText(u, "EUR"), "rejected")
	assert.Contains(t, reviewText(u, "EUR"), "the parcel was signed for")
}
